"""Spec §14 has 73 rules; each has exactly one test, `test_rule_NN_...`, in the file of its area."""

from __future__ import annotations

import importlib
from pathlib import Path

RULE_COUNT = 73


def test_every_rule_has_a_test() -> None:
    numbers: list[int] = []
    for path in sorted(Path(__file__).parent.glob("test_rules_*.py")):
        module = importlib.import_module(f"tests.emulator.{path.stem}")
        numbers += [int(name.split("_")[2]) for name in vars(module) if name.startswith("test_rule_")]
    assert sorted(numbers) == list(range(1, RULE_COUNT + 1))
