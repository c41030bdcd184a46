"""Search terms of a text, for Japanese and English alike: pure functions, the same on every database.

Japanese has no spaces between words and no tokenizer ships with SQLite or PostgreSQL, so Japanese text is
indexed as overlapping character bigrams (N-gram indexing, as Groonga and PostgreSQL's pg_bigm do): "予約を変更
する" gives 予約・約を・を変・変更・更す・する, and a query "予約の変更" (予約・約の・の変・変更) shares 予約 and 変更
with it. Bigrams that hold a hiragana character mostly span a particle or an inflection (を変, する), so they
weigh less, both in whether a text matches at all and in its rank. English words are lower-cased and lightly
stemmed ("changing", "changed", "changes" all give "chang"), common function words weigh little.

NFKC first: full-width ＡＢＣ and half-width ｶﾀｶﾅ become the letters people type into the search box.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

MAX_TERM = 64
MAX_QUERY_TERMS = 64  # a pasted essay searches on its first terms: bounded work per request

# Runs of characters written without spaces (kanji, kana, the prolonged sound mark), and runs of letters/digits.
_CJK_RUN = re.compile(r"[\u3041-\u309f\u30a0-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3005\u30fc]+")
_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
_HIRAGANA = re.compile(r"[\u3041-\u309f]")

LIGHT_WEIGHT = 0.3
"""The weight of a bigram holding hiragana, and of an English function word (a full term weighs 1)."""

# fmt: off
ENGLISH_STOP_WORDS = frozenset([
    "a", "an", "and", "are", "as", "at", "be", "by", "can", "do", "does", "for", "from", "how", "i", "if", "in",
    "into", "is", "it", "my", "not", "of", "on", "or", "so", "that", "the", "this", "to", "was", "what", "when",
    "where", "which", "who", "why", "will", "with", "you", "your",
])
# fmt: on


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").lower()


def _stem(word: str) -> str:
    """A light English stemmer: enough that a question's word form finds the article's."""
    word = word.replace("’", "'").split("'", 1)[0]
    if len(word) <= 3:
        return word
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            word = word[: -len(suffix)]
            break
    return word.removesuffix("e") if len(word) > 3 else word


def terms(text: str) -> list[str]:
    """Every term of `text`, in order, repeats included (what the index counts)."""
    normalized = normalize(text)
    found: list[str] = []
    for run in _CJK_RUN.findall(normalized):
        if len(run) == 1:
            found.append(run)
        else:
            found.extend(run[i : i + 2] for i in range(len(run) - 1))
    for word in _WORD.findall(normalized):
        found.append(_stem(word))
    return [term[:MAX_TERM] for term in found]


def weight(term: str) -> float:
    if _HIRAGANA.search(term) or term in _STOP_STEMS:
        return LIGHT_WEIGHT
    return 1.0


_STOP_STEMS = frozenset(_stem(word) for word in ENGLISH_STOP_WORDS)


def counts(text: str) -> Counter[str]:
    return Counter(terms(text))


@dataclass(frozen=True)
class Query:
    """What a search looks for: its distinct terms with their weights."""

    weights: dict[str, float]

    @classmethod
    def parse(cls, text: str) -> Query:
        weights: dict[str, float] = {}
        for term in terms(text):
            if term not in weights and len(weights) < MAX_QUERY_TERMS:
                weights[term] = weight(term)
        return cls(weights)

    @property
    def empty(self) -> bool:
        return not self.weights

    @property
    def total_weight(self) -> float:
        return sum(self.weights.values())
