"""Every message the consoles show has a Japanese translation, with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir

from linemod.framework.i18n import LOCALE_DIR, Catalogs, compile_po, pick_language

FRAMEWORK = Path(__file__).resolve().parents[3] / "src" / "linemod" / "framework"
JINJA = {"extensions": "jinja2.ext.i18n"}


def extracted() -> set[str]:
    found = extract_from_dir(
        str(FRAMEWORK),
        method_map=[("**.py", "python"), ("**/templates/**.html", "jinja2"), ("**/templates/**.txt", "jinja2")],
        options_map={"**/templates/**.html": JINJA, "**/templates/**.txt": JINJA},
        keywords={**DEFAULT_KEYWORDS, "N_": None},
    )
    return {message if isinstance(message, str) else message[0] for _file, _line, message, _c, _ctx in found}


def test_every_console_message_is_translated_to_japanese() -> None:
    messages = extracted()
    assert len(messages) > 150 and "Sign in" in messages
    japanese = compile_po(LOCALE_DIR / "ja" / "LC_MESSAGES" / "messages.po")
    untranslated = sorted(m for m in messages if japanese.gettext(m) == m)
    assert untranslated == []
    placeholder = re.compile(r"%\([a-z_]+\)s")
    for message in messages:
        assert sorted(placeholder.findall(message)) == sorted(placeholder.findall(japanese.gettext(message))), message


def test_japanese_is_the_default_and_english_the_alternative() -> None:
    assert pick_language(None) == "ja" and pick_language("fr") == "ja" and pick_language("en") == "en"
    catalogs = Catalogs()
    assert catalogs.get("ja").gettext("Sign in") == "ログイン"
    assert catalogs.get("en").gettext("Sign in") == "Sign in"


def test_an_extension_catalog_is_merged_over_the_framework(tmp_path: Path) -> None:
    po = tmp_path / "ja" / "LC_MESSAGES"
    po.mkdir(parents=True)
    (po / "messages.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\nmsgid "Orders"\nmsgstr "注文"\n'
    )
    catalogs = Catalogs()
    catalogs.add(tmp_path)
    assert catalogs.get("ja").gettext("Orders") == "注文" and catalogs.get("ja").gettext("Sign in") == "ログイン"
