"""Rich menus: creation, images, default and per-user links, aliases (Messaging API reference).

A rich menu belongs to the channel that created it, for one OA: a Primary Channel owns menus for
its own OA, a module owns menus for each OA it acts for (the bot-ID header). Each owner sees and
changes only its own menus and aliases ("aliases can only be associated with rich menus created
in the same channel"). What the user sees is one slot per OA, shared by every channel: the
per-user link, else the OA's default (what the LINE app shows is `richmenu_display.py`, which
`RichMenuArea` builds on). The default can be read only by the channel that owns it
(documented 403 "the richmenu is owned by another channel").

LINE leaves the module scopes open; the routes ask for `account:manage` (choice 4 in docs/emulator-behaviour.md).
"""

from __future__ import annotations

import base64
import copy
import secrets
from typing import TYPE_CHECKING, Any

from linemod.emulator import ids
from linemod.emulator.errors import Detail, LineApiError, invalid_property, not_found, validation_error
from linemod.emulator.platform.richmenu_display import Owner, RichMenu, RichMenuDisplay
from linemod.emulator.platform.richmenu_validation import (
    ALIAS_ID_RE,
    check_image,
    check_image_type,
    check_rich_menu,
    check_rich_menu_id,
)

if TYPE_CHECKING:
    from linemod.emulator.platform.entities import OfficialAccount
    from linemod.emulator.platform.world import Caller, Platform

MAX_MENUS_PER_ACCOUNT = 1000  # "up to 1000 rich menus for one LINE Official Account"
MAX_ALIASES_PER_ACCOUNT = 1000
MAX_BULK_USERS = 500
NO_IMAGE = "must upload richmenu image before applying it to user"
MENU_NOT_FOUND = "richmenu not found"  # bulk link and aliases; single-menu endpoints say "Not found"
INVALID_USER = "The value for the 'userId' parameter is invalid"


def _is_user_id(value: object) -> bool:
    """Well-formed as a user ID a channel can see: `U…` (Primary) or the 68-char `L…` (module)."""
    return isinstance(value, str) and bool(ids.USER_ID_RE.match(value) or ids.MODULE_USER_ID_RE.match(value))


class RichMenuArea(RichMenuDisplay):
    """The Messaging API's rich menu operations, over the menus and aliases `RichMenuDisplay` keeps."""

    def __init__(self, platform: Platform) -> None:
        super().__init__()
        self.platform = platform

    # ---- helpers ------------------------------------------------------------------------------

    def _owner(self, caller: Caller) -> tuple[OfficialAccount, Owner]:
        account = self.platform.require_usable(caller)
        return account, (caller.channel.channel_id, account.bot_id)

    def _own_menu(self, owner: Owner, rich_menu_id: str, message: str = "Not found") -> RichMenu:
        """The caller's own menu; another channel's menu is as unknown to it as a missing one."""
        menu = self.menus.get(rich_menu_id)
        if menu is None or menu.owner != owner:
            raise not_found(message)
        return menu

    def _person(self, caller: Caller, user_id: str) -> str | None:
        """The person behind a user ID as the caller sees it (None if it never saw it); 400 if malformed."""
        if not _is_user_id(user_id):
            raise LineApiError(400, INVALID_USER)
        return self.platform.resolve_user(caller, user_id)

    def _known_person(self, caller: Caller, user_id: str) -> str:
        person = self._person(caller, user_id)
        if person is None:
            raise LineApiError(400, INVALID_USER)
        return person

    @staticmethod
    def _is_friend(account: OfficialAccount, person: str) -> bool:
        friendship = account.friends.get(person)
        return friendship is not None and friendship.friend and not friendship.blocked

    def _remove(self, menu: RichMenu) -> None:
        """Deleting a menu takes it off the OA's default and every user it was linked to."""
        self.menus.pop(menu.rich_menu_id, None)
        account = self.platform.accounts.get(menu.bot_id)
        if account is not None:
            if account.default_richmenu_id == menu.rich_menu_id:
                account.default_richmenu_id = None
            for person in [p for p, m in account.user_richmenus.items() if m == menu.rich_menu_id]:
                del account.user_richmenus[person]
        # ASSUMPTION: aliases of a deleted menu go with it (a dangling alias could never resolve).
        owned = self.aliases.get(menu.owner, {})
        for alias in [a for a, m in owned.items() if m == menu.rich_menu_id]:
            del owned[alias]

    # ---- rich menus ---------------------------------------------------------------------------

    def validate(self, caller: Caller, body: object) -> None:
        self.platform.require_usable(caller)
        check_rich_menu(body)

    def create(self, caller: Caller, body: object) -> str:
        account, owner = self._owner(caller)
        stored = check_rich_menu(body)
        if sum(1 for m in self.menus.values() if m.bot_id == account.bot_id) >= MAX_MENUS_PER_ACCOUNT:
            # ASSUMPTION on wording: the limit's 400 is documented, its text is not.
            raise LineApiError(400, "The maximum number of richmenus has been reached")
        rich_menu_id = "richmenu-" + secrets.token_hex(16)
        self.menus[rich_menu_id] = RichMenu(rich_menu_id, owner[0], owner[1], stored)
        return rich_menu_id

    def get(self, caller: Caller, rich_menu_id: str) -> dict[str, Any]:
        _, owner = self._owner(caller)
        return self._own_menu(owner, rich_menu_id).public()

    def list_menus(self, caller: Caller) -> list[dict[str, Any]]:
        _, owner = self._owner(caller)
        return [m.public() for m in self.menus.values() if m.owner == owner]

    def delete(self, caller: Caller, rich_menu_id: str) -> None:
        _, owner = self._owner(caller)
        self._remove(self._own_menu(owner, rich_menu_id))

    def upload_image(self, caller: Caller, rich_menu_id: str, content_type: str | None, data: bytes) -> None:
        _, owner = self._owner(caller)
        check_image_type(content_type)
        menu = self._own_menu(owner, rich_menu_id)
        if menu.image is not None:
            raise LineApiError(400, "An image has already been uploaded to the richmenu")
        menu.image_type = check_image(data, menu.body["size"])
        menu.image = bytes(data)

    def download_image(self, caller: Caller, rich_menu_id: str) -> tuple[bytes, str]:
        _, owner = self._owner(caller)
        menu = self._own_menu(owner, rich_menu_id)
        if menu.image is None or menu.image_type is None:
            raise not_found()
        return menu.image, menu.image_type

    # ---- default rich menu --------------------------------------------------------------------

    def set_default(self, caller: Caller, rich_menu_id: str) -> None:
        account, owner = self._owner(caller)
        menu = self._own_menu(owner, rich_menu_id)
        if menu.image is None:
            raise LineApiError(400, NO_IMAGE)
        account.default_richmenu_id = menu.rich_menu_id

    def default_id(self, caller: Caller) -> str:
        account, owner = self._owner(caller)
        menu = self.menus.get(account.default_richmenu_id or "")
        if menu is None:
            raise not_found("no default richmenu")
        if menu.owner != owner:
            raise LineApiError(403, "the richmenu is owned by another channel")
        return menu.rich_menu_id

    def cancel_default(self, caller: Caller) -> None:
        # ASSUMPTION: like linking, which replaces whatever is set, cancelling clears the OA's
        # default whoever set it; LINE documents no error for this endpoint.
        account, _ = self._owner(caller)
        account.default_richmenu_id = None

    # ---- per-user links -----------------------------------------------------------------------

    def link(self, caller: Caller, user_id: str, rich_menu_id: str) -> None:
        account, owner = self._owner(caller)
        if not _is_user_id(user_id):
            raise LineApiError(400, INVALID_USER)
        menu = self._own_menu(owner, rich_menu_id)
        if menu.image is None:
            raise LineApiError(400, NO_IMAGE)
        person = self._known_person(caller, user_id)
        # Documented: 200 but not linked for users who are not (or no longer) friends.
        if self._is_friend(account, person):
            account.user_richmenus[person] = menu.rich_menu_id

    def unlink(self, caller: Caller, user_id: str) -> None:
        account, _ = self._owner(caller)
        account.user_richmenus.pop(self._known_person(caller, user_id), None)

    def user_menu_id(self, caller: Caller, user_id: str) -> str:
        account, _ = self._owner(caller)
        # Documented: a user who does not exist or is not a friend has "no richmenu" (404).
        person = self._person(caller, user_id)
        if person is None or not self._is_friend(account, person):
            raise not_found("the user has no richmenu")
        linked = account.user_richmenus.get(person)
        if linked is None or linked not in self.menus:
            raise not_found("the user has no richmenu")
        return linked

    def _bulk_people(self, caller: Caller, body: dict[str, Any]) -> list[str]:
        """The people behind `userIds`; IDs this channel never saw are skipped, as LINE does."""
        user_ids = body.get("userIds")
        if user_ids is None:
            raise validation_error([Detail("must be specified", "userIds")])
        if not isinstance(user_ids, list):
            raise invalid_property("'userIds'")
        if not 1 <= len(user_ids) <= MAX_BULK_USERS:
            raise validation_error([Detail(f"Size must be between 1 and {MAX_BULK_USERS}", "userIds")])
        people: list[str] = []
        for index, user_id in enumerate(user_ids):
            if not _is_user_id(user_id):
                raise invalid_property(f"'userIds[{index}]'")
            person = self.platform.resolve_user(caller, user_id)
            if person is not None:
                people.append(person)
        return people

    def bulk_link(self, caller: Caller, body: object) -> None:
        """Processed at once here; LINE does it in the background and answers 202 either way."""
        account, owner = self._owner(caller)
        if not isinstance(body, dict):
            raise invalid_property("'richMenuId'")
        rich_menu_id = check_rich_menu_id(body.get("richMenuId"))
        people = self._bulk_people(caller, body)
        menu = self._own_menu(owner, rich_menu_id, MENU_NOT_FOUND)
        if menu.image is None:
            raise LineApiError(400, NO_IMAGE)
        for person in people:
            if self._is_friend(account, person):
                account.user_richmenus[person] = menu.rich_menu_id

    def bulk_unlink(self, caller: Caller, body: object) -> None:
        account, _ = self._owner(caller)
        if not isinstance(body, dict):
            raise invalid_property("'userIds'")
        for person in self._bulk_people(caller, body):
            account.user_richmenus.pop(person, None)

    # ---- aliases ------------------------------------------------------------------------------

    @staticmethod
    def _check_alias_id(alias_id: str) -> None:
        if not ALIAS_ID_RE.match(alias_id):
            # ASSUMPTION on wording: 400 is documented for a bad alias ID in the path, its text is not.
            raise LineApiError(400, "The value for the 'richMenuAliasId' parameter is invalid")

    def _alias_target(self, owner: Owner, body: object) -> str:
        """The body's richMenuId, which must be this channel's menu with an image (documented 400)."""
        if not isinstance(body, dict):
            raise invalid_property("'richMenuId'")
        rich_menu_id = check_rich_menu_id(body.get("richMenuId"))
        menu = self.menus.get(rich_menu_id)
        if menu is None or menu.owner != owner or menu.image is None:
            raise LineApiError(400, MENU_NOT_FOUND)
        return rich_menu_id

    def create_alias(self, caller: Caller, body: object) -> None:
        account, owner = self._owner(caller)
        if not isinstance(body, dict):
            raise invalid_property("'richMenuAliasId'")
        alias_id = body.get("richMenuAliasId")
        if alias_id is None:
            raise validation_error([Detail("must be specified", "richMenuAliasId")])
        if not isinstance(alias_id, str):
            raise invalid_property("'richMenuAliasId'")
        if not ALIAS_ID_RE.match(alias_id):
            raise validation_error([Detail("invalid richMenuAliasId", "richMenuAliasId")])
        rich_menu_id = self._alias_target(owner, body)
        owned = self.aliases.setdefault(owner, {})
        if alias_id in owned:
            raise LineApiError(400, "conflict richmenu alias id")
        in_account = sum(len(a) for (_, bot), a in self.aliases.items() if bot == account.bot_id)
        if in_account >= MAX_ALIASES_PER_ACCOUNT:
            raise LineApiError(400, "The maximum number of richmenu aliases has been reached")  # ASSUMPTION
        owned[alias_id] = rich_menu_id

    def _own_alias(self, owner: Owner, alias_id: str) -> str:
        self._check_alias_id(alias_id)
        rich_menu_id = self.aliases.get(owner, {}).get(alias_id)
        if rich_menu_id is None:
            raise not_found("richmenu alias not found")
        return rich_menu_id

    def get_alias(self, caller: Caller, alias_id: str) -> dict[str, str]:
        _, owner = self._owner(caller)
        return {"richMenuAliasId": alias_id, "richMenuId": self._own_alias(owner, alias_id)}

    def update_alias(self, caller: Caller, alias_id: str, body: object) -> None:
        _, owner = self._owner(caller)
        self._own_alias(owner, alias_id)
        self.aliases[owner][alias_id] = self._alias_target(owner, body)

    def delete_alias(self, caller: Caller, alias_id: str) -> None:
        _, owner = self._owner(caller)
        self._own_alias(owner, alias_id)
        del self.aliases[owner][alias_id]

    def list_aliases(self, caller: Caller) -> list[dict[str, str]]:
        _, owner = self._owner(caller)
        return [{"richMenuAliasId": a, "richMenuId": m} for a, m in self.aliases.get(owner, {}).items()]

    # ---- detach --------------------------------------------------------------------------------

    def forget_owner(self, channel_id: str, bot_id: str) -> None:
        """Called when a module detaches from an OA: its rich menus for that OA go away."""
        for menu in [m for m in self.menus.values() if m.owner == (channel_id, bot_id)]:
            self._remove(menu)
        self.aliases.pop((channel_id, bot_id), None)

    # ---- snapshots ----------------------------------------------------------------------------

    def export(self) -> dict[str, Any]:
        accounts = self.platform.accounts
        return {
            "menus": [
                {
                    "richMenuId": m.rich_menu_id,
                    "channel_id": m.channel_id,
                    "bot_id": m.bot_id,
                    "body": copy.deepcopy(m.body),
                    "image": base64.b64encode(m.image).decode() if m.image is not None else None,
                    "image_type": m.image_type,
                }
                for m in self.menus.values()
            ],
            "aliases": [
                {"channel_id": c, "bot_id": b, "richMenuAliasId": a, "richMenuId": m}
                for (c, b), owned in self.aliases.items()
                for a, m in owned.items()
            ],
            # The links live on the accounts; they are repeated here so this area restores whole.
            "defaults": {bot: a.default_richmenu_id for bot, a in accounts.items() if a.default_richmenu_id},
            "links": {bot: dict(a.user_richmenus) for bot, a in accounts.items() if a.user_richmenus},
            "switched": [{"bot_id": b, "person": p, "from": f, "shown": s} for (b, p), (f, s) in self.switched.items()],
        }

    def load(self, data: dict[str, Any]) -> None:
        self.menus = {}
        for item in data.get("menus", []):
            image = item.get("image")
            self.menus[item["richMenuId"]] = RichMenu(
                rich_menu_id=item["richMenuId"],
                channel_id=item["channel_id"],
                bot_id=item["bot_id"],
                body=copy.deepcopy(item["body"]),
                image=base64.b64decode(image) if image is not None else None,
                image_type=item.get("image_type"),
            )
        self.aliases = {}
        for item in data.get("aliases", []):
            owner = (item["channel_id"], item["bot_id"])
            self.aliases.setdefault(owner, {})[item["richMenuAliasId"]] = item["richMenuId"]
        for bot_id, rich_menu_id in data.get("defaults", {}).items():
            if bot_id in self.platform.accounts:
                self.platform.accounts[bot_id].default_richmenu_id = rich_menu_id
        for bot_id, links in data.get("links", {}).items():
            if bot_id in self.platform.accounts:
                self.platform.accounts[bot_id].user_richmenus = dict(links)
        switched = data.get("switched", [])
        self.switched = {(s["bot_id"], s["person"]): (s["from"], s["shown"]) for s in switched}
