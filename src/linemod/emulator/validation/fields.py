"""Member-by-member checks of JSON objects, recording problems as LINE error details.

LINE words its validation details like Java Bean Validation ("May not be empty", "Size must be
between 1 and 5", "Length must be between 0 and 5000"); the wording lives here so that messages,
actions and Flex components all speak alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

from linemod.emulator.errors import Detail

MISSING = "May not be empty"
HTTPS = ("https",)
LINK_SCHEMES = ("http", "https", "line", "tel")
_COLOR = re.compile(r"#[0-9a-fA-F]{6}([0-9a-fA-F]{2})?")


def one_of(values: Sequence[str]) -> str:
    return f"Must be one of the following values: [{', '.join(values)}]"


def size_between(low: int, high: int) -> str:
    return f"Size must be between {low} and {high}"


def utf16_len(text: str) -> int:
    # LINE counts most text in UTF-16 code units, so an emoji such as 🍎 counts as two characters.
    return len(text.encode("utf-16-le")) // 2


def grapheme_len(text: str) -> int:
    # LINE counts action labels and template texts in grapheme clusters. The standard library cannot
    # segment them; code points give the same count except for multi-code-point clusters (flags, ZWJ
    # emoji), which are rare in labels.
    return len(text)


class Fields:
    """One JSON object under check: each method checks one member and records what is wrong in `out`.

    `count` measures string lengths (see `utf16_len` and `grapheme_len`); nested objects inherit it.
    The body itself has the path "" (its members are named bare, such as `endpoint`).
    """

    def __init__(
        self, obj: dict[str, Any], prop: str, out: list[Detail], count: Callable[[str], int] = utf16_len
    ) -> None:
        self.obj, self.prop, self.out, self.count = obj, prop, out, count

    def path(self, key: str) -> str:
        return f"{self.prop}.{key}" if self.prop else key

    def fail(self, key: str, message: str) -> None:
        self.out.append(Detail(message, self.path(key)))

    def get(self, key: str, *, required: bool = False) -> Any:
        """The raw member, recording "May not be empty" when it is required and absent or null."""
        value = self.obj.get(key)
        if value is None and required:
            self.fail(key, MISSING)
        return value

    def string(self, key: str, *, required: bool = False, max_len: int | None = None) -> str | None:
        value = self.get(key, required=required)
        if value is None:
            return None
        text: str | None = value if isinstance(value, str) else None
        if text is None:
            self.fail(key, "Must be a string")
        elif required and not text:
            self.fail(key, MISSING)
        elif max_len is not None and self.count(text) > max_len:
            self.fail(key, f"Length must be between 0 and {max_len}")
        return text

    def strings(self, *keys: str) -> None:
        """Type-checks optional free-form members (sizes, margins, offsets) that take pixels or keywords."""
        for key in keys:
            self.string(key)

    def url(
        self, key: str, *, required: bool = False, max_len: int = 2000, schemes: Sequence[str] = HTTPS
    ) -> str | None:
        value = self.string(key, required=required, max_len=max_len)
        if value and not _has_scheme(value, schemes):
            if tuple(schemes) == HTTPS:
                self.fail(key, "Must be a valid HTTPS URL")
            else:
                listed = ", ".join(schemes)
                self.fail(key, f"Must be a valid URI with one of the following schemes: [{listed}]")
        return value

    def enum(self, key: str, values: Sequence[str], *, required: bool = False) -> str | None:
        """The member when it is one of `values`, else None (after recording why)."""
        value = self.string(key, required=required)
        if value and value not in values:
            self.fail(key, one_of(values))
            return None
        return value or None

    def color(self, key: str) -> None:
        value = self.string(key)
        if value is not None and not _COLOR.fullmatch(value):
            self.fail(key, "Must be a color code in #RRGGBB or #RRGGBBAA format")

    def integer(self, key: str, *, required: bool = False, minimum: int | None = None) -> int | None:
        value = self.get(key, required=required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(key, "Must be an integer")
            return None
        if minimum is not None and value < minimum:
            self.fail(key, f"Must be greater than or equal to {minimum}")
        return value

    def number(self, key: str, *, required: bool = False) -> None:
        value = self.get(key, required=required)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            self.fail(key, "Must be a number")

    def boolean(self, key: str) -> None:
        value = self.obj.get(key)
        if value is not None and not isinstance(value, bool):
            self.fail(key, "Must be a boolean")

    def nested(self, key: str, *, required: bool = False) -> Fields | None:
        value = self.get(key, required=required)
        return None if value is None else as_fields(value, self.path(key), self.out, self.count)

    def array(self, key: str, *, required: bool = False, low: int = 0, high: int | None = None) -> list[Any]:
        """The member's items (empty when absent or not an array), recording a wrong type or size."""
        value = self.get(key, required=required)
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(key, "Must be an array")
            return []
        if high is not None and not low <= len(value) <= high:
            self.fail(key, size_between(low, high))
        elif len(value) < low:
            self.fail(key, f"Size must be at least {low}")
        return value

    def items(
        self, key: str, *, required: bool = False, low: int = 0, high: int | None = None
    ) -> Iterator[tuple[object, str]]:
        """Each item of an array member with its path, such as `messages[0].emojis[1]`."""
        for index, item in enumerate(self.array(key, required=required, low=low, high=high)):
            yield item, f"{self.path(key)}[{index}]"

    def objects(
        self, key: str, *, required: bool = False, low: int = 0, high: int | None = None
    ) -> Iterator[Fields]:
        """The items of an array of objects, recording "Must be an object" for any other item."""
        for item, path in self.items(key, required=required, low=low, high=high):
            fields = as_fields(item, path, self.out, self.count)
            if fields is not None:
                yield fields


def as_fields(
    value: object, prop: str, out: list[Detail], count: Callable[[str], int] = utf16_len
) -> Fields | None:
    if isinstance(value, dict):
        return Fields(value, prop, out, count)
    out.append(Detail("Must be an object", prop))
    return None


def _has_scheme(url: str, schemes: Sequence[str]) -> bool:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in schemes:
        return False
    if scheme in ("http", "https"):
        return bool(parts.netloc)
    return len(url) > len(scheme) + 1  # line:… and tel:… need something after the colon
