"""`linemod accounts create-staff`: the only way to make a provider staff account."""

from __future__ import annotations

import sqlite3

from typer.testing import CliRunner

from linemod.cli import app


def test_create_staff_with_a_password_option_then_refuse_a_duplicate(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("LINEMOD_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/staff.db")
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    made = runner.invoke(app, ["accounts", "create-staff", "Ops@Provider.example", "--password", "long enough pw"])
    assert made.exit_code == 0, made.output
    assert "ops@provider.example" in made.output
    rows = sqlite3.connect(tmp_path / "staff.db").execute("SELECT email, provider_staff FROM accounts").fetchall()
    assert rows == [("ops@provider.example", 1)]
    again = runner.invoke(app, ["accounts", "create-staff", "ops@provider.example", "--password", "long enough pw"])
    assert again.exit_code == 1


def test_create_staff_prompts_for_the_password(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("LINEMOD_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/staff.db")
    runner = CliRunner()
    runner.invoke(app, ["db", "upgrade"])
    made = runner.invoke(
        app, ["accounts", "create-staff", "ops@provider.example"], input="long enough pw\nlong enough pw\n"
    )
    assert made.exit_code == 0, made.output
    short = runner.invoke(app, ["accounts", "create-staff", "b@provider.example", "--password", "short"])
    assert short.exit_code == 1 and "weak_password" in short.output
