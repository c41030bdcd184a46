"""A TCP proxy that can play a server that stops answering, for outage tests against the shared PostgreSQL.

The test server is shared with other test runs, so it is never stopped or paused: the app talks to it through
this proxy instead, and `freeze()` makes the proxy behave as a frozen host does (a process stopped with SIGSTOP,
a network that drops everything): connections are still accepted, but nothing is forwarded either way until
`restore()`, when everything held is delivered in order. `shut_down()` plays a server that was stopped: every
connection is closed, and every new one at once, until `restore()`.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable


class FreezableProxy:
    """Forwards a loopback port to `target_host:target_port`, from an event loop in a thread of its own (so a
    test's own loop can block, or drive a server in another thread, without stalling it)."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="freezable-proxy", daemon=True)
        self._flowing: asyncio.Event | None = None
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._shut_down = False

    def __enter__(self) -> FreezableProxy:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)
        return self

    def __exit__(self, *_exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def freeze(self) -> None:
        """From now on, forward nothing and open no new upstream connection."""
        self._in_loop(self._events().clear)

    def shut_down(self) -> None:
        """Close every connection, and from now on every new one as soon as it is made."""

        def close_all() -> None:
            self._shut_down = True
            for writer in list(self._writers):
                writer.close()

        self._in_loop(close_all)

    def restore(self) -> None:
        """Deliver what was held, and forward again."""

        def restore() -> None:
            self._shut_down = False
            self._events().set()

        self._in_loop(restore)

    def _in_loop(self, change: Callable[[], None]) -> None:
        """Make `change` in the proxy's loop, and return once it is made (the test's next request must meet it)."""

        async def make() -> None:
            change()

        asyncio.run_coroutine_threadsafe(make(), self._loop).result(timeout=10)

    def _events(self) -> asyncio.Event:
        assert self._flowing is not None, "the proxy is not started"
        return self._flowing

    async def _start(self) -> None:
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _stop(self) -> None:
        self._events().set()
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.close()
        for task in [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]:
            task.cancel()

    async def _connection(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        if self._shut_down:
            client_writer.close()
            return
        self._writers.add(client_writer)
        try:
            await self._events().wait()  # a frozen host accepts (the kernel does) but never greets
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except (OSError, asyncio.CancelledError):
            client_writer.close()
            self._writers.discard(client_writer)
            return
        self._writers.add(upstream_writer)
        await asyncio.gather(
            self._pump(client_reader, upstream_writer),
            self._pump(upstream_reader, client_writer),
            return_exceptions=True,
        )
        self._writers.difference_update({client_writer, upstream_writer})

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                await self._events().wait()
                data = await reader.read(65536)
                if not data:
                    break
                await self._events().wait()  # read just before a freeze: held, not delivered
                writer.write(data)
                await writer.drain()
        finally:
            writer.close()
