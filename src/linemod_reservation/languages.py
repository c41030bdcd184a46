"""The customer's language, and dates as customers read them.

What the module says is translated by the framework's gettext catalogs (`ctx.gettext`, with the module's
Japanese in `console/locales/ja/LC_MESSAGES/messages.po`); this is the little that is not a text: which of
the two languages a LINE user gets, and how a day is written in each.
"""

from __future__ import annotations

from datetime import date

JAPANESE_WEEKDAYS = "月火水木金土日"


def language(code: str | None) -> str:
    """Japanese for `ja…` and by default; English for any other language LINE reports."""
    if not code or code.lower().startswith("ja"):
        return "ja"
    return "en"


def day_label(lang: str, day: date | str) -> str:
    """`8月12日(水)` in Japanese, `Wed 12 Aug` in English."""
    d = date.fromisoformat(day) if isinstance(day, str) else day
    if language(lang) == "ja":
        return f"{d.month}月{d.day}日({JAPANESE_WEEKDAYS[d.weekday()]})"
    return d.strftime("%a %d %b").replace(" 0", " ")
