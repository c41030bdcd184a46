"""The insight answers (`/v2/bot/insight/*`), computed from what the emulator really sent and what its users
really did, with LINE's privacy thresholds (choices 39–42 in docs/emulator-behaviour.md)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import TYPE_CHECKING, Any

from linemod.emulator.errors import LineApiError, not_found
from linemod.emulator.platform import demographics as demo
from linemod.emulator.platform.delivery_stats import PLAY_STEPS, Interaction, SendRecord, urls_in

if TYPE_CHECKING:
    from linemod.emulator.platform.delivery_stats import DeliveryStats
    from linemod.emulator.platform.entities import OfficialAccount
    from linemod.emulator.platform.world import Platform

PRIVACY_THRESHOLD = 20  # counts of people below this are hidden (null), and demographics need 20 friends
DELIVERY_COUNTS_SINCE = dt.date(2018, 3, 31)
FOLLOWER_COUNTS_SINCE = dt.date(2016, 11, 1)
UNIT_RANGE_DAYS = 30
RICHMENU_SUMMARY_DAYS = 396
RICHMENU_DAILY_DAYS = 99


def private(count: int) -> int | None:
    return count if count >= PRIVACY_THRESHOLD else None


def day_status(day: dt.date, now_ms: int, since: dt.date) -> str:
    """`out_of_service` before LINE started counting, `unready` for today and later (counted once the JST day
    is over: choice 39), else `ready`."""
    if day < since:
        return "out_of_service"
    return "unready" if day >= demo.today_jst(now_ms) else "ready"


class Insight:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    @property
    def stats(self) -> DeliveryStats:
        return self.platform.stats

    # ---- counts per day -----------------------------------------------------------------------

    def message_deliveries(self, account: OfficialAccount, date: str | None) -> dict[str, Any]:
        day = demo.parse_day(date, "date")
        status = day_status(day, self.platform.clock.now_ms(), DELIVERY_COUNTS_SINCE)
        if status != "ready":
            return {"status": status}
        name = day.strftime("%Y%m%d")
        counts = {kind: self.stats.delivered_on(account.bot_id, kind, name)
                  for kind in ("broadcast", "narrowcast", "push", "multicast", "reply")}
        chat = sum(1 for (bot, _), entries in self.platform.chats.items() if bot == account.bot_id
                   for e in entries if e.sender == "operator" and demo.jst_day(e.timestamp) == name)
        return {
            "status": "ready", "broadcast": counts["broadcast"], "targeting": counts["narrowcast"],
            "autoResponse": 0, "welcomeResponse": 0, "chat": chat,
            "apiBroadcast": counts["broadcast"], "apiPush": counts["push"], "apiMulticast": counts["multicast"],
            "apiNarrowcast": counts["narrowcast"], "apiReply": counts["reply"],
        }

    def followers(self, account: OfficialAccount, date: str | None) -> dict[str, Any]:
        now = self.platform.clock.now_ms()
        day = demo.parse_day(date, "date") if date is not None else demo.today_jst(now) - dt.timedelta(days=1)
        status = day_status(day, now, FOLLOWER_COUNTS_SINCE)
        if status != "ready":
            return {"status": status}
        end = demo.day_end_ms(day)
        ever: set[str] = set()
        blocked: dict[str, bool] = {}
        for event in self.stats.friend_events:
            if event.bot_id == account.bot_id and event.at_ms <= end:
                if event.kind == "follow":
                    ever.add(event.person)
                blocked[event.person] = event.kind == "block"
        friends = [p for p in ever if not blocked.get(p)]
        targeted = sum(1 for p in friends if self._targetable(p))
        return {"status": "ready", "followers": len(ever), "targetedReaches": targeted,
                "blocks": sum(1 for b in blocked.values() if b)}

    def _targetable(self, person: str) -> bool:
        who = self.platform.people.get(person)
        return who is not None and None not in (who.gender, who.age, who.area)

    def friends_of(self, account: OfficialAccount) -> list[str]:
        return [p for p, f in account.friends.items() if f.friend and not f.blocked]

    def demographic(self, account: OfficialAccount) -> dict[str, Any]:
        friends = self.friends_of(account)
        if len(friends) < PRIVACY_THRESHOLD:
            return {"available": False, "genders": [], "ages": [], "areas": [], "appTypes": [],
                    "subscriptionPeriods": []}
        now = self.platform.clock.now_ms()
        people = [self.platform.people[p] for p in friends if p in self.platform.people]
        since = {p: account.friends[p].since_ms for p in friends}

        def tiles(key: str, values: list[str]) -> list[dict[str, Any]]:
            counts = Counter(values)
            return [{key: value, "percentage": round(100 * n / len(values), 1)} for value, n in counts.most_common()]

        return {
            "available": True,
            "genders": tiles("gender", [p.gender or "unknown" for p in people]),
            "ages": tiles("age", [demo.age_band(p.age) for p in people]),
            "areas": tiles("area", [demo.AREA_NAMES.get(p.area or "", "unknown") for p in people]),
            "appTypes": tiles("appType", [p.app_type or "others" for p in people]),
            "subscriptionPeriods": tiles("subscriptionPeriod",
                                         [demo.insight_period(since[p.user_id], now) for p in people]),
        }

    # ---- how users interacted with messages ---------------------------------------------------

    def message_event(self, account: OfficialAccount, request_id: str | None) -> dict[str, Any]:
        if not request_id:
            raise LineApiError(400, "The request body has 1 error(s)",
                               extra={"details": [{"message": "must not be empty", "property": "requestId"}]})
        record = self.stats.sends.get(request_id)
        if record is None or record.bot_id != account.bot_id or record.kind not in ("broadcast", "narrowcast"):
            raise not_found("Not found")  # choice 40: only broadcasts and narrowcasts have these statistics
        body = _interaction_stats([record], self.stats.interactions_of({request_id}))
        overview = {"requestId": request_id, "timestamp": record.at_ms // 1000, "delivered": len(record.recipients),
                    **body.pop("overview")}
        return {"overview": overview, **body}

    def per_unit(self, account: OfficialAccount, unit: str | None, start: str | None, end: str | None
                 ) -> dict[str, Any]:
        if not unit:
            raise LineApiError(400, "The request body has 1 error(s)", extra={
                "details": [{"message": "must not be empty", "property": "customAggregationUnit"}]})
        first, last = demo.parse_day(start, "from"), demo.parse_day(end, "to")
        if last < first or (last - first).days > UNIT_RANGE_DAYS:
            raise LineApiError(400, f"The period must be at most {UNIT_RANGE_DAYS} days, from 'from' to 'to'")
        days = {(first + dt.timedelta(days=n)).strftime("%Y%m%d") for n in range((last - first).days + 1)}
        records = [r for r in self.stats.records(account.bot_id, ("push", "multicast"))
                   if unit in r.units and demo.jst_day(r.at_ms) in days]
        body = _interaction_stats(records, self.stats.interactions_of({r.request_id for r in records}))
        for click in body["clicks"]:
            click["uniqueClickOfRequest"] = None  # a unit spans requests: LINE gives no per-request figure
        return body


def _interaction_stats(records: list[SendRecord], interactions: list[Interaction]) -> dict[str, Any]:
    """Overview, per-bubble and per-URL statistics over some sends (bubbles of the same `seq` add up)."""
    bubbles = max((len(r.messages) for r in records), default=0)
    impressions = [i for i in interactions if i.kind == "impression"]
    clicks = [i for i in interactions if i.kind == "click"]
    plays = [i for i in interactions if i.kind == "play"]
    overview = {
        "uniqueImpression": private(len({i.person for i in impressions})),
        "uniqueClick": private(len({i.person for i in clicks})),
        "uniqueMediaPlayed": private(len({i.person for i in plays})),
        "uniqueMediaPlayed100Percent": private(len({i.person for i in plays if (i.percent or 0) >= 100})),
    }
    messages = []
    for seq in range(1, bubbles + 1):
        shown = [i for i in impressions if i.seq == seq]
        played = [i for i in plays if i.seq == seq]
        row: dict[str, Any] = {"seq": seq, "impression": private(len(shown)),
                               "uniqueImpression": private(len({i.person for i in shown})),
                               "mediaPlayed": private(len(played)),
                               "uniqueMediaPlayed": private(len({i.person for i in played}))}
        for step in PLAY_STEPS:
            reached = [i for i in played if (i.percent or 0) >= step]
            row[f"mediaPlayed{step}Percent"] = private(len(reached))
            row[f"uniqueMediaPlayed{step}Percent"] = private(len({i.person for i in reached}))
        messages.append(row)
    out_clicks = []
    for seq in range(1, bubbles + 1):
        urls: dict[str, None] = {}
        for record in records:
            if seq <= len(record.messages):
                urls.update(dict.fromkeys(urls_in(record.messages[seq - 1])))
        for url in urls:
            opened = [i for i in clicks if i.seq == seq and i.url == url]
            of_request = {i.person for i in clicks if i.url == url}
            out_clicks.append({"seq": seq, "url": url, "click": private(len(opened)),
                               "uniqueClick": private(len({i.person for i in opened})),
                               "uniqueClickOfRequest": private(len(of_request))})
    return {"overview": overview, "messages": messages, "clicks": out_clicks}


class RichMenuInsight:
    """Impressions of a rich menu and clicks per tappable area, from what users were shown and tapped."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    def _menu_and_days(self, account: OfficialAccount, owner_channel: str, rich_menu_id: str,
                       start: str | None, end: str | None, max_days: int) -> tuple[Any, list[str]]:
        first, last = demo.parse_day(start, "from"), demo.parse_day(end, "to")
        if last < first or (last - first).days > max_days:
            raise LineApiError(400, f"The period must be at most {max_days} days, from 'from' to 'to'")
        menu = self.platform.richmenus.menus.get(rich_menu_id)
        if menu is None or menu.bot_id != account.bot_id or menu.channel_id != owner_channel:
            raise not_found("Not found")
        days = [(first + dt.timedelta(days=n)).strftime("%Y%m%d") for n in range((last - first).days + 1)]
        return menu, days

    def _events(self, rich_menu_id: str, days: list[str]) -> list[Any]:
        wanted = set(days)
        return [e for e in self.platform.stats.richmenu_events
                if e.rich_menu_id == rich_menu_id and demo.jst_day(e.at_ms) in wanted]

    def summary(self, account: OfficialAccount, owner_channel: str, rich_menu_id: str, start: str | None,
                end: str | None) -> dict[str, Any]:
        menu, days = self._menu_and_days(account, owner_channel, rich_menu_id, start, end, RICHMENU_SUMMARY_DAYS)
        events = self._events(rich_menu_id, days)
        clicks = [e for e in events if e.kind == "click"]
        if len({e.person for e in clicks}) < PRIVACY_THRESHOLD:
            return {"richMenuId": rich_menu_id}  # below the privacy threshold: the ID alone (choice 42)
        shown = [e for e in events if e.kind == "impression"]
        return {
            "richMenuId": rich_menu_id, "metricsFrom": days[0], "metricsTo": days[-1],
            "impression": {"metrics": _metrics(shown)},
            "clicks": [{"bounds": area["bounds"], "metrics": _metrics([e for e in clicks if e.area == index])}
                       for index, area in enumerate(menu.body["areas"])],
        }

    def daily(self, account: OfficialAccount, owner_channel: str, rich_menu_id: str, start: str | None,
              end: str | None) -> dict[str, Any]:
        menu, days = self._menu_and_days(account, owner_channel, rich_menu_id, start, end, RICHMENU_DAILY_DAYS)
        events = self._events(rich_menu_id, days)
        clicks = [e for e in events if e.kind == "click"]
        if len({e.person for e in clicks}) < PRIVACY_THRESHOLD:
            return {"richMenuId": rich_menu_id}

        def per_day(chosen: list[Any]) -> list[dict[str, Any]]:
            return [{"date": day, **_metrics([e for e in chosen if demo.jst_day(e.at_ms) == day])} for day in days]

        return {
            "richMenuId": rich_menu_id, "metricsFrom": days[0], "metricsTo": days[-1],
            "impression": {"metrics": per_day([e for e in events if e.kind == "impression"])},
            "clicks": [{"bounds": area["bounds"], "metrics": per_day([e for e in clicks if e.area == index])}
                       for index, area in enumerate(menu.body["areas"])],
        }


def _metrics(events: list[Any]) -> dict[str, int]:
    return {"count": len(events), "uniqueUsers": len({e.person for e in events})}
