"""Set-up on attach: the OA gets the reservation rich menu as its default, and new friends a welcome."""

from __future__ import annotations

import io

from PIL import Image

from linemod_reservation import richmenu
from tests.reservation.world import World, wait_until


def test_attach_installs_the_rich_menu_as_the_oas_default(world: World) -> None:
    hanako = world.person()
    hanako.follow()
    menu = hanako.richmenu()
    assert menu["name"] == "linemod-reservation" and menu["selected"] is True
    labels = [area["action"]["label"] for area in menu["areas"]]
    assert labels == ["予約する", "予約確認", "お問い合わせ"]
    assert [area["action"]["data"] for area in menu["areas"]] == ["rsv:start", "rsv:list", "rsv:contact"]
    page = world.emu.get(f"/_pages/richmenu/{menu['richMenuId']}/image")  # what the LINE app view shows
    assert page.status_code == 200 and page.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(page.content)).size == (2500, 843)


def test_a_new_friend_is_welcomed_by_name_with_the_menu_as_quick_replies(world: World) -> None:
    [welcome] = world.person().follow()
    assert welcome["text"].startswith("山田 花子さん、友だち追加ありがとうございます！")
    assert "カフェ さくら" in welcome["text"]
    assert [i["action"]["label"] for i in welcome["quickReply"]["items"]] == ["予約する", "予約確認", "お問い合わせ"]


def test_an_english_speaker_is_welcomed_in_english(world: World) -> None:
    [welcome] = world.person("Emily Clark", "en").follow()
    assert welcome["text"].startswith("Thank you for adding us, Emily Clark!")


def test_a_reauthorization_replaces_the_menu_and_leaves_exactly_one(world: World) -> None:
    hanako = world.person()
    hanako.follow()
    first = hanako.richmenu()["richMenuId"]
    world.attach()  # the OA is attached already: a re-authorization, and a second `attached` event

    def current() -> str | None:  # between delete and set-default the user briefly sees no menu
        answer = world.emu.get(f"{hanako.chat_path}/richmenu")
        return answer.json()["richMenuId"] if answer.status_code == 200 else None

    wait_until(lambda: current() not in (None, first), what="a new default menu")
    assert [m["richMenuId"] for m in _our_menus(world)] == [hanako.richmenu()["richMenuId"]]


def _our_menus(world: World) -> list[dict]:
    menus = world.control("GET", "/_emulator/state")["richmenus"]["menus"]
    return [m for m in menus if m["bot_id"] == world.bot_id and m["body"]["name"] == richmenu.NAME]


def test_the_menu_image_falls_back_to_english_labels_without_a_japanese_font(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(richmenu, "FONT_CANDIDATES", ("/nonexistent.ttc",))
    richmenu.cjk_font_path.cache_clear()
    try:
        assert richmenu.cjk_font_path() is None
        japanese = {"Reserve": "予約する", "My bookings": "予約確認", "Contact us": "お問い合わせ"}
        image = Image.open(io.BytesIO(richmenu.render_image(japanese.__getitem__)))  # not drawn: no font for it
        assert image.size == (2500, 843)
    finally:
        richmenu.cjk_font_path.cache_clear()
