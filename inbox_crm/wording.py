"""How counts and articles read in output: 1 contact, 2 contacts, an urgent ticket."""

from __future__ import annotations

# Words whose first vowel letter is said with a consonant sound, and words
# whose silent h makes them start with a vowel sound.
_CONSONANT_SOUNDS = ("one", "once", "uni", "use", "usu", "uti", "eu", "ure")
_VOWEL_SOUNDS = ("hour", "honest", "honour", "heir")


def plural(noun: str) -> str:
    """The plural of a noun, or of the last word of a phrase ("new company")."""
    head, _, last = noun.rpartition(" ")
    if last.endswith("y") and last[-2:-1] not in ("a", "e", "i", "o", "u", ""):
        last = last[:-1] + "ies"
    elif last.endswith(("s", "x", "z", "ch", "sh")):
        last += "es"
    else:
        last += "s"
    return f"{head} {last}" if head else last


def counted(count: int, noun: str, many: str | None = None) -> str:
    """`count` and the noun in the number that fits: 1 contact, 0 contacts."""
    return f"{count} {noun if count == 1 else many or plural(noun)}"


def with_article(phrase: str) -> str:
    """The phrase after a or an, by how its first word sounds: an urgent ticket."""
    word = phrase.lower()
    if word.startswith(_VOWEL_SOUNDS):
        return f"an {phrase}"
    if word.startswith(_CONSONANT_SOUNDS):
        return f"a {phrase}"
    return f"{'an' if word[:1] in ('a', 'e', 'i', 'o', 'u') else 'a'} {phrase}"
