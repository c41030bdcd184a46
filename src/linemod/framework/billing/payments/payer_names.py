"""Payer names as bank statements write them, made comparable.

A Japanese bank writes the transfer name (振込依頼人名) in the Zengin character set: half-width katakana, upper
case letters, digits, a few symbols, no small kana (ｼﾖｳﾃﾝ for ショウテン), the company type abbreviated
(ｶ) or ｶ) for 株式会社). Exports differ again: full-width or half-width, with or without spaces. `normalize`
folds all of these into one form: NFKC (half-width kana to full-width, ﾀﾞ to ダ, full-width letters and digits to
ASCII), hiragana to katakana, small kana to large, long-vowel marks and hyphens, spaces and punctuation dropped,
company-type markers removed, letters upper-cased. ﾔﾏﾀﾞ ﾀﾛｳ and ヤマダ　タロウ and やまだたろう all become ヤマダタロウ.
"""

from __future__ import annotations

import re
import unicodedata

_SMALL_TO_LARGE = str.maketrans("ァィゥェォッャュョヮヵヶ", "アイウエオツヤユヨワカケ")
_OLD_KANA = str.maketrans("ヰヱヲ", "イエオ")  # transfer names and people's own spellings vary between these
# Company types: 株式会社 and its abbreviations in transfer names, e.g. カ) (prefix) or (カ (suffix).
_COMPANY_WORDS = re.compile(
    r"株式会社|有限会社|合同会社|合名会社|合資会社|一般社団法人|一般財団法人|特定非営利活動法人|医療法人|"
    r"カブシキガイシヤ|カブシキカイシヤ|ユウゲンガイシヤ|ユウゲンカイシヤ|ゴウドウガイシヤ|ゴウドウカイシヤ"
)
_COMPANY_MARKS = re.compile(r"\(?(?:カ|ユ|ド|メ|シ|シヤ|ザイ|トクヒ|イ)\)|\((?:カ|ユ|ド|メ|シ|シヤ|ザイ|トクヒ|イ)\)?$")
_DROPPED = re.compile(r"[\s\-‐‑‒–—―ー−･・.,，、。'\"/()「」\[\]]+")


def _to_katakana(text: str) -> str:
    return "".join(chr(ord(c) + 0x60) if "\u3041" <= c <= "\u3096" else c for c in text)


def normalize(name: str) -> str:
    text = unicodedata.normalize("NFKC", name)
    text = _to_katakana(text).translate(_SMALL_TO_LARGE).translate(_OLD_KANA).upper()
    text = _COMPANY_WORDS.sub("", text)
    text = re.sub(r"\s+", "", text)
    text = _COMPANY_MARKS.sub("", text)
    return _DROPPED.sub("", text)


def without_digits(name: str) -> str:
    """A normalised name without the digits a payer put in it (a payer reference, an invoice number)."""
    return re.sub(r"\d+", "", name)
