"""Setting the platform up: module channels and their keys, Official Accounts, people.

What LY Corporation's staff and an OA's admin do outside any API a module can call (the control
API's setup calls and the set-up page). The commands arrive checked; what is left here are the
rules that depend on what already exists.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from linemod.emulator import ids
from linemod.emulator.errors import ControlError
from linemod.emulator.platform.commands import (
    AccountPatch,
    ModuleChannelPatch,
    NewAccount,
    NewModuleChannel,
    NewPerson,
    PublicKey,
)
from linemod.emulator.platform.entities import ModuleChannel, OfficialAccount, Person, PrimaryChannel

if TYPE_CHECKING:
    from linemod.emulator.platform.world import Platform


class SetupArea:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    # ---- module channels ----------------------------------------------------------------------

    def create_module_channel(self, spec: NewModuleChannel) -> ModuleChannel:
        platform = self.platform
        channel_id = spec.channel_id or ids.channel_id()
        if channel_id in platform.module_channels or channel_id in platform.primary_channels:
            raise ControlError(409, f"channel {channel_id} already exists")
        channel = ModuleChannel(
            channel_id=channel_id,
            channel_secret=spec.channel_secret or ids.channel_secret(),
            name=spec.name,
            webhook_url=spec.webhook_url,
            redirect_uris=list(spec.redirect_uris),
            default_active=spec.default_active,
            webhook_enabled=spec.webhook_enabled,
            redelivery=spec.redelivery,
            description=spec.description or "",
            public_keys={kid: dict(jwk) for kid, jwk in spec.public_keys.items()},
        )
        platform.module_channels[channel_id] = channel
        return channel

    def update_module_channel(self, channel_id: str, patch: ModuleChannelPatch) -> ModuleChannel:
        channel = self.platform.module_channels.get(channel_id)
        if channel is None:
            raise ControlError(404, f"module channel {channel_id} not found")
        for name, value in patch.changes().items():
            if name == "channel_secret":
                if value:  # null or "" keeps the secret: a channel always has one
                    channel.channel_secret = value
            elif name == "description":
                channel.description = value or ""
            elif name == "redirect_uris":
                channel.redirect_uris = list(value)
            elif name == "public_keys":
                channel.public_keys = {kid: dict(jwk) for kid, jwk in value.items()}
            else:
                setattr(channel, name, value)
        return channel

    def register_public_key(self, channel_id: str, key: PublicKey) -> str:
        """Registers an assertion-signing public key as the Developers Console does; returns its kid."""
        channel = self.platform.channel(channel_id)
        if channel is None:
            raise ControlError(404, f"channel {channel_id} not found")
        if not isinstance(channel, ModuleChannel):
            raise ControlError(400, "keys can be registered for module channels only")
        kid = ids.opaque_token(22)
        channel.public_keys[kid] = key.jwk()
        return kid

    # ---- accounts and people ------------------------------------------------------------------

    def create_account(self, spec: NewAccount) -> OfficialAccount:
        platform = self.platform
        taken = {a.basic_id for a in platform.accounts.values()}
        if spec.basic_id:
            basic_id = spec.basic_id if spec.basic_id.startswith("@") else "@" + spec.basic_id
            if basic_id in taken:
                raise ControlError(409, f"basic_id {basic_id} is taken")
        else:  # drawn again when taken: at 10,000 accounts one draw in 45,000 is, and one set up in 9 hit one
            basic_id = ids.basic_id()
            while basic_id in taken:
                basic_id = ids.basic_id()
        account = OfficialAccount(
            bot_id=ids.bot_user_id(),
            basic_id=basic_id,
            display_name=spec.display_name,
            premium_id=spec.premium_id,
            picture_url=spec.picture_url,
            brand_type=spec.brand_type,
            region=spec.region,
            chat_mode=spec.chat_mode,
            webhook_enabled=spec.webhook_enabled,
            created_at_ms=platform.clock.now_ms(),
        )
        primary = spec.primary_channel
        if primary is not None:
            channel = PrimaryChannel(
                channel_id=primary.channel_id or ids.channel_id(),
                channel_secret=primary.channel_secret or ids.channel_secret(),
                bot_id=account.bot_id,
                webhook_url=primary.webhook_url,
                webhook_enabled=primary.webhook_enabled,
                redelivery=primary.redelivery,
            )
            platform.primary_channels[channel.channel_id] = channel
            account.primary_channel_id = channel.channel_id
        platform.accounts[account.bot_id] = account
        return account

    def update_account(self, bot_id: str, patch: AccountPatch) -> OfficialAccount:
        platform = self.platform
        account = platform.account(bot_id)
        for name, value in patch.changes().items():
            if name != "primary_channel":
                setattr(account, name, value)
        primary = platform.primary_of(account)
        # An OA without a Messaging API channel has nothing to change there: ignored, as always.
        if patch.primary_channel is not None and primary is not None:
            for name, value in patch.primary_channel.changes().items():
                setattr(primary, name, value)
        return account

    def create_person(self, spec: NewPerson) -> Person:
        person = Person(
            user_id=ids.person_id(),
            display_name=spec.display_name,
            language=spec.language or "ja",
            picture_url=spec.picture_url,
            status_message=spec.status_message,
            gender=spec.gender,
            age=spec.age,
            area=spec.area,
            app_type=spec.app_type,
            phone_number=spec.phone_number,
        )
        if spec.phone_number is not None and any(p.phone_number == spec.phone_number
                                                 for p in self.platform.people.values()):
            raise ControlError(409, "another user has this phone number")
        self.platform.people[person.user_id] = person
        return person
