"""Friends' user IDs (`/v2/bot/followers/ids`) and LINE notification messages sent by phone number
(`/bot/pnp/push`): the emulator's people get a phone number through the control API (choice 48)."""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING, Any

from linemod.emulator.errors import Detail, LineApiError, forbidden, invalid_property, validation_error

if TYPE_CHECKING:
    from linemod.emulator.platform.world import Caller, Platform

FOLLOWERS_LIMIT_DEFAULT, FOLLOWERS_LIMIT_MAX = 300, 1000
E164_RE = re.compile(r"\A\+[1-9][0-9]{6,14}\Z")
SHA256_RE = re.compile(r"\A[0-9a-f]{64}\Z")
DELIVERY_TAG_MIN, DELIVERY_TAG_MAX = 16, 100


def followers(platform: Platform, caller: Caller, start: str | None, limit: str | None) -> dict[str, Any]:
    """Friends who have not blocked the OA, oldest friendship first, as the caller sees them; `next` is the
    index of the next page (choice 48)."""
    account = platform.require_usable(caller)
    if account.brand_type == "unverified":
        raise forbidden()  # LINE offers the list to verified and premium accounts only
    size = FOLLOWERS_LIMIT_DEFAULT
    if limit is not None:
        if not limit.isdigit() or not 1 <= int(limit) <= FOLLOWERS_LIMIT_MAX:
            raise LineApiError(400, "limit must be between 1 and 1000",
                               [Detail(f"must be between 1 and {FOLLOWERS_LIMIT_MAX}", "limit")])
        size = int(limit)
    friends = sorted((f.since_ms, p) for p, f in account.friends.items() if f.friend and not f.blocked)
    offset = 0
    if start is not None:
        if not start.isdigit() or int(start) > len(friends):
            raise LineApiError(400, "start is incorrect or expired")
        offset = int(start)
    page = friends[offset:offset + size]
    out: dict[str, Any] = {"userIds": [platform.seen_id(caller.channel, account.bot_id, p) for _, p in page]}
    if offset + size < len(friends):
        out["next"] = str(offset + size)
    return out


def person_by_phone(platform: Platform, to: str) -> str | None:
    """`to` is an E.164 number or its SHA-256 hex digest, as LINE accepts both."""
    for person in platform.people.values():
        number = person.phone_number
        if number and (to == number or to == hashlib.sha256(number.encode()).hexdigest()):
            return person.user_id
    return None


def pnp_push(platform: Platform, caller: Caller, body: Any, delivery_tag: str | None) -> dict[str, Any]:
    account = platform.require_usable(caller)
    if delivery_tag is not None and not DELIVERY_TAG_MIN <= len(delivery_tag) <= DELIVERY_TAG_MAX:
        raise validation_error([Detail(f"size must be between {DELIVERY_TAG_MIN} and {DELIVERY_TAG_MAX}",
                                       "X-Line-Delivery-Tag")])
    messages = platform.messaging.checked_messages(body)
    to = body.get("to")
    if not isinstance(to, str) or not (E164_RE.match(to) or SHA256_RE.match(to)):
        raise invalid_property("to")
    person = person_by_phone(platform, to)
    friendship = account.friends.get(person) if person else None
    # A user LINE cannot match to the number, or who blocked the OA, gets nothing; the request still succeeds.
    if person is not None and not (friendship is not None and friendship.blocked):
        platform.messaging.deliver_one(caller, account, person, messages)
        # The delivery completion event carries the tag, or else the number hashed as LINE hashes it.
        number = platform.people[person].phone_number or ""
        data = delivery_tag or hashlib.sha256(number.encode()).hexdigest()
        platform.webhooks.to_sender(caller.channel, account, {"type": "delivery", "delivery": {"data": data}})
    return {}
