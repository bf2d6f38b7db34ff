"""Display names as linking compares them, and the fuzzy score between two.

The score is rapidfuzz's `token_sort_ratio` over names folded to lower-case
ASCII letters: word order does not count ("Byron, Ada" is "Ada Byron"),
letter case and accents do not count, but a missing or different word does,
so "Ada" alone never scores high against "Ada Byron". `WRatio` and
`token_set_ratio` were rejected: both give a full score to a name that is
only part of another.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from rapidfuzz import fuzz, process

_VIA = re.compile(r"\s+(?:via|through|on behalf of)\s+.+$", re.I)
_NON_LETTERS = re.compile(r"[^\w\s]+|_")
_SPACES = re.compile(r"\s+")


def person_name(display: str) -> str:
    """The person in a display name: quotes, "via List" and "Last, First" undone."""
    name = display.strip().strip("\"'").strip()
    name = _VIA.sub("", name).strip().strip("\"'").strip()
    if "@" in name:
        return ""
    if name.count(",") == 1:
        last, first = (part.strip() for part in name.split(","))
        if last and first and " " not in last:
            name = f"{first} {last}"
    return _SPACES.sub(" ", name).strip()


def fold_name(name: str) -> str:
    """Lower-case ASCII words of a name: "Jürgen Weiß" gives "jurgen weiss"."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", _NON_LETTERS.sub(" ", letters)).strip()


@lru_cache(maxsize=65536)
def name_key(name: str) -> str:
    """The indexed form of a name: folded words of two letters or more, sorted.

    Initials drop out, so "Ada K. Byron", "byron, ada" and "ADA BYRON" share
    the key "ada byron". A single word gives no key: it names no one surely.
    """
    words = sorted(w for w in fold_name(person_name(name)).split() if len(w) > 1)
    return " ".join(words) if len(words) > 1 else ""


def similarity(a: str, b: str) -> float:
    """How alike two names are, from 0.0 to 1.0 (see the module docstring)."""
    return compare(comparable(a), comparable(b))


@lru_cache(maxsize=65536)
def comparable(name: str) -> str:
    """A name as `compare` takes it: folded words, initials dropped."""
    folded = fold_name(person_name(name))
    words = [word for word in folded.split() if len(word) > 1]
    return " ".join(words) if len(words) > 1 else folded


def compare(left: str, right: str) -> float:
    """The score of two names already made `comparable`."""
    if not left or not right:
        return 0.0
    return float(fuzz.token_sort_ratio(left, right, processor=None)) / 100.0


def best_names(words: str, choices: list[str], floor: float) -> list[tuple[float, int]]:
    """(score, index) of the `choices` scoring at least `floor`, best first.

    `words` and `choices` are `comparable` names; one call into rapidfuzz
    scores the whole short list.
    """
    if not words:
        return []
    found = process.extract(
        words,
        choices,
        scorer=fuzz.token_sort_ratio,
        processor=None,
        score_cutoff=floor * 100,
        limit=None,
    )
    return [(float(score) / 100.0, index) for _, score, index in found]


def resembles(words: str, choices: list[str], floor: float) -> bool:
    """Tell whether any of the `comparable` `choices` scores at least `floor`."""
    if not words or not choices:
        return False
    found = process.extractOne(
        words,
        choices,
        scorer=fuzz.token_sort_ratio,
        processor=None,
        score_cutoff=floor * 100,
    )
    return found is not None
