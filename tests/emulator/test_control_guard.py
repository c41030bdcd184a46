"""The control API answers the developer's tools, not a page elsewhere: foreign Host headers (DNS rebinding)
and cross-site requests are refused; the LINE APIs and the simulator pages are not affected."""

from __future__ import annotations

from linemod.emulator import EmulatorSettings, create_app
from tests.support.servers import Emulator, serve


def test_a_foreign_host_or_a_cross_site_request_gets_no_control_api(emulator: Emulator) -> None:
    assert emulator.http.get("/_emulator/state").status_code == 200  # Host: 127.0.0.1:<port>
    rebound = emulator.http.get("/_emulator/state", headers={"Host": "evil.example"})
    assert rebound.status_code == 403 and "evil.example" in rebound.json()["message"]
    for headers in (
        {"Sec-Fetch-Site": "cross-site"},
        {"Origin": "http://evil.example"},
        {"Origin": "http://evil.example", "Content-Type": "text/plain"},
    ):
        answer = emulator.http.post("/_emulator/reset", headers=headers, content=b"{}")
        assert answer.status_code == 403, (headers, answer.text)
    assert emulator.http.post("/_emulator/reset", headers={"Origin": "http://localhost:3000"}).status_code == 200
    assert emulator.http.get("/_pages/").status_code == 200  # the simulator pages work
    line_api = emulator.http.get("/v2/bot/info", headers={"Host": "api.line.me"})
    assert line_api.status_code == 401  # LINE's own answer to no token: the guard is not in the way


def test_more_hosts_can_be_allowed() -> None:
    settings = EmulatorSettings()
    settings.control_hosts = [*settings.control_hosts, "emulator.ci.internal"]
    with serve(create_app(settings)) as url:
        import httpx

        with httpx.Client(base_url=url) as http:
            assert http.get("/_emulator/state", headers={"Host": "emulator.ci.internal:9000"}).status_code == 200
            assert http.get("/_emulator/state", headers={"Host": "elsewhere.example"}).status_code == 403
