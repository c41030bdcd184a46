"""Rich menus as the LINE app shows them: which menu a person sees in an OA's chat, what a tap on one of its
areas does, and the switch a richmenuswitch tap makes.

What the user sees is one slot per OA, shared by every channel: the per-user link, else the OA's default.
A richmenuswitch tap changes only what the app shows, not the link the API reports. The Messaging API's
side, where channels create, link and name these menus, is `RichMenuArea` in `richmenus.py`, built on this.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from linemod.emulator.platform.entities import OfficialAccount

Owner = tuple[str, str]  # (channel_id, bot_id)


@dataclass
class RichMenu:
    rich_menu_id: str
    channel_id: str
    bot_id: str
    body: dict[str, Any]  # the validated rich menu object, without its ID
    image: bytes | None = None
    image_type: str | None = None

    @property
    def owner(self) -> Owner:
        return (self.channel_id, self.bot_id)

    def public(self) -> dict[str, Any]:
        """The rich menu response object."""
        return {"richMenuId": self.rich_menu_id, **copy.deepcopy(self.body)}


class RichMenuDisplay:
    """Every rich menu and alias, and what each person's LINE app shows of them."""

    def __init__(self) -> None:
        self.menus: dict[str, RichMenu] = {}
        self.aliases: dict[Owner, dict[str, str]] = {}  # owner -> alias ID -> rich menu ID
        # A richmenuswitch tap changes only what the LINE app shows, not the link the API reports:
        # (bot_id, person) -> (menu it was switched from, menu shown), honoured while the first holds.
        self.switched: dict[tuple[str, str], tuple[str, str]] = {}

    def _base_for(self, account: OfficialAccount, person: str) -> RichMenu | None:
        linked = self.menus.get(account.user_richmenus.get(person) or "")
        if linked is not None:
            return linked
        return self.menus.get(account.default_richmenu_id or "")

    def _shown(self, account: OfficialAccount, person: str) -> RichMenu | None:
        base = self._base_for(account, person)
        if base is None:
            return None
        switch = self.switched.get((account.bot_id, person))
        if switch is not None and switch[0] == base.rich_menu_id and switch[1] in self.menus:
            return self.menus[switch[1]]
        return base

    def current_for(self, account: OfficialAccount, person: str) -> dict[str, Any] | None:
        """The rich menu object the person sees in this OA's chat (per-user link, else default)."""
        menu = self._shown(account, person)
        return menu.public() if menu is not None else None

    def image_of(self, rich_menu_id: str) -> tuple[bytes, str] | None:
        menu = self.menus.get(rich_menu_id)
        if menu is None or menu.image is None or menu.image_type is None:
            return None
        return menu.image, menu.image_type

    def area_action(self, account: OfficialAccount, person: str, index: int) -> dict[str, Any] | None:
        """The action of the tapped area of the menu the person sees, or None."""
        menu = self._shown(account, person)
        if menu is None or not 0 <= index < len(menu.body["areas"]):
            return None
        action: dict[str, Any] = copy.deepcopy(menu.body["areas"][index]["action"])
        return action

    def switch_to_alias(self, account: OfficialAccount, person: str, alias_id: object) -> dict[str, Any] | None:
        """A richmenuswitch tap: shows the alias's menu (the shown menu's channel's alias), or None
        when the alias does not resolve (the app then reports RICHMENU_ALIAS_ID_NOTFOUND)."""
        shown = self._shown(account, person)
        base = self._base_for(account, person)
        if shown is None or base is None or not isinstance(alias_id, str):
            return None
        target = self.menus.get(self.aliases.get(shown.owner, {}).get(alias_id, ""))
        if target is None:
            return None
        self.switched[(account.bot_id, person)] = (base.rich_menu_id, target.rich_menu_id)
        return target.public()
