"""Group commit: many concurrent callers, one transaction for all that arrived together.

A commit costs the same for one row as for fifty (SQLite has one writer, PostgreSQL pays an fsync per
commit), so per-request commits cap throughput and queue latency behind each other. Here one task drains
everything submitted while the previous write was running and writes it as one batch; each caller's
`submit()` returns (or raises) once its own item is committed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
# Writes a batch in one transaction; returns, per item, None (committed) or the error for that item alone.
BatchWrite = Callable[[list[Item]], Awaitable[Sequence[BaseException | None]]]


class GroupCommit(Generic[Item]):
    def __init__(self, write: BatchWrite[Item], *, name: str) -> None:
        self._write = write
        self._name = name
        self._pending: list[tuple[Item, asyncio.Future[None]]] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def started(self) -> bool:
        return self._task is not None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=self._name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        for _, future in self._pending:
            if not future.done():
                future.set_exception(RuntimeError(f"{self._name} stopped"))
        self._pending = []

    async def submit(self, item: Item) -> None:
        """Returns once `item` is committed; raises what the write raised for it."""
        if self._task is None:  # not started (a one-off script, a test): write alone
            (outcome,) = await self._write([item])
            if outcome is not None:
                raise outcome
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        self._wake.set()
        await future

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            batch, self._pending = self._pending, []
            if not batch:
                continue
            try:
                outcomes = await self._write([item for item, _ in batch])
            except Exception as exc:
                outcomes = [exc] * len(batch)
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                if future.done():
                    continue
                if outcome is None:
                    future.set_result(None)
                else:
                    future.set_exception(outcome)
