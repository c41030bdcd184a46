"""Set-up when the module is attached to an OA: the shop's default settings and the OA's rich menu.

The `attached` handler may run more than once (a retry after a failure half-way, a re-authorization), so
installing the menu first removes any menu of ours left from before: the OA ends with exactly one.
"""

from __future__ import annotations

import logging
from typing import Any

from linebot.v3.messaging import AsyncApiClient, AsyncMessagingApiBlob, Configuration

from linemod.framework.line_client import LineClient, MissingScopeError
from linemod_reservation import richmenu, store

log = logging.getLogger("linemod_reservation.setup")
MANAGE = "account:manage"


class BlobApi:
    """The SDK's blob client (api-data.line.me: rich menu images), which the framework's LINE clients do not
    include. Its calls still go through `LineClient.call`, which adds the bot-ID header, token and retries."""

    def __init__(self) -> None:
        self._client: AsyncApiClient | None = None
        self.api: AsyncMessagingApiBlob | None = None

    def start(self, data_api_url: str) -> None:
        if self._client is None:
            self._client = AsyncApiClient(Configuration(host=data_api_url, access_token=""))
            self.api = AsyncMessagingApiBlob(self._client)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client, self.api = None, None


async def install_rich_menu(line: LineClient, blob: BlobApi, image: bytes | None = None) -> str:
    """Create the reservation rich menu, upload its image and make it the OA's default. Returns its ID."""
    assert blob.api is not None, "BlobApi.start() first"
    existing = await line.call(line.messaging.get_rich_menu_list, scope=MANAGE)
    for menu in existing.richmenus or []:
        if menu.name == richmenu.NAME:
            await line.call(line.messaging.delete_rich_menu, menu.rich_menu_id, scope=MANAGE)
    created = await line.call(line.messaging.create_rich_menu, richmenu.menu_request("ja"), scope=MANAGE)
    menu_id = created.rich_menu_id
    await line.call(
        blob.api.set_rich_menu_image,
        menu_id,
        body=image if image is not None else richmenu.render_image(),
        _headers={"Content-Type": "image/png"},
        scope=MANAGE,
    )
    await line.call(line.messaging.set_default_rich_menu, menu_id, scope=MANAGE)
    return str(menu_id)


async def on_attached(ctx: Any, blob: BlobApi, now_ms: int) -> None:
    """The shop row (kept if the OA was attached before) and the rich menu."""
    # Asked, not read from `ctx.tenant`: the `attached` webhook can overtake the attach callback that
    # records the OA's profile, so the tenant may not know its name yet.
    profile = await ctx.line.get_bot_info()
    name = profile.display_name or profile.basic_id or ""
    shop = await store.ensure_shop(ctx.db, ctx.bot_id, name, now_ms)
    if name and not shop.name:
        shop.name = name
    try:
        shop.rich_menu_id = await install_rich_menu(ctx.line, blob)
    except MissingScopeError:
        log.warning("OA %s did not grant %s: no rich menu (customers can still type 予約)", ctx.bot_id, MANAGE)
    shop.updated_at_ms = now_ms
