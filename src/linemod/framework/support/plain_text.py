"""Text typed into the help desk's self-service forms and search boxes, made storable: control characters
dropped (PostgreSQL refuses a NUL in text, which was a 500), Windows line ends made plain."""

from __future__ import annotations

import re

_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def one_line(text: str | None) -> str:
    """Whitespace runs (line breaks included) as single spaces, trimmed."""
    return " ".join(_CONTROLS.sub("", text or "").split())


def multi_line(text: str | None) -> str:
    """Line breaks kept (as "\\n"), other controls dropped, trimmed."""
    return _CONTROLS.sub("", (text or "").replace("\r\n", "\n").replace("\r", "\n")).strip()
