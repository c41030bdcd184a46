"""Rich menu endpoints over HTTP: LINE's paths, statuses and bodies, with a real module token."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from linemod.emulator.http.app import create_app
from linemod.emulator.platform.entities import Attachment
from tests.emulator.richmenu_world import World, make_world, menu, png


class Api:
    """A module's HTTP client for one OA: bearer token and bot-ID header on every call."""

    def __init__(self, w: World) -> None:
        self.w = w
        self.client = TestClient(create_app(platform=w.platform))
        form = {"grant_type": "client_credentials", "client_id": w.module.channel_id,
                "client_secret": w.module.channel_secret}
        answer = self.client.post("/oauth2/v3/token", data=form)
        assert answer.status_code == 200, answer.text
        self.headers = {"Authorization": f"Bearer {answer.json()['access_token']}",
                        w.platform.settings.bot_id_header: w.account.bot_id}

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return self.client.request(method, path, headers=headers, **kwargs)

    def ready_menu(self) -> str:
        rich_menu_id: str = self.call("POST", "/v2/bot/richmenu", json=menu()).json()["richMenuId"]
        answer = self.call("POST", f"/v2/bot/richmenu/{rich_menu_id}/content", content=png(2500, 843),
                           headers={"Content-Type": "image/png"})
        assert (answer.status_code, answer.json()) == (200, {})
        return rich_menu_id


@pytest.fixture
def api() -> Api:
    return Api(make_world())


def test_create_get_list_and_delete_over_http(api: Api) -> None:
    created = api.call("POST", "/v2/bot/richmenu", json=menu())
    assert created.status_code == 200
    rich_menu_id = created.json()["richMenuId"]
    expected = {"richMenuId": rich_menu_id, **menu()}
    assert api.call("GET", f"/v2/bot/richmenu/{rich_menu_id}").json() == expected
    assert api.call("GET", "/v2/bot/richmenu/list").json() == {"richmenus": [expected]}
    assert (api.call("DELETE", f"/v2/bot/richmenu/{rich_menu_id}").json()) == {}
    missing = api.call("GET", f"/v2/bot/richmenu/{rich_menu_id}")
    assert (missing.status_code, missing.json()) == (404, {"message": "Not found"})


def test_validate_answers_200_empty_or_400_with_details(api: Api) -> None:
    assert (api.call("POST", "/v2/bot/richmenu/validate", json=menu()).json()) == {}
    body = menu()
    del body["name"]
    answer = api.call("POST", "/v2/bot/richmenu/validate", json=body)
    assert (answer.status_code, answer.json()) == (400, {
        "message": "The request body has 1 error(s)",
        "details": [{"message": "must be specified", "property": "name"}],
    })


def test_image_upload_and_download_on_the_content_path(api: Api) -> None:
    rich_menu_id = api.ready_menu()
    image = api.call("GET", f"/v2/bot/richmenu/{rich_menu_id}/content")
    assert (image.status_code, image.headers["content-type"]) == (200, "image/png")
    assert image.content == png(2500, 843)
    again = api.call("POST", f"/v2/bot/richmenu/{rich_menu_id}/content", content=png(2500, 843),
                     headers={"Content-Type": "image/png"})
    assert (again.status_code, again.json()) == (
        400, {"message": "An image has already been uploaded to the richmenu"})


def test_link_get_and_unlink_a_user_over_http(api: Api) -> None:
    rich_menu_id = api.ready_menu()
    seen = api.w.seen
    assert api.call("POST", f"/v2/bot/user/{seen}/richmenu/{rich_menu_id}").json() == {}
    assert api.call("GET", f"/v2/bot/user/{seen}/richmenu").json() == {"richMenuId": rich_menu_id}
    assert api.call("DELETE", f"/v2/bot/user/{seen}/richmenu").json() == {}
    gone = api.call("GET", f"/v2/bot/user/{seen}/richmenu")
    assert (gone.status_code, gone.json()) == (404, {"message": "the user has no richmenu"})


def test_default_rich_menu_over_http(api: Api) -> None:
    none = api.call("GET", "/v2/bot/user/all/richmenu")
    assert (none.status_code, none.json()) == (404, {"message": "no default richmenu"})
    rich_menu_id = api.ready_menu()
    assert api.call("POST", f"/v2/bot/user/all/richmenu/{rich_menu_id}").json() == {}
    assert api.call("GET", "/v2/bot/user/all/richmenu").json() == {"richMenuId": rich_menu_id}
    assert api.call("DELETE", "/v2/bot/user/all/richmenu").json() == {}
    assert api.call("GET", "/v2/bot/user/all/richmenu").status_code == 404


def test_bulk_link_and_unlink_answer_202_empty(api: Api) -> None:
    rich_menu_id = api.ready_menu()
    body = {"richMenuId": rich_menu_id, "userIds": [api.w.seen]}
    linked = api.call("POST", "/v2/bot/richmenu/bulk/link", json=body)
    assert (linked.status_code, linked.json()) == (202, {})
    assert api.w.account.user_richmenus == {api.w.person: rich_menu_id}
    unlinked = api.call("POST", "/v2/bot/richmenu/bulk/unlink", json={"userIds": [api.w.seen]})
    assert (unlinked.status_code, unlinked.json()) == (202, {})
    assert api.w.account.user_richmenus == {}


def test_aliases_over_http_are_not_shadowed_by_the_rich_menu_paths(api: Api) -> None:
    rich_menu_id = api.ready_menu()
    body = {"richMenuAliasId": "content", "richMenuId": rich_menu_id}  # "content" must not hit /{id}/content
    assert api.call("POST", "/v2/bot/richmenu/alias", json=body).json() == {}
    assert api.call("GET", "/v2/bot/richmenu/alias/content").json() == body
    assert api.call("GET", "/v2/bot/richmenu/alias/list").json() == {"aliases": [body]}
    assert api.call("POST", "/v2/bot/richmenu/alias/content", json={"richMenuId": rich_menu_id}).json() == {}
    assert api.call("DELETE", "/v2/bot/richmenu/alias/content").json() == {}
    missing = api.call("GET", "/v2/bot/richmenu/alias/content")
    assert (missing.status_code, missing.json()) == (404, {"message": "richmenu alias not found"})


def test_a_module_without_account_manage_gets_403(api: Api) -> None:
    w = api.w
    key = (w.module.channel_id, w.account.bot_id)
    w.platform.attachments[key] = Attachment(w.module.channel_id, w.account.bot_id, ["message:send"], 0)
    answer = api.call("GET", "/v2/bot/richmenu/list")
    assert (answer.status_code, answer.json()) == (
        403, {"message": "Access to this API is not available for your account"})


def test_a_module_call_without_the_bot_id_header_gets_403(api: Api) -> None:
    answer = api.client.get("/v2/bot/richmenu/list", headers={"Authorization": api.headers["Authorization"]})
    assert answer.status_code == 403
