"""Settings: LINEMOD_* variables, documented defaults, one setting for every LINE host."""

from __future__ import annotations

import pytest

from linemod.framework.settings import Settings


def test_every_option_is_documented_in_the_docstring() -> None:
    doc = Settings.__doc__ or ""
    missing = [name for name in Settings.model_fields if name not in doc]
    assert missing == []


def test_values_come_from_linemod_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINEMOD_CHANNEL_ID", "2000000001")
    monkeypatch.setenv("LINEMOD_SCOPES", "message:send,profile:read")
    monkeypatch.setenv("LINEMOD_BOT_ID_HEADER", "X-Custom-Bot")
    monkeypatch.setenv("LINEMOD_TOKEN_TYPE", "v2.1")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.channel_id == "2000000001"
    assert settings.scopes == ["message:send", "profile:read"]
    assert settings.bot_id_header == "X-Custom-Bot"
    assert settings.token_type == "v2.1"


def test_message_receive_is_always_requested() -> None:
    settings = Settings(_env_file=None, scopes=["profile:read"])  # type: ignore[call-arg]
    assert settings.requested_scopes == ["message:receive", "profile:read"]


def test_one_base_url_points_every_host_at_the_emulator() -> None:
    real = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (real.api_url, real.data_api_url, real.manager_url) == (
        "https://api.line.me",
        "https://api-data.line.me",
        "https://manager.line.biz",
    )
    emulated = Settings(_env_file=None, line_base_url="http://127.0.0.1:9000/")  # type: ignore[call-arg]
    assert {emulated.api_url, emulated.data_api_url, emulated.manager_url} == {"http://127.0.0.1:9000"}


def test_defaults() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.database_url.startswith("sqlite+aiosqlite:///")
    assert settings.token_type == "stateless"
    assert settings.bot_id_header == "X-Line-Bot-Id"
    assert settings.attach_redirect_uri == "http://127.0.0.1:8000/attach/callback"


def test_invalid_token_type_is_refused() -> None:
    with pytest.raises(ValueError):
        Settings(_env_file=None, token_type="long-lived")  # type: ignore[call-arg, arg-type]


def test_serving_without_any_secret_fails_and_says_what_to_set(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from linemod.framework.app import ModuleApp
    from linemod.framework.settings import MissingSecretError, Settings

    settings = Settings(_env_file=None, channel_secret="", database_url=f"sqlite+aiosqlite:///{tmp_path}/a.db")  # type: ignore[call-arg]
    with pytest.raises(MissingSecretError) as raised:
        ModuleApp(settings).asgi()
    for what_to_set in ("LINEMOD_CHANNEL_SECRET", "LINEMOD_COOKIE_SECRET", "LINEMOD_DEVELOPMENT=1"):
        assert what_to_set in str(raised.value)


def test_only_development_mode_signs_with_the_fixed_development_secret() -> None:
    from linemod.framework.settings import DEVELOPMENT_SIGNING_SECRET, Settings

    assert Settings(_env_file=None, development=True).signing_secret == DEVELOPMENT_SIGNING_SECRET  # type: ignore[call-arg]
    assert Settings(_env_file=None, channel_secret="c").signing_secret == "c"  # type: ignore[call-arg]
    assert Settings(_env_file=None, channel_secret="c", cookie_secret="k").signing_secret == "k"  # type: ignore[call-arg]


def test_cookies_are_secure_when_the_module_is_served_over_https_unless_told_otherwise() -> None:
    from linemod.framework.settings import Settings

    def secure(**values: object) -> bool:
        return Settings(_env_file=None, **values).secure_cookies  # type: ignore[arg-type]

    assert secure(public_base_url="https://module.example") is True
    assert secure(public_base_url="http://127.0.0.1:8000") is False
    assert secure(public_base_url="https://module.example", cookie_secure=False) is False
    assert secure(public_base_url="http://127.0.0.1:8000", cookie_secure=True) is True


async def test_the_attach_cookie_is_secure_when_the_module_is_served_over_https(db) -> None:  # type: ignore[no-untyped-def]
    from linemod.framework.app import ModuleApp
    from tests.framework.helpers import Running, make_settings

    for base, secure in (("https://module.example", True), ("http://127.0.0.1:8000", False)):
        async with Running(ModuleApp(make_settings(public_base_url=base), database=db), workers=False) as run:
            started = await run.http.get("/attach/start")
        assert started.status_code == 302
        assert ("secure" in started.headers["set-cookie"].lower()) is secure
