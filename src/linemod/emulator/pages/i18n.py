"""The pages' words in Japanese and English: one small catalog, Japanese first.

The language comes from `?lang=ja|en` (remembered in a cookie), else the cookie, else Japanese:
LINE Marketplace customers are Japanese businesses, so Japanese is the default of every page.
"""

from __future__ import annotations

from fastapi import Request

from linemod.emulator.pages.catalog import MESSAGES

LANGS = ("ja", "en")
DEFAULT_LANG = "ja"
LANG_COOKIE = "linemod_lang"


def requested_lang(request: Request) -> str | None:
    """The language asked for in this request's query, if it names one we speak."""
    asked = request.query_params.get("lang")
    return asked if asked in LANGS else None


def language_of(request: Request) -> str:
    asked = requested_lang(request)
    if asked:
        return asked
    remembered = request.cookies.get(LANG_COOKIE)
    return remembered if remembered in LANGS else DEFAULT_LANG


class Translator:
    """`t("key", name=...)`: the catalog's text in one language, formatted with keyword arguments.

    An unknown key renders as itself, so a missing entry shows up on the page instead of failing it.
    """

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGS else DEFAULT_LANG
        self._index = LANGS.index(self.lang)

    def __call__(self, key: str, **values: object) -> str:
        entry = MESSAGES.get(key)
        text = entry[self._index] if entry else key
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        return key in MESSAGES
