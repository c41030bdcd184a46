"""The tenant-bound client of api-data.line.me against the emulator: rich menu images and message content,
with the same bot-ID header, module token, scope check and retries as every other LINE call."""

from __future__ import annotations

import base64
import io
from collections.abc import AsyncIterator

import aiohttp
import pytest
from linebot.v3.messaging import RichMenuArea, RichMenuBounds, RichMenuRequest, RichMenuSize, URIAction
from PIL import Image

from linemod.framework.line.apis import LineApis
from linemod.framework.line.client import LineClient, MissingScopeError
from tests.framework.test_line_client import Setup, attached_oa, started, tenant

MANAGE_SCOPES = ("message:send", "message:receive", "account:manage")


@pytest.fixture
async def oa(line_emulator: str) -> AsyncIterator[Setup]:
    """An OA that granted account:manage (rich menus) besides sending and receiving."""
    async with attached_oa(line_emulator, " ".join(MANAGE_SCOPES)) as attached:
        yield attached


@pytest.fixture
async def apis(oa: Setup) -> AsyncIterator[LineApis]:
    apis = await started(oa.settings)
    yield apis
    await apis.close()


def png(width: int = 2500, height: int = 843, color: str = "#06C755") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, format="PNG")
    return out.getvalue()


async def new_rich_menu(client: LineClient) -> str:
    request = RichMenuRequest(
        size=RichMenuSize(width=2500, height=843),
        selected=False,
        name="blob-test",
        chatBarText="Menu",
        areas=[
            RichMenuArea(
                bounds=RichMenuBounds(x=0, y=0, width=2500, height=843),
                action=URIAction(uri="https://example.com/"),
            )
        ],
    )
    created = await client.call(client.messaging.create_rich_menu, request, scope="account:manage")
    return str(created.rich_menu_id)


async def test_a_rich_menu_image_goes_to_the_data_api_with_the_bot_id_and_comes_back(oa: Setup, apis: LineApis) -> None:
    client = apis.for_tenant(tenant(oa, MANAGE_SCOPES))
    menu_id = await new_rich_menu(client)
    image = png()
    await client.set_rich_menu_image(menu_id, image)
    assert await client.get_rich_menu_image(menu_id) == image
    for method in ("POST", "GET"):
        [request] = [r for r in await oa.requests(f"/v2/bot/richmenu/{menu_id}/content") if r["method"] == method]
        assert request["bot_id"] == oa.bot_id and request["status_code"] == 200
    # The menu is complete: LINE refuses a default menu without an image.
    await client.call(client.messaging.set_default_rich_menu, menu_id, scope="account:manage")
    assert apis.tokens.issued == 1  # one cached module token for both hosts


async def test_a_jpeg_is_sent_as_a_jpeg_and_anything_else_is_refused_before_sending(oa: Setup, apis: LineApis) -> None:
    client = apis.for_tenant(tenant(oa, MANAGE_SCOPES))
    menu_id = await new_rich_menu(client)
    with pytest.raises(ValueError, match="PNG or a JPEG"):
        await client.set_rich_menu_image(menu_id, b"GIF89a not a menu image")
    assert await oa.requests(f"/v2/bot/richmenu/{menu_id}/content") == []
    out = io.BytesIO()
    Image.new("RGB", (2500, 843), "#2D3A45").save(out, format="JPEG")
    await client.set_rich_menu_image(menu_id, out.getvalue())
    assert Image.open(io.BytesIO(await client.get_rich_menu_image(menu_id))).format == "JPEG"


async def test_an_upload_without_account_manage_raises_before_any_request(oa: Setup, apis: LineApis) -> None:
    manager = apis.for_tenant(tenant(oa, MANAGE_SCOPES))
    menu_id = await new_rich_menu(manager)
    without = apis.for_tenant(tenant(oa, ("message:send", "message:receive")))
    with pytest.raises(MissingScopeError, match="account:manage"):
        await without.set_rich_menu_image(menu_id, png())
    assert await oa.requests(f"/v2/bot/richmenu/{menu_id}/content") == []


async def test_a_5xx_on_the_data_api_is_retried(oa: Setup, apis: LineApis) -> None:
    client = apis.for_tenant(tenant(oa, MANAGE_SCOPES))
    menu_id = await new_rich_menu(client)
    fault = {"method": "POST", "path": "/v2/bot/richmenu/{richMenuId}/content", "status": 503, "count": 1}
    await oa.control("POST", "/_emulator/faults", json=fault)
    await client.set_rich_menu_image(menu_id, png())
    statuses = [r["status_code"] for r in await oa.requests(f"/v2/bot/richmenu/{menu_id}/content")]
    assert sorted(statuses) == [200, 503]


async def test_the_content_a_user_sent_is_downloaded_with_the_oas_bot_id(oa: Setup, apis: LineApis) -> None:
    photo = png(64, 64, "#FF0000")
    sent = await oa.control(
        "POST",
        f"/_emulator/accounts/{oa.bot_id}/chats/{oa.person_id}/messages",
        json={"type": "image", "content_base64": base64.b64encode(photo).decode(), "content_type": "image/png"},
    )
    client = apis.for_tenant(tenant(oa))
    assert await client.get_message_content(sent["message_id"]) == photo
    [request] = await oa.requests(f"/v2/bot/message/{sent['message_id']}/content")
    assert request["bot_id"] == oa.bot_id


async def test_blob_calls_go_to_the_data_api_host_not_the_api_host(oa: Setup) -> None:
    emulator = oa.settings.api_url
    # The emulator serves both hosts from one origin; with the data host pointed at a closed port, only a
    # client that really uses it fails.
    split = oa.settings.model_copy(
        update={
            "line_base_url": None,
            "line_api_url": emulator,
            "line_data_api_url": "http://127.0.0.1:9",
            "api_max_retries": 0,
        }
    )
    apis = await started(split)
    try:
        client = apis.for_tenant(tenant(oa, MANAGE_SCOPES))
        menu_id = await new_rich_menu(client)  # api.line.me: reachable
        with pytest.raises(aiohttp.ClientConnectionError):
            await client.set_rich_menu_image(menu_id, png())
    finally:
        await apis.close()
    assert await oa.requests(f"/v2/bot/richmenu/{menu_id}/content") == []
