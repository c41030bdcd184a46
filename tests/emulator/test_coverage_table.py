"""docs/emulator-coverage.md is what `scripts/openapi_coverage.py` prints today: a route added or removed without
regenerating the table fails here, so the table never claims more (or less) than the emulator serves."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.line_openapi import openapi_dir

ROOT = Path(__file__).resolve().parents[2]


def test_the_coverage_table_is_current_and_complete() -> None:
    env = {**os.environ, "LINE_OPENAPI_DIR": str(openapi_dir())}
    printed = subprocess.run([sys.executable, str(ROOT / "scripts" / "openapi_coverage.py")], env=env, check=True,
                             capture_output=True, text=True, timeout=120).stdout
    committed = (ROOT / "docs" / "emulator-coverage.md").read_text()
    assert printed == committed, "docs/emulator-coverage.md is stale: run scripts/openapi_coverage.py > it"
    assert "| no |" not in committed  # every operation of the files it lists is emulated
