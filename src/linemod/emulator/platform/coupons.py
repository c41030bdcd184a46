"""Coupons: create, list, detail, close (choice 45 in docs/emulator-behaviour.md). The response echoes what was
created; the status follows the coupon's period on the emulator's clock."""

from __future__ import annotations

import copy
import secrets
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from linemod.emulator.errors import Detail, LineApiError, not_found, validation_error

if TYPE_CHECKING:
    from linemod.emulator.platform.world import Caller, Platform

VISIBILITIES = ("UNLISTED", "PUBLIC")
REWARDS = {"cashBack": ("fixed", "percentage"), "discount": ("fixed", "percentage", "explicit"),
           "free": (), "gift": (), "others": ()}
LIST_LIMIT_DEFAULT, LIST_LIMIT_MAX = 20, 100
TIMEZONES = frozenset((
    "ETC_GMT_MINUS_12", "ETC_GMT_MINUS_11", "PACIFIC_HONOLULU", "AMERICA_ANCHORAGE", "AMERICA_LOS_ANGELES",
    "AMERICA_PHOENIX", "AMERICA_CHICAGO", "AMERICA_NEW_YORK", "AMERICA_CARACAS", "AMERICA_SANTIAGO",
    "AMERICA_ST_JOHNS", "AMERICA_SAO_PAULO", "ETC_GMT_MINUS_2", "ATLANTIC_CAPE_VERDE", "EUROPE_LONDON",
    "EUROPE_PARIS", "EUROPE_ISTANBUL", "EUROPE_MOSCOW", "ASIA_TEHRAN", "ASIA_TBILISI", "ASIA_KABUL",
    "ASIA_TASHKENT", "ASIA_COLOMBO", "ASIA_KATHMANDU", "ASIA_ALMATY", "ASIA_RANGOON", "ASIA_BANGKOK",
    "ASIA_TAIPEI", "ASIA_TOKYO", "AUSTRALIA_DARWIN", "AUSTRALIA_SYDNEY", "ASIA_VLADIVOSTOK", "ETC_GMT_PLUS_12",
    "PACIFIC_TONGATAPU",
))


@dataclass
class Coupon:
    coupon_id: str
    bot_id: str
    body: dict[str, Any]
    created_ms: int
    closed: bool = False


class CouponArea:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.coupons: dict[str, Coupon] = {}

    def status(self, coupon: Coupon) -> str:
        if coupon.closed or self.platform.clock.now_ms() // 1000 >= coupon.body["endTimestamp"]:
            return "CLOSED"
        return "RUNNING"

    def create(self, caller: Caller, body: Any) -> dict[str, Any]:
        account = caller.require_account()
        details = _check(body)
        if details:
            raise validation_error(details)
        coupon = Coupon(secrets.token_hex(8), account.bot_id, copy.deepcopy(body), self.platform.clock.now_ms())
        self.coupons[coupon.coupon_id] = coupon
        return {"couponId": coupon.coupon_id}

    def _own(self, caller: Caller, coupon_id: str) -> Coupon:
        coupon = self.coupons.get(coupon_id)
        if coupon is None or coupon.bot_id != caller.require_account().bot_id:
            raise not_found("Coupon not found")
        return coupon

    def detail(self, caller: Caller, coupon_id: str) -> dict[str, Any]:
        coupon = self._own(caller, coupon_id)
        body = copy.deepcopy(coupon.body)
        if body["acquisitionCondition"].get("type") == "lottery":
            body["maxAcquireCount"] = body["acquisitionCondition"]["maxAcquireCount"]
        body.pop("description", None)
        return {**body, "couponId": coupon.coupon_id, "createdTimestamp": coupon.created_ms // 1000,
                "status": self.status(coupon), "maxTicketPerUser": 1}

    def close(self, caller: Caller, coupon_id: str) -> None:
        coupon = self._own(caller, coupon_id)
        if self.status(coupon) == "CLOSED":
            raise LineApiError(410, "The coupon is already closed")
        coupon.closed = True

    def list_coupons(self, caller: Caller, statuses: list[str], start: str | None, limit: str | None
                     ) -> dict[str, Any]:
        account = caller.require_account()
        for index, status in enumerate(statuses):
            if status not in ("DRAFT", "RUNNING", "CLOSED"):
                raise validation_error([Detail("must be one of DRAFT, RUNNING, CLOSED", f"status[{index}]")])
        size = LIST_LIMIT_DEFAULT
        if limit is not None:
            if not limit.isdigit() or not 1 <= int(limit) <= LIST_LIMIT_MAX:
                raise validation_error([Detail(f"must be between 1 and {LIST_LIMIT_MAX}", "limit")])
            size = int(limit)
        chosen = [c for c in self.coupons.values() if c.bot_id == account.bot_id
                  and (not statuses or self.status(c) in statuses)]
        chosen.sort(key=lambda c: c.created_ms, reverse=True)
        offset = 0
        if start is not None:
            found = next((i for i, c in enumerate(chosen) if c.coupon_id == start), None)
            if found is None:
                raise LineApiError(400, "The start token is invalid or expired")
            offset = found
        page = chosen[offset:offset + size]
        out: dict[str, Any] = {"items": [{"couponId": c.coupon_id, "title": c.body["title"]} for c in page]}
        if offset + size < len(chosen):
            out["next"] = chosen[offset + size].coupon_id
        return out

    def export(self) -> dict[str, Any]:
        return {"coupons": [asdict(c) for c in self.coupons.values()]}

    def load(self, data: dict[str, Any]) -> None:
        self.coupons = {c["coupon_id"]: Coupon(**c) for c in data.get("coupons", [])}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check(body: Any) -> list[Detail]:
    """CouponCreateRequest's rules: required fields, lengths, enums, and the nested objects' types."""
    if not isinstance(body, dict):
        return [Detail("must be an object", "body")]
    details: list[Detail] = []
    for name in ("acquisitionCondition", "endTimestamp", "maxUseCountPerTicket", "startTimestamp", "title",
                 "visibility", "timezone"):
        if body.get(name) is None:
            details.append(Detail("must not be null", name))
    if details:
        return details
    title = body["title"]
    if not isinstance(title, str) or not 1 <= len(title) <= 60:
        details.append(Detail("size must be between 1 and 60", "title"))
    usage = body.get("usageCondition")
    if usage is not None and (not isinstance(usage, str) or len(usage) > 100):
        details.append(Detail("size must be between 0 and 100", "usageCondition"))
    for name in ("startTimestamp", "endTimestamp"):
        if not _is_int(body[name]):
            details.append(Detail("must be an integer", name))
    if not details and body["endTimestamp"] <= body["startTimestamp"]:
        details.append(Detail("must be after startTimestamp", "endTimestamp"))
    if not _is_int(body["maxUseCountPerTicket"]) or not 1 <= body["maxUseCountPerTicket"] <= 1:
        details.append(Detail("must be less than or equal to 1", "maxUseCountPerTicket"))
    if body["visibility"] not in VISIBILITIES:
        details.append(Detail("must be one of UNLISTED, PUBLIC", "visibility"))
    if body["timezone"] not in TIMEZONES:
        details.append(Detail("is not a supported time zone", "timezone"))
    details.extend(_check_condition(body["acquisitionCondition"]))
    if body.get("reward") is not None:
        details.extend(_check_reward(body["reward"]))
    return details


def _check_condition(condition: Any) -> list[Detail]:
    if not isinstance(condition, dict) or condition.get("type") not in ("normal", "lottery"):
        return [Detail("must be normal or lottery", "acquisitionCondition.type")]
    if condition["type"] == "lottery":
        probability, most = condition.get("lotteryProbability"), condition.get("maxAcquireCount")
        if not isinstance(probability, int) or isinstance(probability, bool) or not 1 <= probability <= 99:
            return [Detail("must be between 1 and 99", "acquisitionCondition.lotteryProbability")]
        if not isinstance(most, int) or isinstance(most, bool) or not 1 <= most <= 999_999:
            return [Detail("must be between 1 and 999999", "acquisitionCondition.maxAcquireCount")]
    return []


def _check_reward(reward: Any) -> list[Detail]:
    if not isinstance(reward, dict) or reward.get("type") not in REWARDS:
        return [Detail("must be one of " + ", ".join(REWARDS), "reward.type")]
    kinds = REWARDS[reward["type"]]
    if not kinds:
        return []
    price = reward.get("priceInfo")
    if not isinstance(price, dict) or price.get("type") not in kinds:
        return [Detail("must be one of " + ", ".join(kinds), "reward.priceInfo.type")]
    if price["type"] == "percentage" and (not _is_int(price.get("percentage")) or not 1 <= price["percentage"] <= 99):
        return [Detail("must be between 1 and 99", "reward.priceInfo.percentage")]
    if price["type"] == "fixed" and not _is_int(price.get("fixedAmount")):
        return [Detail("must be an integer", "reward.priceInfo.fixedAmount")]
    return []
