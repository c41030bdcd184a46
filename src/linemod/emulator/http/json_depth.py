"""How deeply a JSON body nests, measured before it is parsed.

Python's `json` recurses once per level, and so do what reads a body afterwards: the Flex checks (a box
holds boxes), `json.dumps` of a stored message, and the simulator pages (one Jinja macro per box, about 18
Python frames each: a chat showing a Flex message of 60 nested boxes already passed Python's limit of
1,000 frames). A body nested a thousand levels deep would end in a RecursionError, a 500, wherever the
first of them gave up; refused up front, it is a 400 in the shape of the API it was sent to.
"""

from __future__ import annotations

import re

LINE_API_MAX_DEPTH = 64
"""LINE's bodies nest far less (a push of a Flex bubble with boxes five deep is 15 levels); at 64 a Flex
message holds at most 29 nested boxes, which the chat pages still show."""

CONTROL_API_MAX_DEPTH = 80
"""Above the LINE APIs' limit: `PUT /_emulator/state` restores chats holding messages sent through them,
a few levels deeper inside the snapshot."""

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_A_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_OPENING = frozenset(b"[{")


def nests_deeper_than(raw: bytes, limit: int) -> bool:
    """True when the JSON text `raw` opens more than `limit` arrays or objects inside one another.

    Brackets inside strings do not count. Malformed JSON gets an answer too (counting whatever brackets
    it has): the parser refuses it next anyway.
    """
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False  # the hot path: a body cannot nest deeper than it has brackets
    depth = 0
    for byte in _STRING.sub(b"", raw).translate(None, _NOT_A_BRACKET):
        depth += 1 if byte in _OPENING else -1
        if depth > limit:
            return True
    return False
