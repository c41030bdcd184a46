"""An OA with a Primary Channel and friends with demographics, through the control API: the world the insight,
audience and narrowcast tests start from."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from tests.support.servers import Emulator

JST = dt.timezone(dt.timedelta(hours=9))
GENDERS = ("male", "female")


@dataclass
class MarketingOa:
    emulator: Emulator
    account: dict[str, Any]
    token: str
    people: list[str] = field(default_factory=list)  # global IDs
    seen: list[str] = field(default_factory=list)  # the Primary Channel's user IDs, same order

    @property
    def bot_id(self) -> str:
        return str(self.account["bot_id"])

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def chat(self, person: str) -> str:
        return f"/_emulator/accounts/{self.bot_id}/chats/{person}"

    def messages_of(self, person: str) -> list[dict[str, Any]]:
        answer = self.emulator.call("GET", self.chat(person) + "/messages", expect=200)
        return [m for m in answer["messages"] if m["from"].startswith("channel:")]

    def add_friends(self, count: int, *, demographics: bool = True) -> None:
        for index in range(count):
            person = self.emulator.person(f"Friend {len(self.people)}")["user_id"]
            if demographics:
                self.emulator.call("PUT", f"/_emulator/users/{person}/demographics", expect=200, json={
                    "gender": GENDERS[index % 2], "age": 18 + index % 40, "area": "jp_13" if index % 3 else "jp_27",
                    "app_type": "ios" if index % 4 else "android"})
            ids = self.emulator.call("POST", f"/_emulator/accounts/{self.bot_id}/friends",
                                     json={"user_id": person}, expect=200)["ids"]
            self.people.append(person)
            self.seen.append(ids[self.account["primary_channel"]["channel_id"]])


def marketing_oa(emulator: Emulator, friends: int = 0, *, demographics: bool = True) -> MarketingOa:
    account = emulator.account(primary_channel={"webhook_url": None})
    primary = account["primary_channel"]
    answer = emulator.http.post("/v2/oauth/accessToken", data={
        "grant_type": "client_credentials", "client_id": primary["channel_id"],
        "client_secret": primary["channel_secret"]})
    assert answer.status_code == 200, answer.text
    oa = MarketingOa(emulator, account, answer.json()["access_token"])
    oa.add_friends(friends, demographics=demographics)
    return oa


def jst_day(emulator: Emulator, days_ago: int = 0) -> str:
    now_ms = emulator.call("GET", "/_emulator/clock", expect=200)["now_ms"]
    moment = dt.datetime.fromtimestamp(now_ms / 1000, JST) - dt.timedelta(days=days_ago)
    return moment.strftime("%Y%m%d")
