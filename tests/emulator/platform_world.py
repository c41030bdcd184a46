"""A platform with no HTTP around it: the rules called directly, the webhooks they cause caught."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from linemod.emulator.platform.commands import NewAccount, NewModuleChannel, NewPerson, NewPrimaryChannel
from linemod.emulator.platform.entities import ModuleChannel, OfficialAccount
from linemod.emulator.platform.world import NullSink, Platform

REDIRECT = "https://module.example/callback"
SCOPES = "message:send message:receive"


@dataclass
class Plain:
    platform: Platform
    sink: NullSink
    module: ModuleChannel
    account: OfficialAccount
    person: str  # the person's global ID

    def events(self, channel_id: str | None = None) -> list[dict[str, Any]]:
        """Every event the rules sent (to `channel_id` only, if given), oldest first."""
        return [e for sent_to, _, events in self.sink.sent if channel_id in (None, sent_to) for e in events]

    def event_types(self, channel_id: str | None = None) -> list[str]:
        return [str(e["type"]) for e in self.events(channel_id)]

    @property
    def primary_id(self) -> str | None:
        return self.account.primary_channel_id


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def authorize_params(channel_id: str, scopes: str = SCOPES, state: str = "abc123") -> dict[str, str]:
    return {"response_type": "code", "client_id": channel_id, "redirect_uri": REDIRECT, "scope": scopes,
            "state": state}


def consent(platform: Platform, channel: ModuleChannel, bot_id: str, *, approve: bool = True) -> str:
    """The OA admin answers the consent screen; returns where the browser is sent."""
    request = platform.attach.begin(authorize_params(channel.channel_id))
    return platform.attach.decide(request, bot_id, approve=approve)


def exchange(platform: Platform, channel: ModuleChannel, code: str) -> dict[str, Any]:
    """The module's backend redeems the code (`POST /module/auth/v1/token`)."""
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    return platform.attach.exchange((channel.channel_id, channel.channel_secret), form)


def new_module(platform: Platform, name: str, *, default_active: bool = True) -> ModuleChannel:
    return platform.setup.create_module_channel(NewModuleChannel(
        name=name, webhook_url=f"https://{name.lower()}.example/hook", redirect_uris=[REDIRECT],
        default_active=default_active))


def attach(platform: Platform, channel: ModuleChannel, bot_id: str) -> None:
    exchange(platform, channel, query(consent(platform, channel, bot_id))["code"])


def plain_world(*, primary: bool = True) -> Plain:
    """An OA (with a Primary Channel unless told), a Default-Active module attached, a friend."""
    platform = Platform()
    sink = NullSink()
    platform.sink = sink
    module = new_module(platform, "Booking")
    spec = NewAccount(display_name="Cafe", primary_channel=NewPrimaryChannel(webhook_url="https://oa.example/hook")
                      if primary else None)
    account = platform.setup.create_account(spec)
    person = platform.setup.create_person(NewPerson(display_name="Hanako")).user_id
    attach(platform, module, account.bot_id)
    platform.users.follow(account.bot_id, person)
    return Plain(platform, sink, module, account, person)


def authorize_url(base: str, channel_id: str) -> str:
    return f"{base}/module/auth/v1/authorize?{urlencode(authorize_params(channel_id))}"
