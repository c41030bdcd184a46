"""Narrowcast's recipients (audiences, redelivery, and/or/not) and demographic filters (gender, age, area,
app type, friendship period), resolved against the emulator's people (choice 43 in docs/emulator-behaviour.md).

A request whose objects are malformed is refused at once (400); one LINE accepts but cannot send (an audience
that is not ready, too few recipients) is accepted and fails in its progress, as LINE's does.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from linemod.emulator.errors import LineApiError, invalid_property
from linemod.emulator.platform import demographics as demo

if TYPE_CHECKING:
    from linemod.emulator.platform.entities import OfficialAccount
    from linemod.emulator.platform.world import Platform

MIN_TARGETED_REACH = 100  # a demographic filter needs this many targetable friends
MIN_RECIPIENTS = 50  # with an audience or a demographic filter, at least this many must remain
MAX_OPERANDS = 10
AREA_PREFIXES = ("jp_", "tw_", "th_", "id_")


class NarrowcastFailure(Exception):
    """Accepted, but failed while sending: `errorCode` 2 (too few recipients) or 1."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


class Targeting:
    def __init__(self, platform: Platform, account: OfficialAccount) -> None:
        self.platform = platform
        self.account = account
        self.friends = [p for p, f in account.friends.items() if f.friend and not f.blocked]
        self.needs_minimum = False

    def check(self, body: dict[str, Any]) -> None:
        """Refuses malformed recipient, filter and limit objects (the synchronous 400s)."""
        if body.get("recipient") is not None:
            self._check_recipient(body["recipient"], "recipient")
        demographic = body.get("filter")
        if demographic is not None:
            if not isinstance(demographic, dict):
                raise invalid_property("filter")
            if demographic.get("demographic") is not None:
                self._check_filter(demographic["demographic"], "filter.demographic")
        limit = body.get("limit")
        if limit is not None:
            if not isinstance(limit, dict):
                raise invalid_property("limit")
            top = limit.get("max")
            if top is not None and (not isinstance(top, int) or isinstance(top, bool) or top < 1):
                raise invalid_property("limit.max")
            for flag in ("upToRemainingQuota", "forbidPartialDelivery"):
                if limit.get(flag) is not None and not isinstance(limit[flag], bool):
                    raise invalid_property(f"limit.{flag}")

    def targets(self, body: dict[str, Any]) -> list[str]:
        """The friends the request reaches, or NarrowcastFailure."""
        chosen = list(self.friends)
        if body.get("recipient") is not None:
            self.needs_minimum = True
            allowed = self._recipients(body["recipient"])
            chosen = [p for p in chosen if p in allowed]
        demographic = (body.get("filter") or {}).get("demographic")
        if demographic is not None:
            self.needs_minimum = True
            reach = sum(1 for p in self.friends if self._targetable(p))
            if reach < MIN_TARGETED_REACH:
                raise NarrowcastFailure(2, f"the account's targeted reach is {reach}, below {MIN_TARGETED_REACH}")
            chosen = [p for p in chosen if self._targetable(p) and self._matches(demographic, p)]
        if self.needs_minimum and len(chosen) < MIN_RECIPIENTS:
            raise NarrowcastFailure(2, f"{len(chosen)} recipients, below the minimum of {MIN_RECIPIENTS}")
        top = (body.get("limit") or {}).get("max")
        if isinstance(top, int) and len(chosen) > top:
            chosen = random.sample(chosen, top)  # LINE picks the recipients at random
        return chosen

    # ---- recipients ---------------------------------------------------------------------------

    def _check_recipient(self, node: Any, prop: str) -> None:
        if not isinstance(node, dict):
            raise invalid_property(prop)
        kind = node.get("type")
        if kind == "audience":
            group = node.get("audienceGroupId")
            if not isinstance(group, int) or isinstance(group, bool):
                raise invalid_property(f"{prop}.audienceGroupId")
            if self.platform.audiences.find(self.account.bot_id, group) is None:
                raise LineApiError(400, "audience group not found", extra={
                    "details": [{"message": "AUDIENCE_GROUP_NOT_FOUND", "property": f"{prop}.audienceGroupId"}]})
        elif kind == "redelivery":
            request_id = node.get("requestId")
            record = self.platform.stats.sends.get(request_id) if isinstance(request_id, str) else None
            if record is None or record.bot_id != self.account.bot_id:
                raise invalid_property(f"{prop}.requestId")
        elif kind == "operator":
            self._check_operator(node, prop, self._check_recipient)
        else:
            raise invalid_property(f"{prop}.type")

    def _check_operator(self, node: dict[str, Any], prop: str, check: Any) -> None:
        present = [key for key in ("and", "or", "not") if node.get(key) is not None]
        if len(present) != 1:
            raise invalid_property(prop)
        key = present[0]
        if key == "not":
            check(node["not"], f"{prop}.not")
            return
        operands = node[key]
        if not isinstance(operands, list) or not operands or len(operands) > MAX_OPERANDS:
            raise invalid_property(f"{prop}.{key}")
        for index, operand in enumerate(operands):
            check(operand, f"{prop}.{key}[{index}]")

    def _recipients(self, node: dict[str, Any]) -> set[str]:
        kind = node["type"]
        if kind == "audience":
            group = self.platform.audiences.find(self.account.bot_id, node["audienceGroupId"])
            if group is None or group.status != "READY":
                raise NarrowcastFailure(1, "the audience is not ready")
            return set(group.members)
        if kind == "redelivery":
            return set(self.platform.stats.sends[node["requestId"]].recipients)
        if node.get("not") is not None:
            return set(self.friends) - self._recipients(node["not"])
        sets = [self._recipients(operand) for operand in node.get("and") or node.get("or") or []]
        if node.get("and") is not None:
            return set.intersection(*sets)
        return set.union(*sets)

    # ---- demographic filters ------------------------------------------------------------------

    def _check_filter(self, node: Any, prop: str) -> None:
        if not isinstance(node, dict):
            raise invalid_property(prop)
        kind = node.get("type")
        if kind == "operator":
            self._check_operator(node, prop, self._check_filter)
        elif kind in ("gender", "appType", "area"):
            allowed = {"gender": demo.GENDERS, "appType": demo.APP_TYPES}.get(kind)
            values = node.get("oneOf")
            if not isinstance(values, list) or not values:
                raise invalid_property(f"{prop}.oneOf")
            for index, value in enumerate(values):
                ok = value in allowed if allowed else isinstance(value, str) and value.startswith(AREA_PREFIXES)
                if not ok:
                    raise invalid_property(f"{prop}.oneOf[{index}]")
        elif kind in ("age", "subscriptionPeriod"):
            names = demo.FILTER_AGES if kind == "age" else dict((n, d) for d, n in demo.PERIODS)
            if node.get("gte") is None and node.get("lt") is None:
                raise invalid_property(prop)
            for bound in ("gte", "lt"):
                if node.get(bound) is not None and node[bound] not in names:
                    raise invalid_property(f"{prop}.{bound}")
        else:
            raise invalid_property(f"{prop}.type")

    def _targetable(self, person: str) -> bool:
        who = self.platform.people.get(person)
        return who is not None and None not in (who.gender, who.age, who.area)

    def _matches(self, node: dict[str, Any], person: str) -> bool:
        who = self.platform.people[person]
        kind = node["type"]
        if kind == "operator":
            if node.get("not") is not None:
                return not self._matches(node["not"], person)
            if node.get("and") is not None:
                return all(self._matches(n, person) for n in node["and"])
            return any(self._matches(n, person) for n in node["or"])
        if kind in ("gender", "appType", "area"):
            attribute = {"gender": who.gender, "appType": who.app_type, "area": who.area}[kind]
            return attribute in node["oneOf"]
        if kind == "age":
            measure: float = who.age or 0
            names: dict[str, int] = demo.FILTER_AGES
        else:
            measure = demo.friend_days(self.account.friends[person].since_ms, self.platform.clock.now_ms())
            names = {n: d for d, n in demo.PERIODS}
        low, high = node.get("gte"), node.get("lt")
        return (low is None or measure >= names[low]) and (high is None or measure < names[high])
