"""Set-up when the module is attached to an OA: the shop's default settings and the OA's rich menu.

The `attached` handler may run more than once (a retry after a failure half-way, a re-authorization), so
installing the menu first removes any menu of ours left from before: the OA ends with exactly one.
"""

from __future__ import annotations

import logging

from linemod import Context, LineClient, MissingScopeError
from linemod_reservation import richmenu, store
from linemod_reservation.richmenu import Gettext

log = logging.getLogger("linemod_reservation.setup")
MANAGE = "account:manage"


async def install_rich_menu(line: LineClient, gettext: Gettext, image: bytes | None = None) -> str:
    """Create the reservation rich menu (its labels translated by `gettext`), upload its image and make it
    the OA's default. Returns its ID."""
    existing = await line.call(line.messaging.get_rich_menu_list, scope=MANAGE)
    for menu in existing.richmenus or []:
        if menu.name == richmenu.NAME:
            await line.call(line.messaging.delete_rich_menu, menu.rich_menu_id, scope=MANAGE)
    created = await line.call(line.messaging.create_rich_menu, richmenu.menu_request(gettext), scope=MANAGE)
    menu_id = created.rich_menu_id
    await line.set_rich_menu_image(menu_id, image if image is not None else richmenu.render_image(gettext))
    await line.call(line.messaging.set_default_rich_menu, menu_id, scope=MANAGE)
    return str(menu_id)


async def on_attached(ctx: Context) -> None:
    """The shop row (kept if the OA was attached before) and the rich menu (in Japanese: it is the OA's, for
    every customer; LINE has no per-language rich menu)."""
    # Asked, not read from `ctx.tenant`: the `attached` webhook can overtake the attach callback that
    # records the OA's profile, so the tenant may not know its name yet.
    profile = await ctx.line.get_bot_info()
    name = profile.display_name or profile.basic_id or ""
    shop = await store.ensure_shop(ctx.db, ctx.bot_id, name, ctx.now_ms())
    if name and not shop.name:
        shop.name = name
    ctx.lang = "ja"
    try:
        shop.rich_menu_id = await install_rich_menu(ctx.line, ctx.gettext)
    except MissingScopeError:
        log.warning("OA %s did not grant %s: no rich menu (customers can still type 予約)", ctx.bot_id, MANAGE)
    shop.updated_at_ms = ctx.now_ms()
