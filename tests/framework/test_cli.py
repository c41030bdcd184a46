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
