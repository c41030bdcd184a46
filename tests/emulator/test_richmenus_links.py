"""Rich menus at the platform level: the default menu, per-user and bulk links, aliases, what the
LINE app shows, and snapshots. One test per rule, with LINE's exact statuses and messages."""

from __future__ import annotations

import pytest

from linemod.emulator.platform.entities import Friendship
from linemod.emulator.platform.world import Caller, Platform
from tests.emulator.richmenu_world import (
    World,
    befriend,
    detail_list,
    error,
    make_world,
    menu,
    png,
    ready_menu,
)

UNKNOWN_MENU = "richmenu-" + "3" * 32


@pytest.fixture
def w() -> World:
    return make_world()


def primary_caller(w: World) -> Caller:
    primary = w.platform.primary_of(w.account)
    assert primary is not None
    return Caller(primary, w.account)


# ---- default rich menu -------------------------------------------------------------------------


def test_set_default_requires_an_uploaded_image(w: World) -> None:
    rich_menu_id = w.platform.richmenus.create(w.caller, menu())
    exc = error(w.platform.richmenus.set_default, w.caller, rich_menu_id)
    assert (exc.status, exc.message) == (400, "must upload richmenu image before applying it to user")


def test_set_default_of_an_unknown_menu_is_404(w: World) -> None:
    exc = error(w.platform.richmenus.set_default, w.caller, UNKNOWN_MENU)
    assert (exc.status, exc.message) == (404, "Not found")


def test_get_default_returns_the_default_menu_id(w: World) -> None:
    rich_menu_id = ready_menu(w)
    w.platform.richmenus.set_default(w.caller, rich_menu_id)
    assert w.platform.richmenus.default_id(w.caller) == rich_menu_id


def test_get_default_without_one_is_404_no_default_richmenu(w: World) -> None:
    exc = error(w.platform.richmenus.default_id, w.caller)
    assert (exc.status, exc.message) == (404, "no default richmenu")


def test_get_default_set_by_another_channel_is_403(w: World) -> None:
    w.platform.richmenus.set_default(w.caller, ready_menu(w))
    exc = error(w.platform.richmenus.default_id, primary_caller(w))
    assert (exc.status, exc.message) == (403, "the richmenu is owned by another channel")


def test_the_oa_has_one_default_which_the_last_setter_replaces(w: World) -> None:
    rm = w.platform.richmenus
    rm.set_default(w.caller, ready_menu(w))
    primary = primary_caller(w)
    theirs = rm.create(primary, menu())
    rm.upload_image(primary, theirs, "image/png", png(2500, 843))
    rm.set_default(primary, theirs)
    assert rm.current_for(w.account, w.person)["richMenuId"] == theirs  # type: ignore[index]


def test_cancel_default_clears_it(w: World) -> None:
    w.platform.richmenus.set_default(w.caller, ready_menu(w))
    w.platform.richmenus.cancel_default(w.caller)
    assert error(w.platform.richmenus.default_id, w.caller).status == 404


# ---- per-user links ----------------------------------------------------------------------------


def test_link_then_get_user_menu_returns_it(w: World) -> None:
    rich_menu_id = ready_menu(w)
    w.platform.richmenus.link(w.caller, w.seen, rich_menu_id)
    assert w.platform.richmenus.user_menu_id(w.caller, w.seen) == rich_menu_id


def test_link_requires_an_uploaded_image(w: World) -> None:
    rich_menu_id = w.platform.richmenus.create(w.caller, menu())
    exc = error(w.platform.richmenus.link, w.caller, w.seen, rich_menu_id)
    assert (exc.status, exc.message) == (400, "must upload richmenu image before applying it to user")


def test_link_of_an_unknown_menu_is_404(w: World) -> None:
    exc = error(w.platform.richmenus.link, w.caller, w.seen, UNKNOWN_MENU)
    assert (exc.status, exc.message) == (404, "Not found")


def test_link_with_a_malformed_user_id_is_400(w: World) -> None:
    exc = error(w.platform.richmenus.link, w.caller, "Unope", ready_menu(w))
    assert (exc.status, exc.message) == (400, "The value for the 'userId' parameter is invalid")


def test_link_with_a_user_id_unknown_to_the_caller_is_400(w: World) -> None:
    rich_menu_id = ready_menu(w)
    # The Primary Channel's U-ID of the same person means nothing to the module.
    primary_id = w.platform.seen_id(primary_caller(w).channel, w.account.bot_id, w.person)
    for user_id in (primary_id, "L" + "U" + "a" * 32 + "-" + w.account.bot_id):
        exc = error(w.platform.richmenus.link, w.caller, user_id, rich_menu_id)
        assert (exc.status, exc.message) == (400, "The value for the 'userId' parameter is invalid")


def test_link_to_a_user_who_blocked_the_oa_answers_200_but_links_nothing(w: World) -> None:
    w.account.friends[w.person] = Friendship(friend=True, blocked=True)
    w.platform.richmenus.link(w.caller, w.seen, ready_menu(w))
    assert w.account.user_richmenus == {}


def test_linking_again_replaces_the_users_menu(w: World) -> None:
    first, second = ready_menu(w), ready_menu(w)
    w.platform.richmenus.link(w.caller, w.seen, first)
    w.platform.richmenus.link(w.caller, w.seen, second)
    assert w.platform.richmenus.user_menu_id(w.caller, w.seen) == second


def test_unlink_removes_the_users_menu(w: World) -> None:
    w.platform.richmenus.link(w.caller, w.seen, ready_menu(w))
    w.platform.richmenus.unlink(w.caller, w.seen)
    exc = error(w.platform.richmenus.user_menu_id, w.caller, w.seen)
    assert (exc.status, exc.message) == (404, "the user has no richmenu")


def test_unlink_of_an_unknown_user_is_400(w: World) -> None:
    exc = error(w.platform.richmenus.unlink, w.caller, "L" + "U" + "b" * 32 + "-" + w.account.bot_id)
    assert (exc.status, exc.message) == (400, "The value for the 'userId' parameter is invalid")


def test_get_user_menu_with_a_malformed_id_is_400(w: World) -> None:
    exc = error(w.platform.richmenus.user_menu_id, w.caller, "nobody")
    assert (exc.status, exc.message) == (400, "The value for the 'userId' parameter is invalid")


def test_get_user_menu_ignores_the_default(w: World) -> None:
    w.platform.richmenus.set_default(w.caller, ready_menu(w))
    exc = error(w.platform.richmenus.user_menu_id, w.caller, w.seen)
    assert (exc.status, exc.message) == (404, "the user has no richmenu")


# ---- bulk link / unlink ------------------------------------------------------------------------


def test_bulk_link_links_every_friend_and_skips_ids_the_channel_never_saw(w: World) -> None:
    other = befriend(w.platform, w.account, "Taro")
    other_seen = w.platform.seen_id(w.module, w.account.bot_id, other)
    stranger = "L" + "U" + "c" * 32 + "-" + w.account.bot_id
    rich_menu_id = ready_menu(w)
    body = {"richMenuId": rich_menu_id, "userIds": [w.seen, other_seen, stranger]}
    w.platform.richmenus.bulk_link(w.caller, body)
    assert w.account.user_richmenus == {w.person: rich_menu_id, other: rich_menu_id}


def test_bulk_link_of_more_than_500_users_is_400(w: World) -> None:
    body = {"richMenuId": ready_menu(w), "userIds": [w.seen] * 501}
    exc = error(w.platform.richmenus.bulk_link, w.caller, body)
    assert detail_list(exc) == [("userIds", "Size must be between 1 and 500")]


def test_bulk_link_with_a_malformed_user_id_names_it(w: World) -> None:
    body = {"richMenuId": ready_menu(w), "userIds": [w.seen, "x"]}
    exc = error(w.platform.richmenus.bulk_link, w.caller, body)
    assert (exc.status, exc.message) == (
        400, "The property, 'userIds[1]', in the request body is invalid (line: -, column: -)")


def test_bulk_link_with_a_malformed_rich_menu_id_is_400_invalid_richmenuid(w: World) -> None:
    exc = error(w.platform.richmenus.bulk_link, w.caller, {"richMenuId": "menu-1", "userIds": [w.seen]})
    assert (exc.status, exc.message, detail_list(exc)) == (
        400, "The request body has 1 error(s)", [("richMenuId", "invalid richMenuId")])


def test_bulk_link_of_an_unknown_menu_is_404_richmenu_not_found(w: World) -> None:
    exc = error(w.platform.richmenus.bulk_link, w.caller, {"richMenuId": UNKNOWN_MENU, "userIds": [w.seen]})
    assert (exc.status, exc.message) == (404, "richmenu not found")


def test_bulk_link_requires_an_uploaded_image(w: World) -> None:
    rich_menu_id = w.platform.richmenus.create(w.caller, menu())
    exc = error(w.platform.richmenus.bulk_link, w.caller, {"richMenuId": rich_menu_id, "userIds": [w.seen]})
    assert (exc.status, exc.message) == (400, "must upload richmenu image before applying it to user")


def test_bulk_unlink_removes_the_links(w: World) -> None:
    w.platform.richmenus.link(w.caller, w.seen, ready_menu(w))
    w.platform.richmenus.bulk_unlink(w.caller, {"userIds": [w.seen]})
    assert w.account.user_richmenus == {}


def test_bulk_unlink_without_user_ids_is_400(w: World) -> None:
    exc = error(w.platform.richmenus.bulk_unlink, w.caller, {"userIds": []})
    assert detail_list(exc) == [("userIds", "Size must be between 1 and 500")]


# ---- aliases -----------------------------------------------------------------------------------


def test_alias_create_get_update_list_delete(w: World) -> None:
    rm = w.platform.richmenus
    first, second = ready_menu(w), ready_menu(w)
    rm.create_alias(w.caller, {"richMenuAliasId": "page-1", "richMenuId": first})
    assert rm.get_alias(w.caller, "page-1") == {"richMenuAliasId": "page-1", "richMenuId": first}
    rm.update_alias(w.caller, "page-1", {"richMenuId": second})
    assert rm.list_aliases(w.caller) == [{"richMenuAliasId": "page-1", "richMenuId": second}]
    rm.delete_alias(w.caller, "page-1")
    assert rm.list_aliases(w.caller) == []


def test_alias_id_outside_a_z_0_9_underscore_hyphen_1_to_32_is_400(w: World) -> None:
    for alias_id in ("Page-1", "a" * 33, ""):
        exc = error(w.platform.richmenus.create_alias, w.caller, {"richMenuAliasId": alias_id,
                                                                 "richMenuId": ready_menu(w)})
        assert detail_list(exc) == [("richMenuAliasId", "invalid richMenuAliasId")]


def test_duplicate_alias_id_is_400_conflict(w: World) -> None:
    rich_menu_id = ready_menu(w)
    body = {"richMenuAliasId": "page-1", "richMenuId": rich_menu_id}
    w.platform.richmenus.create_alias(w.caller, body)
    exc = error(w.platform.richmenus.create_alias, w.caller, body)
    assert (exc.status, exc.message) == (400, "conflict richmenu alias id")


def test_alias_of_a_menu_without_image_is_400_richmenu_not_found(w: World) -> None:
    rich_menu_id = w.platform.richmenus.create(w.caller, menu())
    body = {"richMenuAliasId": "p", "richMenuId": rich_menu_id}
    exc = error(w.platform.richmenus.create_alias, w.caller, body)
    assert (exc.status, exc.message) == (400, "richmenu not found")


def test_alias_of_another_channels_menu_is_400_richmenu_not_found(w: World) -> None:
    primary = primary_caller(w)
    theirs = w.platform.richmenus.create(primary, menu())
    exc = error(w.platform.richmenus.create_alias, w.caller, {"richMenuAliasId": "p", "richMenuId": theirs})
    assert (exc.status, exc.message) == (400, "richmenu not found")


@pytest.mark.parametrize("call", ["get_alias", "delete_alias"])
def test_unknown_alias_is_404(w: World, call: str) -> None:
    exc = error(getattr(w.platform.richmenus, call), w.caller, "nope")
    assert (exc.status, exc.message) == (404, "richmenu alias not found")


def test_update_of_an_unknown_alias_is_404(w: World) -> None:
    exc = error(w.platform.richmenus.update_alias, w.caller, "nope", {"richMenuId": ready_menu(w)})
    assert (exc.status, exc.message) == (404, "richmenu alias not found")


# ---- what the LINE app shows ---------------------------------------------------------------------


def test_current_for_is_the_users_link_else_the_default_else_none(w: World) -> None:
    rm = w.platform.richmenus
    assert rm.current_for(w.account, w.person) is None
    default, linked = ready_menu(w), ready_menu(w, name="linked")
    rm.set_default(w.caller, default)
    assert rm.current_for(w.account, w.person)["richMenuId"] == default  # type: ignore[index]
    rm.link(w.caller, w.seen, linked)
    shown = rm.current_for(w.account, w.person)
    assert shown is not None and shown["richMenuId"] == linked and shown["name"] == "linked"


def test_area_action_returns_the_tapped_areas_action(w: World) -> None:
    w.platform.richmenus.set_default(w.caller, ready_menu(w))
    assert w.platform.richmenus.area_action(w.account, w.person, 0) == {
        "type": "postback", "data": "action=buy&itemid=123"}
    assert w.platform.richmenus.area_action(w.account, w.person, 5) is None


def test_richmenuswitch_shows_the_aliased_menu_until_the_link_changes(w: World) -> None:
    rm = w.platform.richmenus
    page1, page2 = ready_menu(w), ready_menu(w, name="page 2")
    rm.create_alias(w.caller, {"richMenuAliasId": "page-2", "richMenuId": page2})
    rm.link(w.caller, w.seen, page1)
    assert rm.switch_to_alias(w.account, w.person, "page-2")["richMenuId"] == page2  # type: ignore[index]
    assert rm.current_for(w.account, w.person)["richMenuId"] == page2  # type: ignore[index]
    assert rm.user_menu_id(w.caller, w.seen) == page1  # the API still reports the link
    assert rm.switch_to_alias(w.account, w.person, "missing") is None
    rm.link(w.caller, w.seen, ready_menu(w, name="page 3"))
    assert rm.current_for(w.account, w.person)["name"] == "page 3"  # type: ignore[index]


# ---- snapshots ---------------------------------------------------------------------------------


def test_export_then_load_restores_menus_images_aliases_and_links(w: World) -> None:
    rm = w.platform.richmenus
    rich_menu_id = ready_menu(w)
    rm.set_default(w.caller, rich_menu_id)
    rm.link(w.caller, w.seen, rich_menu_id)
    rm.create_alias(w.caller, {"richMenuAliasId": "page-1", "richMenuId": rich_menu_id})
    data = rm.export()
    w.account.default_richmenu_id = None
    w.account.user_richmenus.clear()
    fresh = type(rm)(w.platform)
    fresh.load(data)
    assert fresh.export() == data
    assert fresh.image_of(rich_menu_id) == rm.image_of(rich_menu_id)
    assert fresh.current_for(w.account, w.person)["richMenuId"] == rich_menu_id  # type: ignore[index]


def test_a_fresh_platform_has_no_rich_menus() -> None:
    assert Platform().richmenus.export()["menus"] == []
