"""Serving (`ModuleApp.server_config()`, what `linemod serve` runs): a client that sends its request headers or
body too slowly is answered 408 and disconnected while others are served, and past the connection limit requests
are answered 503.

Each test runs a real server on a loopback port with both of uvicorn's HTTP/1.1 parsers (httptools, what it
picks when installed, and h11) and talks to it over raw sockets, the way a slow client would.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx
import pytest
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from linemod.framework.app import ModuleApp
from linemod.framework.serving import protocol_with_deadlines
from linemod.framework.storage.database import Database
from tests.framework.helpers import (
    ThreadedServer,
    attached_event,
    free_port,
    make_settings,
    signed,
    webhook_body,
)

HEADER_TIMEOUT = 1.0
BODY_TIMEOUT = 1.5
PATIENCE = 4.0  # how long a test waits for the server to act: past every deadline, well short of the trickle
PARSERS = [pytest.param(HttpToolsProtocol, id="httptools"), pytest.param(H11Protocol, id="h11")]


@pytest.fixture
def parser(request: pytest.FixtureRequest) -> type[asyncio.Protocol]:
    return request.param  # type: ignore[no-any-return]


@contextmanager
def served(db: Database, parser: type[asyncio.Protocol], **settings: Any) -> Iterator[int]:
    """A module served on a loopback port with small deadlines (and a route that fails); yields the port."""
    values: dict[str, Any] = {"header_timeout_seconds": HEADER_TIMEOUT, "body_timeout_seconds": BODY_TIMEOUT}
    values.update(settings)
    app = ModuleApp(make_settings(database_url=db.url, run_workers_in_process=False, **values))

    @app.router.get("/fails")
    async def fails() -> None:
        raise RuntimeError("a bug")
    http = protocol_with_deadlines(app.settings.header_timeout_seconds, app.settings.body_timeout_seconds, parser)
    config = app.server_config(host="127.0.0.1", port=free_port(), log_level="warning", log_config=None, http=http)
    with ThreadedServer(config=config) as server:
        yield server.port


@asynccontextmanager
async def trickling(port: int, head: bytes, drip: bytes) -> AsyncIterator[asyncio.StreamReader]:
    """A connection that sends `head` at once, then `drip` one byte a second (for far longer than any deadline)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(head)

    async def drip_bytes() -> None:
        for byte in drip:
            await asyncio.sleep(1.0)
            if writer.is_closing():
                return
            writer.write(bytes([byte]))
            with contextlib.suppress(ConnectionError):
                await writer.drain()

    task = asyncio.create_task(drip_bytes())
    try:
        yield reader
    finally:
        task.cancel()
        writer.close()


async def closed_by_server(reader: asyncio.StreamReader) -> bytes:
    """Everything the server sent until it closed the connection; fails the test if it does not close it."""
    try:
        return await asyncio.wait_for(reader.read(), PATIENCE)
    except TimeoutError:
        raise AssertionError(f"the server kept the connection open for {PATIENCE} s") from None
    except ConnectionResetError:
        return b""


async def webhook(port: int) -> httpx.Response:
    body = webhook_body([attached_event()])
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=PATIENCE) as http:
        return await http.post("/webhook", content=body, headers=signed(body))


REQUEST_LINE = b"POST /webhook HTTP/1.1\r\nhost: module.test\r\n"
SLOW_HEADER = b"x-slow: " + b"a" * 20


@pytest.mark.parametrize("parser", PARSERS, indirect=True)
@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
async def test_connections_trickling_their_headers_are_cut_off_while_a_webhook_is_answered(
    db: Database, parser: type[asyncio.Protocol]
) -> None:
    with served(db, parser) as port:
        async with contextlib.AsyncExitStack() as stack:
            slow = [await stack.enter_async_context(trickling(port, REQUEST_LINE, SLOW_HEADER)) for _ in range(5)]
            answer = await webhook(port)
            assert answer.status_code == 200
            sent = await asyncio.gather(*(closed_by_server(reader) for reader in slow))
        # Each one is cut off (`closed_by_server` fails the test otherwise) with a 408, except that a trickled
        # byte arriving after the server closed makes its kernel answer with a reset, which can discard the 408
        # before the client reads it (b""): seen once on a loaded machine. Any other answer is a failure.
        assert all(answer.startswith(b"HTTP/1.1 408 ") or answer == b"" for answer in sent), sent
        assert any(answer.startswith(b"HTTP/1.1 408 ") for answer in sent), sent


@pytest.mark.parametrize("parser", PARSERS, indirect=True)
@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
async def test_a_connection_that_sends_nothing_is_closed(db: Database, parser: type[asyncio.Protocol]) -> None:
    with served(db, parser) as port:
        async with trickling(port, b"", b"") as reader:
            await closed_by_server(reader)


@pytest.mark.parametrize("parser", PARSERS, indirect=True)
@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
async def test_a_kept_alive_connection_trickling_its_next_request_is_cut_off(
    db: Database, parser: type[asyncio.Protocol]
) -> None:
    with served(db, parser, keep_alive_seconds=30) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            writer.write(b"GET /healthz HTTP/1.1\r\nhost: module.test\r\n\r\n")
            first = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), PATIENCE)
            assert first.startswith(b"HTTP/1.1 ")  # answered, and kept alive (for 30 s)
            await reader.readexactly(int(_header(first, b"content-length")))
            writer.write(REQUEST_LINE)  # the next request's first bytes, then nothing more
            assert (await closed_by_server(reader)).startswith(b"HTTP/1.1 408 ")
        finally:
            writer.close()


@pytest.mark.parametrize("parser", PARSERS, indirect=True)
@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
async def test_a_body_that_trickles_is_cut_off_with_408(db: Database, parser: type[asyncio.Protocol]) -> None:
    with served(db, parser) as port:
        head = REQUEST_LINE + b"content-type: application/json\r\ncontent-length: 200\r\n\r\n{"
        async with trickling(port, head, b'"destination": "U' + b"1" * 100) as reader:
            sent = await closed_by_server(reader)
        assert sent.startswith(b"HTTP/1.1 408 ")
        assert (await webhook(port)).status_code == 200  # and the server goes on serving


@pytest.mark.parametrize("parser", PARSERS, indirect=True)
@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
async def test_past_the_connection_limit_requests_are_answered_503(
    db: Database, parser: type[asyncio.Protocol]
) -> None:
    with served(db, parser, max_connections=3, header_timeout_seconds=30) as port:
        async with contextlib.AsyncExitStack() as stack:
            for _ in range(3):
                await stack.enter_async_context(trickling(port, b"", b""))
            await asyncio.sleep(0.2)  # the server has accepted them
            assert (await webhook(port)).status_code == 503
        await asyncio.sleep(0.2)  # and closed them
        assert (await webhook(port)).status_code == 200


@pytest.mark.parametrize("parser", PARSERS, indirect=True)
@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
async def test_an_unhandled_exception_is_a_500_that_says_the_connection_will_close(
    db: Database, parser: type[asyncio.Protocol]
) -> None:
    """uvicorn closes the connection after an exception escaped the app; a client not told so may send its next
    request on it and see the connection dropped instead of an answer."""
    with served(db, parser) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            writer.write(b"GET /fails HTTP/1.1\r\nhost: module.test\r\n\r\n")
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), PATIENCE)
        finally:
            writer.close()
        assert head.startswith(b"HTTP/1.1 500 ")
        assert _header(head, b"connection") == b"close"


def test_the_server_takes_its_limits_from_the_settings() -> None:
    settings = make_settings(keep_alive_seconds=7, max_connections=42, header_timeout_seconds=3, body_timeout_seconds=9)
    config = ModuleApp(settings).server_config(host="127.0.0.1", port=8123)
    assert (config.timeout_keep_alive, config.limit_concurrency, config.access_log) == (7, 42, False)
    protocol: Any = config.http
    assert (protocol.header_timeout, protocol.body_timeout) == (3, 9)


def _header(head: bytes, name: bytes) -> bytes:
    for line in head.split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == name:
            return value.strip()
    raise AssertionError(f"no {name!r} header in {head!r}")
