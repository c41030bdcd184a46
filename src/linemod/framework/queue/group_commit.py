"""Group commit: many concurrent callers, one transaction for all that arrived together.

A commit costs the same for one row as for fifty (SQLite has one writer, PostgreSQL pays an fsync per
commit), so per-request commits cap throughput and queue latency behind each other. Here one task drains
everything submitted while the previous write was running and writes it as one batch; each caller's
`submit()` returns (or raises) once its own item is committed.

`max_in_flight` batches may be written at once (PostgreSQL overlaps their round trips and flushes; SQLite
takes 1). Items of one `submit()` stay in one batch and keep their order; items submitted while an earlier
batch is still being written may commit before it.

A caller that stops waiting (its deadline passed, it was cancelled) is left out of the batch if that batch has
not started; if it has, the item may still commit after its caller gave up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
# Writes a batch in one transaction; returns, per item, None (committed) or the error for that item alone.
BatchWrite = Callable[[list[Item]], Awaitable[Sequence[BaseException | None]]]


class GroupCommit(Generic[Item]):
    def __init__(self, write: BatchWrite[Item], *, name: str, max_in_flight: int = 1) -> None:
        self._write = write
        self._name = name
        self._max_in_flight = max_in_flight
        self._pending: list[tuple[Item, asyncio.Future[None]]] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._writing: set[asyncio.Task[None]] = set()

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
        await asyncio.gather(*self._writing, return_exceptions=True)  # let batches being written finish
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
        slots = asyncio.Semaphore(self._max_in_flight)
        while True:
            await self._wake.wait()
            self._wake.clear()
            if not self._pending:
                continue
            await slots.acquire()
            # Everything that arrived while waiting for a slot, but for the items whose caller gave up.
            batch = [(item, future) for item, future in self._pending if not future.done()]
            self._pending = []
            if not batch:
                slots.release()
                continue
            task = asyncio.create_task(self._write_batch(batch))
            self._writing.add(task)

            def finished(task: asyncio.Task[None]) -> None:
                self._writing.discard(task)
                slots.release()

            task.add_done_callback(finished)

    async def _write_batch(self, batch: list[tuple[Item, asyncio.Future[None]]]) -> None:
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
