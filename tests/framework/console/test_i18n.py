"""Every message the consoles (and the invoices) show has a Japanese translation, with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir

from linemod.framework.i18n import LOCALE_DIR, Catalogs, compile_po, pick_language

FRAMEWORK = Path(__file__).resolve().parents[3] / "src" / "linemod" / "framework"
JINJA = {"extensions": "jinja2.ext.i18n"}


def extracted() -> set[tuple[str | None, str]]:
    """(context, message) of every message in the framework's code and templates (context None for plain
    gettext; the invoice template's words carry the context "invoice")."""
    found = extract_from_dir(
        str(FRAMEWORK),
        method_map=[("**.py", "python"), ("**/templates/**.html", "jinja2"), ("**/templates/**.txt", "jinja2")],
        options_map={"**/templates/**.html": JINJA, "**/templates/**.txt": JINJA},
        keywords={**DEFAULT_KEYWORDS, "N_": None},
    )
    return {(ctx, message if isinstance(message, str) else message[0]) for _file, _line, message, _c, ctx in found}


def test_every_console_message_is_translated_to_japanese() -> None:
    messages = extracted()
    assert len(messages) > 150 and (None, "Sign in") in messages and ("invoice", "Invoice") in messages
    japanese = compile_po(LOCALE_DIR / "ja" / "LC_MESSAGES" / "messages.po")

    def translated(ctx: str | None, message: str) -> str:
        return japanese.gettext(message) if ctx is None else japanese.pgettext(ctx, message)

    untranslated = sorted(m for ctx, m in messages if translated(ctx, m) == m)
    assert untranslated == []
    placeholder = re.compile(r"%\([a-z_]+\)s")
    for ctx, message in messages:
        assert sorted(placeholder.findall(message)) == sorted(placeholder.findall(translated(ctx, message))), message


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
