"""The (channel, OA) attachments, indexed by OA as well: every user event asks which modules an OA has, and
scanning every attachment of every OA for that made each webhook cost grow with the number of OAs (issue 17)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, MutableMapping

from linemod.emulator.platform.entities import Attachment

Key = tuple[str, str]  # (channel_id, bot_id)


class Attachments(MutableMapping[Key, Attachment]):
    def __init__(self, items: Iterable[Attachment] = ()) -> None:
        self._all: dict[Key, Attachment] = {}
        self._by_bot: dict[str, dict[str, Attachment]] = {}
        for attachment in items:
            self[(attachment.channel_id, attachment.bot_id)] = attachment

    def __getitem__(self, key: Key) -> Attachment:
        return self._all[key]

    def get(self, key: Key, default: Attachment | None = None) -> Attachment | None:  # type: ignore[override]
        return self._all.get(key, default)

    def __setitem__(self, key: Key, attachment: Attachment) -> None:
        self._all[key] = attachment
        self._by_bot.setdefault(key[1], {})[key[0]] = attachment

    def __delitem__(self, key: Key) -> None:
        del self._all[key]
        of_bot = self._by_bot[key[1]]
        del of_bot[key[0]]
        if not of_bot:
            del self._by_bot[key[1]]

    def __iter__(self) -> Iterator[Key]:
        return iter(self._all)

    def __len__(self) -> int:
        return len(self._all)

    def of_account(self, bot_id: str) -> list[Attachment]:
        """The OA's attachments, oldest first."""
        return list(self._by_bot.get(bot_id, {}).values())
