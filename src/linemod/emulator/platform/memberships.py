"""Memberships (paid subscription plans of an OA): plans and members are set up through the control API, as
an OA's admin and its users would in the LINE app; the Messaging API reads them (choice 46)."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from linemod.emulator.errors import ControlError, Detail, LineApiError, invalid_property, not_found, validation_error
from linemod.emulator.platform.demographics import JST

if TYPE_CHECKING:
    from linemod.emulator.platform.world import Caller, Platform

USERS_LIMIT_DEFAULT, USERS_LIMIT_MAX = 300, 1000


@dataclass
class Member:
    person: str
    membership_no: int
    joined_ms: int


@dataclass
class Membership:
    membership_id: int
    bot_id: str
    title: str
    description: str
    benefits: list[str]
    price: float
    currency: str
    member_limit: int | None = None
    is_in_app_purchase: bool = False
    is_published: bool = True
    members: list[Member] = field(default_factory=list)

    def plan(self) -> dict[str, Any]:
        return {"membershipId": self.membership_id, "title": self.title, "description": self.description,
                "benefits": list(self.benefits), "price": self.price, "currency": self.currency}

    def public(self) -> dict[str, Any]:
        return {**self.plan(), "memberCount": len(self.members), "memberLimit": self.member_limit,
                "isInAppPurchase": self.is_in_app_purchase, "isPublished": self.is_published}


class MembershipArea:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.memberships: dict[int, Membership] = {}
        self._ids = itertools.count(random.randint(1000, 9000))

    # ---- control API --------------------------------------------------------------------------

    def create(self, bot_id: str, spec: dict[str, Any]) -> Membership:
        self.platform.account(bot_id)
        membership = Membership(next(self._ids), bot_id, **spec)
        self.memberships[membership.membership_id] = membership
        return membership

    def _of_account(self, bot_id: str, membership_id: int) -> Membership:
        membership = self.memberships.get(membership_id)
        if membership is None or membership.bot_id != bot_id:
            raise ControlError(404, f"membership {membership_id} not found")
        return membership

    def join(self, bot_id: str, membership_id: int, person: str) -> dict[str, Any]:
        membership = self._of_account(bot_id, membership_id)
        self.platform.person(person)
        if any(m.person == person for m in membership.members):
            raise ControlError(409, "the user is already a member")
        if membership.member_limit is not None and len(membership.members) >= membership.member_limit:
            raise ControlError(409, "the membership is full")
        number = max((m.membership_no for m in membership.members), default=0) + 1
        membership.members.append(Member(person, number, self.platform.clock.now_ms()))
        return {"membership_no": number, "webhook_event_ids": self._event(membership, person, "joined")}

    def _event(self, membership: Membership, person: str, kind: str) -> list[str]:
        """The `membership` event the user's joining, leaving or renewing sends the OA's channels."""
        account = self.platform.account(membership.bot_id)
        content = {"type": kind, "membershipId": membership.membership_id}
        return self.platform.webhooks.chat_event(account, person, "membership",
                                                 lambda channel: {"membership": dict(content)})

    def renew(self, bot_id: str, membership_id: int, person: str) -> dict[str, Any]:
        membership = self._of_account(bot_id, membership_id)
        if not any(m.person == person for m in membership.members):
            raise ControlError(404, "the user is not a member")
        return {"webhook_event_ids": self._event(membership, person, "renewed")}

    def leave(self, bot_id: str, membership_id: int, person: str) -> None:
        membership = self._of_account(bot_id, membership_id)
        before = len(membership.members)
        membership.members = [m for m in membership.members if m.person != person]
        if len(membership.members) == before:
            raise ControlError(404, "the user is not a member")
        self._event(membership, person, "left")

    # ---- Messaging API ------------------------------------------------------------------------

    def list_plans(self, caller: Caller) -> dict[str, Any]:
        bot_id = caller.require_account().bot_id
        return {"memberships": [m.public() for m in self.memberships.values() if m.bot_id == bot_id]}

    def subscription(self, caller: Caller, user_id: str) -> dict[str, Any]:
        person = self.platform.resolve_user(caller, user_id)
        if person is None:
            raise LineApiError(400, "Invalid user ID", [Detail("The user ID is not valid", "userId")])
        bot_id = caller.require_account().bot_id
        now = dt.datetime.fromtimestamp(self.platform.clock.now_ms() / 1000, JST)
        out = []
        for membership in self.memberships.values():
            member = next((m for m in membership.members if m.person == person), None)
            if membership.bot_id != bot_id or member is None:
                continue
            joined = dt.datetime.fromtimestamp(member.joined_ms / 1000, JST)
            months = (now.year - joined.year) * 12 + now.month - joined.month + 1
            out.append({"membership": membership.plan(), "user": {
                "membershipNo": member.membership_no, "joinedTime": member.joined_ms // 1000,
                "nextBillingDate": _add_months(joined, months).strftime("%Y/%m/%d"),
                "totalSubscriptionMonths": months}})
        return {"subscriptions": out}

    def member_ids(self, caller: Caller, membership_id: str, start: str | None, limit: str | None
                   ) -> dict[str, Any]:
        account = caller.require_account()
        if not membership_id.isdigit():
            raise invalid_property("membershipId")
        membership = self.memberships.get(int(membership_id))
        if membership is None or membership.bot_id != account.bot_id:
            raise not_found("Membership not found")
        size = USERS_LIMIT_DEFAULT
        if limit is not None:
            if not limit.isdigit() or not 1 <= int(limit) <= USERS_LIMIT_MAX:
                raise validation_error([Detail(f"must be between 1 and {USERS_LIMIT_MAX}", "limit")])
            size = int(limit)
        offset = 0
        if start is not None:
            if not start.isdigit() or int(start) > len(membership.members):
                raise LineApiError(400, "The start token is invalid or expired")
            offset = int(start)
        page = membership.members[offset:offset + size]
        out: dict[str, Any] = {"userIds": [self.platform.seen_id(caller.channel, account.bot_id, m.person)
                                           for m in page]}
        if offset + size < len(membership.members):
            out["next"] = str(offset + size)
        return out

    def export(self) -> dict[str, Any]:
        return {"memberships": [asdict(m) for m in self.memberships.values()]}

    def load(self, data: dict[str, Any]) -> None:
        self.memberships = {}
        for raw in data.get("memberships", []):
            membership = Membership(**{**raw, "members": [Member(**m) for m in raw.get("members", [])]})
            self.memberships[membership.membership_id] = membership
        if self.memberships:
            self._ids = itertools.count(max(self.memberships) + 1)  # new plans never take a restored plan's ID


def _add_months(moment: dt.datetime, months: int) -> dt.date:
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    for day in (moment.day, 30, 29, 28):
        try:
            return dt.date(year, month, day)
        except ValueError:
            continue
    return dt.date(year, month, 28)
