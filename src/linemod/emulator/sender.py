"""The HTTP client under webhook delivery: one POST, judged the way LINE judges a receiver (rule 57), sent again
once on a fresh connection when the receiver provably never read it (choice 49 of docs/emulator-behaviour.md).

aiohttp rather than httpx (issue 17, measured with `benchmarks/emulator.py --case fanout`): httpcore's pool
walks every pooled connection, with a socket poll for each, on every request, so the emulator's CPU per webhook
grew with the receivers and OAs it talked to; aiohttp keeps a queue of idle connections per receiver, takes one
in constant time and parses answers in C.
"""

from __future__ import annotations

import contextlib
import errno
import ssl
import time
from dataclasses import dataclass

import aiohttp

USER_AGENT = "LineBotWebhook/2.0"

# The connection broke under the request: the receiver reset or closed it without a byte of answer.
_BROKEN = frozenset({errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED})


def _broke_under(exc: BaseException | None) -> bool:
    """Whether a reset or a closed connection is behind `exc`: aiohttp reports a request it could not finish
    writing ("Cannot write to closing transport") as an error without errno, caused by a ConnectionResetError."""
    while exc is not None:
        if isinstance(exc, ConnectionError) or getattr(exc, "errno", None) in _BROKEN:
            return True
        exc = exc.__cause__
    return False


@dataclass
class Outcome:
    """One POST as the receiver saw it: its status, or why there is none (LINE's failure reasons)."""

    status_code: int | None
    error: str | None
    detail: str = ""
    unanswered: bool = False  # the connection broke before any byte of the answer: never the receiver's doing
    duration_ms: float = 0.0


class WebhookSender:
    def __init__(
        self, concurrency: int, timeout_seconds: float, keepalive_seconds: float, *, ca_file: str | None = None
    ) -> None:
        self.concurrency = concurrency
        self.ca_file = ca_file
        self.timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        # An idle connection is reused only this long (`webhook_keepalive_seconds`, 1.5 s). Receivers close
        # theirs after their own keep-alive (uvicorn and Node 5 s, gunicorn 2 s); a request written onto a
        # connection the receiver is closing at that moment never arrives. Staying below the common horizons
        # makes that race rare; the fresh-connection resend covers receivers with a shorter one.
        self.keepalive_seconds = keepalive_seconds
        self._pooled: aiohttp.ClientSession | None = None
        self._fresh: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        # One queue of idle connections per receiver (aiohttp's per-host pool), bounded in total by the
        # number of POSTs in flight; the fresh-connection session never keeps one.
        tls = self._tls()
        pooled = aiohttp.TCPConnector(limit=self.concurrency, keepalive_timeout=self.keepalive_seconds, ssl=tls)
        fresh = aiohttp.TCPConnector(limit=self.concurrency, force_close=True, ssl=tls)
        self._pooled = self._session(pooled)
        self._fresh = self._session(fresh)

    def _tls(self) -> ssl.SSLContext | bool:
        """Webhook URLs on https are verified as LINE does, against the system's authorities, plus those of
        `webhook_ca_file` (a private or self-signed certificate a test or a staging proxy serves)."""
        if not self.ca_file:
            return True
        context = ssl.create_default_context()
        context.load_verify_locations(cafile=self.ca_file)
        return context

    def _session(self, connector: aiohttp.TCPConnector) -> aiohttp.ClientSession:
        return aiohttp.ClientSession(connector=connector, timeout=self.timeout, auto_decompress=False,
                                     headers={"user-agent": USER_AGENT})

    async def stop(self) -> None:
        for session in (self._pooled, self._fresh):
            if session is not None:
                await session.close()
        self._pooled = self._fresh = None

    async def post(self, url: str, raw: bytes, signature: str) -> list[Outcome]:
        """POSTs `raw`; returns the attempt, preceded by the one that broke unanswered when it was resent."""
        assert self._pooled is not None and self._fresh is not None
        first = await self._post(self._pooled, url, raw, signature)
        if not first.unanswered:
            return [first]
        return [first, await self._post(self._fresh, url, raw, signature)]

    async def _post(self, session: aiohttp.ClientSession, url: str, raw: bytes, signature: str) -> Outcome:
        started = time.perf_counter()
        outcome = await self._judge(session, url, raw, signature)
        outcome.duration_ms = round((time.perf_counter() - started) * 1000, 3)
        return outcome

    async def _judge(self, session: aiohttp.ClientSession, url: str, raw: bytes, signature: str) -> Outcome:
        headers = {"content-type": "application/json; charset=utf-8", "x-line-signature": signature}
        try:
            async with session.post(url, data=raw, headers=headers) as response:
                status = response.status
                # The answer's body is read so that the connection can serve the next POST; a receiver that
                # answered is judged by its status, whatever happens to the rest of its body.
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    await response.read()
        except TimeoutError:
            return Outcome(None, "request_timeout", "Request timeout")
        except aiohttp.ClientConnectorError as exc:
            return Outcome(None, "could_not_connect", str(exc))
        except aiohttp.ServerDisconnectedError as exc:
            # Its message is the answer's head when one had come; a plain text when none had.
            unanswered = isinstance(exc.message, str)
            return Outcome(None, f"unclassified: {type(exc).__name__}", str(exc), unanswered=unanswered)
        except aiohttp.ClientOSError as exc:
            return Outcome(None, f"unclassified: {type(exc).__name__}", str(exc), unanswered=_broke_under(exc))
        except (aiohttp.InvalidURL, ValueError, OSError) as exc:
            # A URL aiohttp refuses (its scheme, a host IDNA refuses) cannot be connected to.
            return Outcome(None, "could_not_connect", str(exc) or type(exc).__name__)
        except aiohttp.ClientError as exc:  # an answer that is not HTTP, among others
            return Outcome(None, f"unclassified: {type(exc).__name__}", str(exc))
        if not 200 <= status < 300:
            return Outcome(status, "error_status_code", f"{status}")
        return Outcome(status, None, f"{status}")
