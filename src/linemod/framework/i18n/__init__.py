"""Languages of the consoles: Japanese (the default: LINE Marketplace customers are Japanese businesses) and
English, through Babel gettext catalogs.

Message IDs are the English text; `locales/ja/LC_MESSAGES/messages.po` holds the Japanese. The `.po` files
are compiled in memory the first time a language is used, so there is no build step and no binary to keep
in git. To update the catalog after changing templates (from `src/linemod/framework/i18n`):

    pybabel extract -F babel.cfg -k N_ -o messages.pot ..
    pybabel update -i messages.pot -d locales -l ja

Modules add their own catalogs with `app.add_translations(localedir)`; their messages are merged over the
framework's, and serve the consoles, the attach pages and handlers (`ctx.gettext`) alike.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from jinja2 import Environment

LANGUAGES = ("ja", "en")
DEFAULT_LANGUAGE = "ja"
LANG_COOKIE = "linemod_lang"
LOCALE_DIR = Path(__file__).parent / "locales"


def N_(message: str) -> str:
    """Marks a message for extraction where it is defined; it is translated where it is shown."""
    return message


def compile_po(path: Path) -> Translations:
    """A `.po` file as ready-to-use translations (compiled to `.mo` in memory)."""
    with path.open("rb") as po:
        catalog = read_po(po)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


class Catalogs:
    """The translations of each language, from the framework's catalog plus any added ones."""

    def __init__(self) -> None:
        self._sources: list[tuple[Path, str]] = [(LOCALE_DIR, "messages")]
        self._cache: dict[str, Translations] = {}
        self.generation = 0
        """Grows with every `add()`: whoever caches something built from the catalogs rebuilds it."""

    def add(self, localedir: str | Path, domain: str = "messages") -> None:
        """Merge `{localedir}/{lang}/LC_MESSAGES/{domain}.po` of every language over what is there."""
        self._sources.append((Path(localedir), domain))
        self._cache.clear()
        self.generation += 1

    def get(self, lang: str) -> Translations:
        if lang not in self._cache:
            merged = Translations()
            for localedir, domain in self._sources:
                po = localedir / lang / "LC_MESSAGES" / f"{domain}.po"
                if po.exists():
                    merged.merge(compile_po(po))
            self._cache[lang] = merged
        return self._cache[lang]

    def gettext(self, lang: str, message: str, **values: Any) -> str:
        """`message` in `lang` (the message ID itself where no catalog has it), `%(name)s` filled from `values`."""
        text: str = self.get(lang).gettext(message)
        return text % values if values else text


def pick_language(cookie_value: str | None) -> str:
    """The remembered choice, else Japanese (Accept-Language is not asked: the default is deliberate)."""
    return cookie_value if cookie_value in LANGUAGES else DEFAULT_LANGUAGE


class TranslatedEnvironments:
    """Jinja environments, one per language with that language's translations installed: built by `make()`
    on first use, and built again after translations are added to the catalogs (or after `clear()`)."""

    def __init__(self, catalogs: Catalogs, make: Callable[[], Environment]) -> None:
        self.catalogs = catalogs
        self._make = make
        self._envs: dict[str, Environment] = {}
        self._generation = catalogs.generation

    def clear(self) -> None:
        """Forget the environments (what `make` builds has changed)."""
        self._envs.clear()

    def get(self, lang: str) -> Environment:
        if self._generation != self.catalogs.generation:
            self._envs.clear()
            self._generation = self.catalogs.generation
        env = self._envs.get(lang)
        if env is None:
            env = self._make()
            env.install_gettext_translations(self.catalogs.get(lang), newstyle=True)  # type: ignore[attr-defined]
            self._envs[lang] = env
        return env
