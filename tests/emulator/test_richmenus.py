"""Rich menus at the platform level: the rich menu object, ownership and images.

One test per rule, with LINE's exact statuses and messages.
"""

from __future__ import annotations

import re

import pytest

from linemod.emulator.platform.commands import NewAccount
from linemod.emulator.platform.entities import Attachment
from linemod.emulator.platform.world import Caller
from tests.emulator.richmenu_world import (
    SCOPES,
    World,
    detail_list,
    error,
    jpeg,
    make_world,
    menu,
    png,
    ready_menu,
)


@pytest.fixture
def w() -> World:
    return make_world()


# ---- the rich menu object ----------------------------------------------------------------------


def test_create_returns_a_richmenu_id_and_get_returns_the_object_with_it(w: World) -> None:
    rich_menu_id = w.platform.richmenus.create(w.caller, menu())
    assert re.fullmatch(r"richmenu-[0-9a-f]{32}", rich_menu_id)
    assert w.platform.richmenus.get(w.caller, rich_menu_id) == {"richMenuId": rich_menu_id, **menu()}


DOCUMENTED_SIZES = [(2500, 1686), (2500, 843), (1200, 810), (1200, 405), (800, 540), (800, 270)]


@pytest.mark.parametrize("size", DOCUMENTED_SIZES)
def test_every_documented_size_is_accepted(w: World, size: tuple[int, int]) -> None:
    w.platform.richmenus.validate(w.caller, menu(*size))


def test_missing_required_keys_are_reported_as_must_be_specified(w: World) -> None:
    body = menu()
    del body["name"], body["selected"]
    exc = error(w.platform.richmenus.create, w.caller, body)
    assert (exc.status, exc.message) == (400, "The request body has 2 error(s)")
    assert detail_list(exc) == [("selected", "must be specified"), ("name", "must be specified")]


def test_width_outside_800_to_2500_is_refused(w: World) -> None:
    exc = error(w.platform.richmenus.validate, w.caller, menu(2600, 843))
    assert detail_list(exc) == [("size.width", "Must be between 800 and 2500")]


def test_height_below_250_is_refused(w: World) -> None:
    exc = error(w.platform.richmenus.validate, w.caller, menu(800, 200))
    assert detail_list(exc) == [("size.height", "Must be greater than or equal to 250")]


def test_aspect_ratio_below_1_45_is_refused(w: World) -> None:
    exc = error(w.platform.richmenus.validate, w.caller, menu(800, 600))
    assert detail_list(exc) == [("size", "Aspect ratio (width / height) must be at least 1.45")]


def test_name_over_300_and_chat_bar_text_over_14_characters_are_refused(w: World) -> None:
    exc = error(w.platform.richmenus.validate, w.caller, menu(name="n" * 301, chatBarText="c" * 15))
    assert detail_list(exc) == [("name", "Length must be between 0 and 300"),
                                ("chatBarText", "Length must be between 0 and 14")]


def test_more_than_20_areas_are_refused(w: World) -> None:
    area = {"bounds": {"x": 0, "y": 0, "width": 10, "height": 10},
            "action": {"type": "message", "text": "hi"}}
    exc = error(w.platform.richmenus.validate, w.caller, menu(areas=[area] * 21))
    assert detail_list(exc) == [("areas", "Size must be between 0 and 20")]


def test_area_reaching_outside_the_menu_is_refused(w: World) -> None:
    area = {"bounds": {"x": 2000, "y": 0, "width": 600, "height": 843},
            "action": {"type": "message", "text": "x"}}
    exc = error(w.platform.richmenus.validate, w.caller, menu(areas=[area]))
    assert detail_list(exc) == [("areas[0].bounds", "Bounds must be inside the rich menu")]


def test_the_areas_of_lines_own_rich_menu_examples_are_accepted(w: World) -> None:
    # line-bot-sdk-python examples/rich-menu: two halves of a 2500 x 1686 menu, the right one a pixel over
    halves = [
        {"bounds": {"x": 0, "y": 0, "width": 1250, "height": 1686}, "action": {"type": "message", "text": "A"}},
        {"bounds": {"x": 1251, "y": 0, "width": 1250, "height": 1686}, "action": {"type": "message", "text": "B"}},
    ]
    w.platform.richmenus.validate(w.caller, menu(2500, 1686, areas=halves))
    two_over = {
        "bounds": {"x": 1252, "y": 0, "width": 1250, "height": 1686},
        "action": {"type": "message", "text": "C"},
    }
    exc = error(w.platform.richmenus.validate, w.caller, menu(2500, 1686, areas=[two_over]))
    assert detail_list(exc) == [("areas[0].bounds", "Bounds must be inside the rich menu")]


def test_area_actions_are_checked_like_message_actions(w: World) -> None:
    area = {"bounds": {"x": 0, "y": 0, "width": 10, "height": 10}, "action": {"type": "uri", "uri": "ftp://x"}}
    exc = error(w.platform.richmenus.validate, w.caller, menu(areas=[area]))
    assert [p for p, _ in detail_list(exc)] == ["areas[0].action.uri"]


def test_a_value_of_the_wrong_json_type_is_an_invalid_property(w: World) -> None:
    exc = error(w.platform.richmenus.validate, w.caller, menu(selected="yes"))
    assert (exc.status, exc.message) == (
        400, "The property, 'selected', in the request body is invalid (line: -, column: -)")


def test_validate_does_not_create_a_menu(w: World) -> None:
    w.platform.richmenus.validate(w.caller, menu())
    assert w.platform.richmenus.list_menus(w.caller) == []


# ---- ownership, get, list, delete --------------------------------------------------------------


def test_get_of_an_unknown_menu_is_404_not_found(w: World) -> None:
    exc = error(w.platform.richmenus.get, w.caller, "richmenu-" + "0" * 32)
    assert (exc.status, exc.message) == (404, "Not found")


def test_primary_channel_and_module_each_see_only_their_own_menus(w: World) -> None:
    primary = Caller(w.platform.primary_of(w.account), w.account)  # type: ignore[arg-type]
    mine = w.platform.richmenus.create(w.caller, menu())
    theirs = w.platform.richmenus.create(primary, menu(name="primary"))
    assert [m["richMenuId"] for m in w.platform.richmenus.list_menus(w.caller)] == [mine]
    assert [m["richMenuId"] for m in w.platform.richmenus.list_menus(primary)] == [theirs]
    assert error(w.platform.richmenus.get, w.caller, theirs).status == 404


def test_a_module_owns_separate_menus_for_each_oa_it_acts_for(w: World) -> None:
    other = w.platform.setup.create_account(NewAccount(display_name="Bakery"))
    w.platform.attachments[(w.module.channel_id, other.bot_id)] = Attachment(
        w.module.channel_id, other.bot_id, list(SCOPES), 0)
    rich_menu_id = w.platform.richmenus.create(w.caller, menu())
    assert w.platform.richmenus.list_menus(Caller(w.module, other)) == []
    assert error(w.platform.richmenus.get, Caller(w.module, other), rich_menu_id).status == 404


def test_delete_removes_the_menu_and_unlinks_it_from_users_default_and_aliases(w: World) -> None:
    rich_menu_id = ready_menu(w)
    rm = w.platform.richmenus
    rm.set_default(w.caller, rich_menu_id)
    rm.link(w.caller, w.seen, rich_menu_id)
    rm.create_alias(w.caller, {"richMenuAliasId": "page-1", "richMenuId": rich_menu_id})
    rm.delete(w.caller, rich_menu_id)
    assert error(rm.get, w.caller, rich_menu_id).status == 404
    assert error(rm.default_id, w.caller).message == "no default richmenu"
    assert error(rm.user_menu_id, w.caller, w.seen).message == "the user has no richmenu"
    assert rm.list_aliases(w.caller) == []
    assert rm.current_for(w.account, w.person) is None


def test_delete_of_an_unknown_menu_is_404(w: World) -> None:
    exc = error(w.platform.richmenus.delete, w.caller, "richmenu-" + "1" * 32)
    assert (exc.status, exc.message) == (404, "Not found")


def test_detaching_a_module_deletes_its_menus_for_that_oa(w: World) -> None:
    rich_menu_id = ready_menu(w)
    w.platform.richmenus.set_default(w.caller, rich_menu_id)
    w.platform.detach(w.module, w.account.bot_id)
    assert w.platform.richmenus.menus == {}
    assert w.account.default_richmenu_id is None


def test_calls_for_a_suspended_oa_are_refused_with_403(w: World) -> None:
    w.platform.suspend(w.account.bot_id)
    exc = error(w.platform.richmenus.create, w.caller, menu())
    assert (exc.status, exc.message) == (403, "Access to this API is not available for your account")


# ---- images ------------------------------------------------------------------------------------


def test_upload_accepts_a_png_or_jpeg_of_exactly_the_menu_size_and_download_returns_it(w: World) -> None:
    rm = w.platform.richmenus
    first = rm.create(w.caller, menu())
    rm.upload_image(w.caller, first, "image/png", png(2500, 843))
    assert rm.download_image(w.caller, first) == (png(2500, 843), "image/png")
    second = rm.create(w.caller, menu(800, 270))
    rm.upload_image(w.caller, second, "image/jpeg", jpeg(800, 270))
    assert rm.image_of(second) == (jpeg(800, 270), "image/jpeg")


def test_upload_with_another_content_type_is_415(w: World) -> None:
    rich_menu_id = w.platform.richmenus.create(w.caller, menu())
    exc = error(w.platform.richmenus.upload_image, w.caller, rich_menu_id, "image/gif", b"GIF89a")
    assert (exc.status, exc.message) == (415, "The content type, image/gif, is not supported")


def test_upload_of_an_image_not_the_menu_size_is_400(w: World) -> None:
    rich_menu_id = w.platform.richmenus.create(w.caller, menu())
    exc = error(w.platform.richmenus.upload_image, w.caller, rich_menu_id, "image/png", png(2500, 1686))
    assert (exc.status, exc.message) == (400, "The image size is not allowed for richmenu")


def test_upload_over_1_mb_is_400(w: World) -> None:
    rich_menu_id = w.platform.richmenus.create(w.caller, menu())
    padded = png(2500, 843) + b"\0" * (1024 * 1024)  # trailing bytes keep it a readable PNG
    exc = error(w.platform.richmenus.upload_image, w.caller, rich_menu_id, "image/png", padded)
    assert (exc.status, exc.message) == (400, "The image size is not allowed for richmenu")


def test_upload_of_bytes_that_are_no_image_is_400(w: World) -> None:
    rich_menu_id = w.platform.richmenus.create(w.caller, menu())
    exc = error(w.platform.richmenus.upload_image, w.caller, rich_menu_id, "image/png", b"not an image")
    assert exc.status == 400


def test_an_uploaded_image_cannot_be_replaced(w: World) -> None:
    rich_menu_id = ready_menu(w)
    exc = error(w.platform.richmenus.upload_image, w.caller, rich_menu_id, "image/png", png(2500, 843))
    assert (exc.status, exc.message) == (400, "An image has already been uploaded to the richmenu")


def test_upload_to_an_unknown_menu_is_404(w: World) -> None:
    unknown = "richmenu-" + "2" * 32
    exc = error(w.platform.richmenus.upload_image, w.caller, unknown, "image/png", png(2500, 843))
    assert (exc.status, exc.message) == (404, "Not found")


def test_download_without_an_uploaded_image_is_404(w: World) -> None:
    rich_menu_id = w.platform.richmenus.create(w.caller, menu())
    exc = error(w.platform.richmenus.download_image, w.caller, rich_menu_id)
    assert (exc.status, exc.message) == (404, "Not found")
    assert w.platform.richmenus.image_of(rich_menu_id) is None
