"""The framework's commands inside `linemod`."""

from __future__ import annotations

import sqlite3

from typer.testing import CliRunner

from linemod.cli import app


def test_db_upgrade_then_tenants_list_on_a_fresh_sqlite_file(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite+aiosqlite:///{tmp_path}/cli.db"
    monkeypatch.setenv("LINEMOD_DATABASE_URL", url)
    runner = CliRunner()
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    tables = {r[0] for r in sqlite3.connect(tmp_path / "cli.db").execute("SELECT name FROM sqlite_master")}
    assert {"tenants", "events", "jobs", "chat_states", "attach_states", "alembic_version"} <= tables
    sqlite3.connect(tmp_path / "cli.db").executescript(
        "INSERT INTO tenants (bot_id, display_name, scopes_json, state, created_at_ms, updated_at_ms) "
        "VALUES ('U" + "a" * 32 + "', 'Cafe', '[\"message:receive\"]', 'attached', 0, 0);"
    )
    listed = runner.invoke(app, ["tenants", "list"])
    assert listed.exit_code == 0, listed.output
    assert "Cafe" in listed.output and "attached" in listed.output
    events = runner.invoke(app, ["events", "list"])
    assert events.exit_code == 0 and "no events" in events.output


def test_serve_refuses_something_that_is_not_a_module_app() -> None:
    result = CliRunner().invoke(app, ["serve", "linemod.framework.settings:Settings"])
    assert result.exit_code != 0
    assert result.exit_code == 2 and "ModuleApp" in result.output


def test_serve_runs_the_server_the_apps_server_config_describes(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import uvicorn

    (tmp_path / "served_module.py").write_text("from linemod import ModuleApp\n\napp = ModuleApp()\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LINEMOD_CHANNEL_SECRET", "8c570fa6dd201bb328f1c1eac23a96d8")
    monkeypatch.setenv("LINEMOD_HEADER_TIMEOUT_SECONDS", "2")
    monkeypatch.setenv("LINEMOD_MAX_CONNECTIONS", "77")
    served: list[uvicorn.Config] = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda server, *_args, **_kw: served.append(server.config))
    result = CliRunner().invoke(app, ["serve", "served_module:app", "--port", "8765"])
    assert result.exit_code == 0, result.output
    config = served[0]
    assert (config.host, config.port, config.limit_concurrency) == ("127.0.0.1", 8765, 77)
    assert config.http.header_timeout == 2  # type: ignore[union-attr]
