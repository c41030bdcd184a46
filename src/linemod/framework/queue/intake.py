"""Durable webhook intake: verify, store, then acknowledge.

The signature is checked on the raw bytes (constant time) before anything is parsed. Every event of a
valid webhook is written to the `events` table, deduplicated on `webhookEventId`, and the 200 goes out only
once that transaction has committed. Concurrent webhooks are committed together (group commit): one writer
task drains everything that arrived while the previous commit was running, which keeps SQLite's single
writer and PostgreSQL's fsync from becoming one-commit-per-request.

A webhook not stored within `db_timeout` (the database does not answer, or its write lock is held) is answered
503 well inside the 2 seconds LINE waits, and LINE redelivers it where redelivery is on. Its events may still
commit after the 503 (a batch given up on while its COMMIT was on the way): the redelivery is then deduplicated.
Every failed webhook is one log line; only the first of an outage carries a traceback.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.requests import ClientDisconnect

from linemod.framework.clock import Clock
from linemod.framework.metrics import Metrics
from linemod.framework.queue.event_writer import EventWriter
from linemod.framework.storage.models import QueueStatus
from linemod.framework.tenants.known import KnownTenants

log = logging.getLogger("linemod.intake")

BOT_ID_PATTERN = re.compile(r"\AU[0-9a-f]{32}\Z")
NO_CHAT = "-"


class WebhookRejected(Exception):
    """A webhook the intake refuses; `status` and `message` are what the sender gets back."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def compute_signature(secret: str, body: bytes) -> str:
    """`x-line-signature` for `body`: Base64(HMAC-SHA256(channel secret, raw body))."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def signature_is_valid(secret: str, body: bytes, signature: str | None) -> bool:
    if not signature or not secret:
        return False
    return hmac.compare_digest(compute_signature(secret, body).encode(), signature.strip().encode())


def chat_id_of(event: dict[str, Any]) -> str | None:
    """The chat an event belongs to: the group, the room, or the 1:1 user; None for OA-wide events."""
    source = event.get("source")
    if not isinstance(source, dict):
        return None
    return source.get("groupId") or source.get("roomId") or source.get("userId")


def is_attached_event(event: dict[str, Any]) -> bool:
    module = event.get("module")
    return event.get("type") == "module" and isinstance(module, dict) and module.get("type") == "attached"


@dataclass(frozen=True)
class ParsedWebhook:
    destination: str
    events: list[dict[str, Any]]


def parse_webhook(body: bytes) -> ParsedWebhook:
    """Check the shape the intake relies on; the full SDK model is built later, by the worker."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise WebhookRejected(400, f"The request body could not be parsed as JSON ({exc})") from exc
    except RecursionError as exc:  # about 1,000 levels of nesting: no webhook LINE sends looks like that
        raise WebhookRejected(400, "The request body is nested too deeply to be a webhook") from exc
    if not isinstance(data, dict):
        raise WebhookRejected(400, "The request body must be a JSON object with destination and events")
    destination = data.get("destination")
    if not isinstance(destination, str) or not BOT_ID_PATTERN.match(destination):
        raise WebhookRejected(400, "destination must be a bot user ID (U followed by 32 hex digits)")
    events = data.get("events")
    if not isinstance(events, list):
        raise WebhookRejected(400, "events must be an array")
    for index, event in enumerate(events):
        if not isinstance(event, dict):
            raise WebhookRejected(400, f"events[{index}] must be an object")
        if not isinstance(event.get("type"), str):
            raise WebhookRejected(400, f"events[{index}].type is missing")
        event_id = event.get("webhookEventId")
        if not isinstance(event_id, str) or not event_id or len(event_id) > 64:
            raise WebhookRejected(400, f"events[{index}].webhookEventId is missing or invalid")
        if not isinstance(event.get("timestamp"), int):
            raise WebhookRejected(400, f"events[{index}].timestamp is missing")
    return ParsedWebhook(destination, events)


def event_rows(webhook: ParsedWebhook, now_ms: int) -> list[dict[str, Any]]:
    """The `events` rows of a parsed webhook, in webhook order."""
    rows = []
    for event in webhook.events:
        delivery = event.get("deliveryContext") or {}
        rows.append(
            {
                "webhook_event_id": event["webhookEventId"],
                "bot_id": webhook.destination,
                "chat_key": f"{webhook.destination}:{chat_id_of(event) or NO_CHAT}",
                "event_type": event["type"],
                "mode": event.get("mode"),
                "event_ts_ms": event["timestamp"],
                "is_redelivery": bool(delivery.get("isRedelivery", False)),
                "payload": json.dumps(event, ensure_ascii=False, separators=(",", ":")),
                "status": QueueStatus.PENDING,
                "attempts": 0,
                "run_at_ms": now_ms,
                "received_at_ms": now_ms,
            }
        )
    return rows


class WebhookIntake:
    """The webhook endpoint's logic, without HTTP: `receive(body, signature)` stores or raises."""

    def __init__(
        self,
        *,
        channel_secret: str,
        writer: EventWriter,
        tenants: KnownTenants,
        clock: Clock,
        max_body_bytes: int,
        metrics: Metrics | None = None,
        db_timeout: float | None = None,
    ) -> None:
        self.channel_secret = channel_secret
        self.writer = writer
        self.tenants = tenants
        self.clock = clock
        self.max_body_bytes = max_body_bytes
        self.metrics = metrics
        self.db_timeout = db_timeout
        """Seconds a webhook's events may take to be stored before the webhook is answered 503 (None: no
        deadline but the database's own timeouts)."""
        self._receiving: dict[int, float] = {}  # webhooks being verified and stored: when each began, in order
        self._next_receipt = 0
        self._failed_since_stored = 0

    @property
    def in_flight(self) -> int:
        """Webhooks being verified and stored right now."""
        return len(self._receiving)

    def oldest_in_flight_seconds(self) -> float:
        """How long the oldest webhook being stored has been at it (0 when none is): the intake's pressure, which
        the in-process worker steps back for. Many webhooks at once answered in milliseconds are no pressure."""
        for began in self._receiving.values():  # the first is the oldest: a dict keeps insertion order
            return time.monotonic() - began
        return 0.0

    async def receive(self, body: bytes, signature: str | None) -> int:
        """Verify and durably store a webhook; returns the number of events in it."""
        receipt, self._next_receipt = self._next_receipt, self._next_receipt + 1
        self._receiving[receipt] = time.monotonic()
        try:
            count = await self._receive(body, signature)
        except WebhookRejected as rejected:
            if self.metrics is not None:
                self.metrics.webhook_rejected(rejected.status)
            raise
        finally:
            del self._receiving[receipt]
        if self.metrics is not None:
            self.metrics.webhook_stored(count)
        return count

    async def _receive(self, body: bytes, signature: str | None) -> int:
        if len(body) > self.max_body_bytes:
            raise WebhookRejected(413, f"The request body is larger than {self.max_body_bytes} bytes")
        if not signature:
            raise WebhookRejected(401, "x-line-signature header is missing")
        if not signature_is_valid(self.channel_secret, body, signature):
            raise WebhookRejected(401, "Signature verification failed")
        webhook = parse_webhook(body)
        if not webhook.events:
            return 0  # connectivity check
        try:
            async with asyncio.timeout(self.db_timeout):
                await self._store(webhook)
        except WebhookRejected:
            raise
        except Exception as exc:  # everything past parsing is the database's work
            raise self._not_stored(webhook.destination, exc) from exc
        if self._failed_since_stored:
            log.warning("webhooks are stored again (%d answered 503 meanwhile)", self._failed_since_stored)
            self._failed_since_stored = 0
        return len(webhook.events)

    async def _store(self, webhook: ParsedWebhook) -> None:
        if not await self.tenants.is_known(webhook.destination) and not any(
            is_attached_event(e) for e in webhook.events
        ):
            raise WebhookRejected(
                404,
                f"Unknown destination {webhook.destination}: this module is not attached to that OA "
                "(no attached event has been received for it)",
            )
        await self.writer.store(event_rows(webhook, self.clock.now_ms()))
        self.tenants.remember(webhook.destination)

    def _not_stored(self, bot_id: str, exc: Exception) -> WebhookRejected:
        """The 503 of a webhook the database did not store, logged in one line. During an outage every
        webhook fails the same way: a traceback each (thousands a second under load) would bury the one that
        says why, so only the first failure after a stored webhook carries it, and a deadline none."""
        if isinstance(exc, TimeoutError):
            within = f" within {round(self.db_timeout * 1000)} ms" if self.db_timeout is not None else " in time"
            reason = f"database did not answer{within}"
        else:
            reason = f"database error: {_one_line(exc)}"
        first = self._failed_since_stored == 0
        self._failed_since_stored += 1
        traceback = exc if first and not isinstance(exc, TimeoutError) else None
        log.warning("webhook 503: %s (bot %s)", reason, bot_id, exc_info=traceback)
        return WebhookRejected(503, f"The webhook could not be stored ({reason}); LINE may send it again")


def _one_line(exc: BaseException, limit: int = 200) -> str:
    """The exception's type and the first line of its message (later lines of a driver's error may quote the
    statement's parameters: the webhook's content)."""
    lines = str(exc).strip().splitlines()
    text = f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


OK_BODY = b"{}"


def webhook_router(path: str, get_intake: Callable[[], WebhookIntake]) -> APIRouter:
    """The HTTP face of the intake: POST `path`, answers `{}` with 200 or `{"message"}` with 4xx.

    A plain Starlette endpoint (no FastAPI dependency solving or body validation): it is the hottest path
    of the server and needs nothing but the raw bytes and one header.
    """
    router = APIRouter()

    async def receive_webhook(request: Request) -> Response:
        intake = get_intake()
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > intake.max_body_bytes:
            return _too_large(intake)
        body = bytearray()
        try:
            async for chunk in request.stream():
                body += chunk
                if len(body) > intake.max_body_bytes:
                    return _too_large(intake)
        except ClientDisconnect:
            # Gone before the whole body arrived (or cut off by the server's body timeout): nobody reads an
            # answer, and this is not an error of the app's to log with a traceback.
            return _error(400, "The request body did not arrive")
        try:
            await intake.receive(bytes(body), request.headers.get("x-line-signature"))
        except WebhookRejected as rejected:
            return _error(rejected.status, rejected.message)
        return Response(OK_BODY, media_type="application/json")

    router.add_route(path, receive_webhook, methods=["POST"], include_in_schema=False)
    return router


def _too_large(intake: WebhookIntake) -> Response:
    if intake.metrics is not None:
        intake.metrics.webhook_rejected(413)
    return _error(413, "The request body is too large")


def _error(status: int, message: str) -> Response:
    return JSONResponse({"message": message}, status_code=status)
