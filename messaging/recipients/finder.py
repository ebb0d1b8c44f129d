"""The care-team finder: ranks the teams a veteran may message for a plain-language query.

Veterans know their care by type of care, provider and place, not by pool names. Each team
gets a description built from its display name, the everyday words for the types of care
its name contains (`vocabulary.json`, reviewable data), the abbreviations and facility codes
in the name spelled out, its provider and its care system. A query's words are matched
against it exactly, as whole phrases, by prefix, and with small typos (rapidfuzz).
Deterministic and explainable: every result lists the words that matched.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rapidfuzz import fuzz, process

from .common import Recipient
from .ordering import team_sort_key

MAX_QUERY_LENGTH = 200
_WORD = re.compile(r"[a-z0-9]+")
STOPWORDS = frozenset(
    "a an the my me i im i'm to for of and or about with need want get help please is are "
    "in on at from can could would like question questions ask asking team teams vha va dr "
    "doctor doctors clinic care".split()
)
# "care" is a stop word on its own but not inside phrases such as "primary care".


@dataclass(frozen=True)
class Match:
    recipient: Recipient
    score: float
    matched: tuple[str, ...]


@lru_cache(maxsize=1)
def vocabulary() -> dict:
    return json.loads((Path(__file__).with_name("vocabulary.json")).read_text())


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("'", ""))


@dataclass(frozen=True)
class _Document:
    name_words: frozenset[str]
    terms: dict[str, str]  # a phrase or word -> why it belongs (care type, code, provider, place)
    single_words: tuple[str, ...]  # every one-word name word and term, for typo matching


@lru_cache(maxsize=20_000)
def _document(display_name: str, system_name: str) -> _Document:
    vocab = vocabulary()
    lowered = display_name.lower()
    name_words = frozenset(w for w in words(display_name) if not w.isdigit())
    terms: dict[str, str] = {}
    for care_type, phrases in vocab["care_types"].items():
        if care_type.lower().replace("'", "") in lowered.replace("'", ""):
            for phrase in phrases:
                terms.setdefault(" ".join(words(phrase)), care_type)
            terms.setdefault(" ".join(words(care_type)), care_type)
    for code, meaning in vocab["abbreviations"].items():
        if code in name_words:
            terms.setdefault(" ".join(words(meaning)), code.upper())
            for w in words(meaning):
                terms.setdefault(w, code.upper())
    for w in words(system_name):
        terms.setdefault(w, system_name)
    single = tuple(sorted({*name_words, *(t for t in terms if " " not in t)}))
    return _Document(name_words=name_words, terms=terms, single_words=single)


def _query_words(query: str) -> list[str]:
    return [w for w in words(query[:MAX_QUERY_LENGTH]) if w not in STOPWORDS]


def _score(document: _Document, query: str, query_words: list[str]) -> tuple[float, list[str]]:
    score, matched = 0.0, []
    normalized = " ".join(words(query[:MAX_QUERY_LENGTH]))
    # Whole phrases of the vocabulary that the query contains ("hearing aids", "eye exam").
    for phrase, _why in document.terms.items():
        if " " in phrase and f" {phrase} " in f" {normalized} ":
            score += 4 + len(phrase.split())
            matched.append(phrase)
    for word in query_words:
        if word in document.name_words:
            score += 4
            matched.append(word)
        elif word in document.terms:
            score += 3
            matched.append(word)
        elif len(word) >= 3 and any(n.startswith(word) for n in document.name_words):
            score += 2
            matched.append(word)
        elif (
            len(word) >= 4
            # A word the vocabulary knows is meant as typed: "dental" is not a typo of "mental".
            and word not in _vocabulary_words()
            and process.extractOne(word, document.single_words, scorer=fuzz.ratio, score_cutoff=80)
        ):
            score += 1.5
            matched.append(word)
    return score, matched


def find(recipients: list[Recipient], query: str) -> list[Match]:
    """All `recipients`, best match first; with no usable words, the alphabetical list."""
    query_words = _query_words(query or "")
    ranked = []
    for recipient in recipients:
        document = _document(recipient.display_name, recipient.care_system.name)
        score, matched = _score(document, query or "", query_words) if query_words else (0.0, [])
        ranked.append(Match(recipient, score, tuple(dict.fromkeys(matched))))
    ranked.sort(key=lambda m: (-m.score, team_sort_key(m.recipient)))
    return ranked


@lru_cache(maxsize=20_000)
def plain_type_of_care(display_name: str) -> str | None:
    """The everyday type of care for a team whose name does not say it (its name only has
    an abbreviation such as BHIP, PACT or ROI), else None. Cached: a page lists hundreds of
    teams, and team names change only with a new data bundle."""
    vocab = vocabulary()
    lowered = display_name.lower().replace("'", "")
    if any(care_type in lowered for care_type in _care_types_lowered()):
        return None
    name_words = set(words(display_name))
    return next((plain for code, plain in vocab["plain_types"].items() if code in name_words), None)


@lru_cache(maxsize=1)
def _care_types_lowered() -> tuple[str, ...]:
    return tuple(t.lower().replace("'", "") for t in vocabulary()["care_types"])


@lru_cache(maxsize=1)
def _vocabulary_words() -> frozenset[str]:
    """Every word of the vocabulary's types of care and their everyday terms."""
    vocab = vocabulary()
    found: set[str] = set()
    for care_type, phrases in vocab["care_types"].items():
        for text in (care_type, *phrases):
            found.update(words(text))
    return frozenset(w for w in found if w not in STOPWORDS)


def team_label(recipient: Recipient) -> str:
    """How a team is offered: its display name, plus the plain type of care when the name
    only has an abbreviation ("VHA SPO BHIP Team 3 (Mental health)")."""
    plain = plain_type_of_care(recipient.display_name)
    return f"{recipient.display_name} ({plain})" if plain else recipient.display_name
