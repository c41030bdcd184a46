"""What each channel sees of a person: `U…` IDs for Primary Channels, `L…` IDs for modules."""

from __future__ import annotations

from linemod.emulator import ids
from linemod.emulator.platform.entities import Channel, ModuleChannel


class IdentityMap:
    """Computes channel-scoped user IDs and resolves them back to the person.

    IDs are derived from a per-platform salt, so they are stable for the life of a snapshot and
    unguessable across emulators. Reverse lookups are cached as IDs are handed out.
    """

    def __init__(self, salt: str | None = None) -> None:
        self.salt = salt or ids.channel_secret()
        self._reverse: dict[str, str] = {}

    def id_for(self, channel: Channel, bot_id: str, person: str) -> str:
        if isinstance(channel, ModuleChannel):
            # Choice 20 (docs/emulator-behaviour.md): a provider-scoped U-ID (one module channel = one
            # provider here) + the OA.
            inner = ids.scoped_user_id(f"{self.salt}:module:{channel.channel_id}", person)
            seen = ids.module_user_id(inner, bot_id)
        else:
            seen = ids.scoped_user_id(f"{self.salt}:channel:{channel.channel_id}", person)
        self._reverse[f"{channel.channel_id}:{seen}"] = person
        return seen

    def resolve(self, channel: Channel, bot_id: str, seen: str, people: list[str]) -> str | None:
        """The person behind `seen` as `channel` knows them under `bot_id`, or None."""
        if isinstance(channel, ModuleChannel):
            if not ids.MODULE_USER_ID_RE.match(seen) or not seen.endswith("-" + bot_id):
                return None
        elif not ids.USER_ID_RE.match(seen):
            return None
        key = f"{channel.channel_id}:{seen}"
        found = self._reverse.get(key)
        if found is not None:
            return found
        for person in people:
            if self.id_for(channel, bot_id, person) == seen:
                return person
        return None
