"""docs/emulator-behaviour.md numbers the emulator's 73 rules and 50 choices; each rule has exactly one test,
`test_rule_NN_...`, in the file of its area. These tests keep the page, the tests and the code in step, and keep
the repository free of references to documents it does not contain.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

RULE_COUNT = 73
CHOICE_COUNT = 50
ROOT = Path(__file__).resolve().parents[2]
BEHAVIOUR = ROOT / "docs" / "emulator-behaviour.md"

# Spelled in pieces so that this file does not match itself.
FOREIGN_REFERENCES = ("shared" + "/spec", "\u00a7", ".." + "/shared")
SCANNED = ("src", "tests", "docs", "scripts", "benchmarks", "README.md")


def _section(text: str, heading: str) -> str:
    """The text under a `## ` heading, up to the next `## ` heading."""
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else len(text)]


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_rule_has_a_test() -> None:
    numbers: list[int] = []
    for path in sorted(Path(__file__).parent.glob("test_rules_*.py")):
        module = importlib.import_module(f"tests.emulator.{path.stem}")
        numbers += [int(name.split("_")[2]) for name in vars(module) if name.startswith("test_rule_")]
    assert sorted(numbers) == list(range(1, RULE_COUNT + 1))


def test_the_behaviour_page_numbers_each_rule_and_choice_once() -> None:
    text = BEHAVIOUR.read_text(encoding="utf-8")
    rules = [int(n) for n in re.findall(r"^(\d+)\. ", _section(text, "Rules"), re.MULTILINE)]
    assert rules == list(range(1, RULE_COUNT + 1))
    choices_text = _section(text, "Where LINE is silent: the emulator's choices")
    choices = [int(n) for n in re.findall(r"^### Choice (\d+): ", choices_text, re.MULTILINE)]
    assert choices == list(range(1, CHOICE_COUNT + 1))


def test_the_behaviour_pages_links_lead_somewhere() -> None:
    text = BEHAVIOUR.read_text(encoding="utf-8")
    anchors = {_slug(h) for h in re.findall(r"^#{1,6} (.+)$", text, re.MULTILINE)}
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if target.startswith("https://"):
            continue
        path, _, anchor = target.partition("#")
        if path:
            assert (BEHAVIOUR.parent / path).is_file(), target
        else:
            assert anchor in anchors, target


def test_nothing_points_outside_the_repository() -> None:
    found = []
    for top in SCANNED:
        base = ROOT / top
        files = [base] if base.is_file() else [p for p in base.rglob("*") if p.is_file()]
        for path in files:
            if "__pycache__" in path.parts:
                continue
            data = path.read_bytes()
            if b"\0" in data:
                continue  # binary (images, fonts)
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                continue
            for number, line in enumerate(text.splitlines(), 1):
                if any(reference in line for reference in FOREIGN_REFERENCES):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:120]}")
    assert not found, "references to documents outside the repository:\n" + "\n".join(found)
