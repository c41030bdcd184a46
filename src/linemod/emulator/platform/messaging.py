"""Sending messages (docs/emulator-behaviour.md: rules 60–69): reply tokens, push, multicast, broadcast,
narrowcast, the retry-key ledger and the monthly quota.

Every function takes an authenticated, scope-checked `Caller`; the HTTP layer has done that.
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from linemod.emulator import ids
from linemod.emulator.errors import (
    INVALID_REPLY_TOKEN,
    MONTHLY_LIMIT,
    LineApiError,
    forbidden,
    invalid_property,
)
from linemod.emulator.platform.entities import Channel, OfficialAccount
from linemod.emulator.validation.messages import validate_messages

if TYPE_CHECKING:
    from linemod.emulator.platform.world import Caller, Platform

REPLY_WINDOW_MS = 60_000
REPLY_HARD_LIMIT_MS = 20 * 60_000
RETRY_KEY_TTL_MS = 24 * 3600 * 1000
PUSH_WINDOW_AFTER_MESSAGE_MS = 7 * 24 * 3600 * 1000
MULTICAST_MAX = 500
QUOTABLE = frozenset({"text", "sticker", "image", "video"})
UUID_RE = re.compile(r"\A[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")
AGGREGATION_UNIT_RE = re.compile(r"\A[A-Za-z0-9_]{1,30}\Z")


@dataclass
class ReplyToken:
    token: str
    channel_id: str
    bot_id: str
    person: str
    event_timestamp: int
    window_start_ms: int
    used: bool = False


@dataclass
class AcceptedRetry:
    request_id: str
    at_ms: int
    sent_messages: list[dict[str, str]] | None


class MessagingArea:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.reply_tokens: dict[str, ReplyToken] = {}
        self.retry_keys: dict[tuple[str, str, str], AcceptedRetry] = {}
        self.usage: dict[str, dict[str, int]] = {}  # bot_id -> {"YYYY-MM": messages}
        self.narrowcasts: dict[str, dict[str, Any]] = {}
        self._pruned_at_ms = 0

    # ---- reply tokens -----------------------------------------------------------------------

    def issue_reply_token(self, channel: Channel, account: OfficialAccount, person: str, event_ts: int) -> str:
        token = ids.opaque_token(32)
        self.reply_tokens[token] = ReplyToken(
            token, channel.channel_id, account.bot_id, person, event_ts, self.platform.clock.now_ms()
        )
        return token

    def prune(self) -> None:
        """Forgets reply tokens past the 20-minute limit: they can never be used again, and a load test
        would otherwise keep millions of them."""
        now = self.platform.clock.now_ms()
        if now - self._pruned_at_ms < 60_000:
            return
        self._pruned_at_ms = now
        self.reply_tokens = {
            token: record for token, record in self.reply_tokens.items()
            if now - record.event_timestamp <= REPLY_HARD_LIMIT_MS
        }

    def restart_reply_window(self, token: str) -> None:
        """A redelivered webhook gives its token a fresh minute (rule 61), within the 20-minute cap."""
        record = self.reply_tokens.get(token)
        if record is not None:
            record.window_start_ms = self.platform.clock.now_ms()

    def _take_reply_token(self, caller: Caller, token: Any) -> ReplyToken:
        record = self.reply_tokens.get(token) if isinstance(token, str) else None
        now = self.platform.clock.now_ms()
        account = caller.require_account()
        if (
            record is None
            or record.used
            or record.channel_id != caller.channel.channel_id
            or record.bot_id != account.bot_id
            or now - record.window_start_ms > REPLY_WINDOW_MS
            or now - record.event_timestamp > REPLY_HARD_LIMIT_MS
        ):
            raise LineApiError(400, INVALID_REPLY_TOKEN)
        return record

    # ---- sending ----------------------------------------------------------------------------

    def _sender(self, caller: Caller) -> str:
        return f"channel:{caller.channel.channel_id}"

    def _deliverable(self, account: OfficialAccount, person: str) -> bool:
        if self.platform.groups.of_account(account.bot_id, person) is not None:
            return True
        friendship = account.friends.get(person)
        if friendship is None or friendship.blocked:
            return False
        if friendship.friend:
            return True
        last = friendship.last_message_ms
        return last is not None and self.platform.clock.now_ms() - last <= PUSH_WINDOW_AFTER_MESSAGE_MS

    def _check_standby(self, caller: Caller, account: OfficialAccount, person: str) -> None:
        strict = self.platform.settings.strict_standby and caller.is_module
        if strict and self.platform.chat_control.holder(account, person) != caller.channel.channel_id:
            raise forbidden()

    def _deliver(self, caller: Caller, account: OfficialAccount, person: str,
                 messages: list[dict[str, Any]], delivered: bool) -> list[dict[str, str]]:
        sent = []
        for message in messages:
            entry = self.platform.record(account.bot_id, person, self._sender(caller), message, delivered)
            item = {"id": entry.id}
            if message.get("type") in QUOTABLE:
                item["quoteToken"] = ids.opaque_token(40)
            sent.append(item)
        if delivered:
            self.platform.stats.note_delivery(person, messages, [item["id"] for item in sent])
        return sent

    def _month(self) -> str:
        # time.gmtime, not datetime.strftime: this runs twice on every push.
        now = time.gmtime(self.platform.clock.now_s())
        return f"{now.tm_year:04d}-{now.tm_mon:02d}"

    def usage_this_month(self, bot_id: str) -> int:
        return self.usage.get(bot_id, {}).get(self._month(), 0)

    def _charge(self, account: OfficialAccount, recipients: int) -> None:
        limit = self.platform.settings.monthly_message_limit
        used = self.usage_this_month(account.bot_id)
        if limit is not None and used + recipients > limit:
            raise LineApiError(429, MONTHLY_LIMIT)
        month = self._month()
        per_bot = self.usage.setdefault(account.bot_id, {})
        per_bot[month] = per_bot.get(month, 0) + recipients

    def _messages(self, body: Any) -> list[dict[str, Any]]:
        if not isinstance(body, dict):
            raise LineApiError(400, "The request body could not be parsed as JSON (line: 1, column: 1)")
        validate_messages(body.get("messages"))
        messages: list[dict[str, Any]] = body["messages"]
        return messages

    def _check_units(self, body: dict[str, Any]) -> None:
        units = body.get("customAggregationUnits")
        if units is None:
            return
        if not isinstance(units, list) or len(units) > 1 or not all(
            isinstance(u, str) and AGGREGATION_UNIT_RE.match(u) for u in units
        ):
            raise invalid_property("customAggregationUnits")
        self.platform.stats.note_units(units)

    def _person_for(self, caller: Caller, to: Any, prop: str) -> str:
        if not isinstance(to, str) or not to:
            raise invalid_property(prop)
        person = self.platform.resolve_user(caller, to)
        if person is None and self.platform.groups.of_account(caller.require_account().bot_id, to) is not None:
            return to  # a group the OA is in (choice 34): its chat stands where a user's does
        if person is None:
            if ids.GROUP_ID_RE.match(to) or ids.ROOM_ID_RE.match(to) or ids.is_chat_id(to):
                raise LineApiError(400, "Failed to send messages")
            raise invalid_property(prop)
        return person

    def checked_messages(self, body: Any) -> list[dict[str, Any]]:
        """A send request's `messages`, checked as every send checks them (for senders outside this area)."""
        return self._messages(body)

    def deliver_one(self, caller: Caller, account: OfficialAccount, person: str,
                    messages: list[dict[str, Any]]) -> list[dict[str, str]]:
        """Charges one message to the quota and delivers `messages` to `person` (LINE notification messages)."""
        self._charge(account, 1)
        return self._deliver(caller, account, person, messages, True)

    def reply(self, caller: Caller, body: Any) -> dict[str, Any]:
        account = self.platform.require_usable(caller)
        messages = self._messages(body)
        record = self._take_reply_token(caller, body.get("replyToken"))
        record.used = True
        friendship = account.friends.get(record.person)
        delivered = friendship is None or not friendship.blocked
        sent = self._deliver(caller, account, record.person, messages, delivered)
        return {"sentMessages": sent}

    def check_retry_key(self, caller: Caller, key: str | None) -> None:
        """Rule 67: a key already accepted within 24 h answers 409 and sends nothing."""
        if key is None:
            return
        if not UUID_RE.match(key):
            raise LineApiError(400, "The retry key must be specified in UUID format")
        accepted = self.retry_keys.get(self._retry_slot(caller, key))
        if accepted is None or self.platform.clock.now_ms() - accepted.at_ms > RETRY_KEY_TTL_MS:
            return
        extra: dict[str, Any] = {}
        if accepted.sent_messages is not None:
            extra["sentMessages"] = accepted.sent_messages
        raise LineApiError(409, "The retry key is already accepted", extra=extra,
                           headers={"x-line-accepted-request-id": accepted.request_id})

    def _retry_slot(self, caller: Caller, key: str) -> tuple[str, str, str]:
        return (caller.channel.channel_id, caller.bot_id or "", key.lower())

    def accept_retry_key(self, caller: Caller, key: str | None, request_id: str,
                         sent_messages: list[dict[str, str]] | None) -> None:
        if key is not None:
            self.retry_keys[self._retry_slot(caller, key)] = AcceptedRetry(
                request_id, self.platform.clock.now_ms(), sent_messages
            )

    def push(self, caller: Caller, body: Any) -> dict[str, Any]:
        account = self.platform.require_usable(caller)
        messages = self._messages(body)
        self._check_units(body)
        person = self._person_for(caller, body.get("to"), "to")
        self._check_standby(caller, account, person)
        delivered = self._deliverable(account, person)
        if delivered:
            group = self.platform.groups.of_account(account.bot_id, person)
            self._charge(account, len(group.members) if group is not None else 1)  # a group: each member counts
        return {"sentMessages": self._deliver(caller, account, person, messages, delivered)}

    def multicast(self, caller: Caller, body: Any) -> dict[str, Any]:
        account = self.platform.require_usable(caller)
        messages = self._messages(body)
        self._check_units(body)
        to = body.get("to")
        if not isinstance(to, list) or not to or len(to) > MULTICAST_MAX:
            raise LineApiError(400, "The request body has 1 error(s)",
                               extra={"details": [{"message": "Size must be between 1 and 500", "property": "to"}]})
        people = []
        for index, seen in enumerate(to):
            # Rule 65: user IDs only; one bad entry and nothing is sent to anyone.
            if not isinstance(seen, str) or ids.GROUP_ID_RE.match(seen) or ids.ROOM_ID_RE.match(seen):
                raise invalid_property(f"to[{index}]")
            person = self.platform.resolve_user(caller, seen)
            if person is None and not ids.is_chat_id(seen):
                raise invalid_property(f"to[{index}]")
            if person is not None:
                people.append(person)
        targets = [p for p in dict.fromkeys(people) if self._deliverable(account, p)]
        self._charge(account, len(targets))
        for person in dict.fromkeys(people):
            self._deliver(caller, account, person, messages, person in targets)
        return {}

    def broadcast(self, caller: Caller, body: Any) -> dict[str, Any]:
        account = self.platform.require_usable(caller)
        messages = self._messages(body)
        targets = [p for p, f in account.friends.items() if f.friend and not f.blocked]
        self._charge(account, len(targets))
        for person in targets:
            self._deliver(caller, account, person, messages, True)
        return {}

    def narrowcast(self, caller: Caller, body: Any, request_id: str) -> dict[str, Any]:
        """Accepted at once (202); the recipients are resolved and the messages sent before the answer, so the
        progress is final when first read (choice 43 of docs/emulator-behaviour.md)."""
        from linemod.emulator.platform.narrowcast import NarrowcastFailure, Targeting

        account = self.platform.require_usable(caller)
        messages = self._messages(body)
        targeting = Targeting(self.platform, account)
        targeting.check(body)
        now = _iso(self.platform.clock.now_ms())
        try:
            targets = targeting.targets(body)
        except NarrowcastFailure as failure:
            self.narrowcasts[request_id] = {"phase": "failed", "acceptedTime": now, "completedTime": now,
                                            "failedDescription": failure.description, "errorCode": failure.code}
            return {}
        limit = body.get("limit") or {}
        if limit.get("upToRemainingQuota") and self.platform.settings.monthly_message_limit is not None:
            remaining = self.platform.settings.monthly_message_limit - self.usage_this_month(account.bot_id)
            if len(targets) > remaining and limit.get("forbidPartialDelivery"):
                self.narrowcasts[request_id] = {
                    "phase": "failed", "acceptedTime": now, "completedTime": now, "errorCode": 4,
                    "failedDescription": "the remaining quota is below the number of recipients"}
                return {}
            targets = targets[:max(remaining, 0)]
        self._charge(account, len(targets))
        for person in targets:
            self._deliver(caller, account, person, messages, True)
        self.narrowcasts[request_id] = {
            "phase": "succeeded", "successCount": len(targets), "failureCount": 0, "targetCount": len(targets),
            "acceptedTime": now, "completedTime": now,
        }
        return {}

    def narrowcast_progress(self, request_id: str | None) -> dict[str, Any]:
        if not request_id:
            raise LineApiError(400, "The request body has 1 error(s)",
                               extra={"details": [{"message": "may not be empty", "property": "requestId"}]})
        progress = self.narrowcasts.get(request_id)
        if progress is None:
            raise LineApiError(404, "Not found")
        return progress

    # ---- snapshot ---------------------------------------------------------------------------

    def export(self) -> dict[str, Any]:
        return {
            "reply_tokens": [asdict(t) for t in self.reply_tokens.values()],
            "retry_keys": [{"slot": list(k), **asdict(v)} for k, v in self.retry_keys.items()],
            "usage": self.usage,
            "narrowcasts": self.narrowcasts,
        }

    def load(self, data: dict[str, Any]) -> None:
        self.reply_tokens = {t["token"]: ReplyToken(**t) for t in data.get("reply_tokens", [])}
        self.retry_keys = {}
        for item in data.get("retry_keys", []):
            item = dict(item)
            slot = tuple(item.pop("slot"))
            self.retry_keys[(slot[0], slot[1], slot[2])] = AcceptedRetry(**item)
        self.usage = data.get("usage", {})
        self.narrowcasts = data.get("narrowcasts", {})


def _iso(ms: int) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
