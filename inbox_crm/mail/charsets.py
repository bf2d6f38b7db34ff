"""Turn bytes of uncertain charset into text: UTF-8, the declared charset, a guess."""

from __future__ import annotations

import codecs
import functools

from charset_normalizer import from_bytes
from charset_normalizer.md import mess_ratio

# Labels met in real mail that Python does not know, or knows only as a narrower
# codec than the one senders really use (Outlook writes cp1252 and calls it
# iso-8859-1; GB2312 mail routinely carries GBK characters).
_ALIASES = {
    "unicode-1-1-utf-7": "utf-7",
    "iso-gb2312": "gb18030",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "x-sjis": "cp932",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "iso-8859-8-i": "iso-8859-8",
    "windows-874": "cp874",
}

# Labels that say nothing about the bytes.
_NO_CHARSET = frozenset(
    {"", "unknown", "unknown-8bit", "x-unknown", "8bit", "default", "x-user-defined"}
)

# Python codecs that decode bytes to text but are no charset a mail can declare:
# a "charset=unicode-escape" would turn backslash sequences into characters.
_NOT_CHARSETS = frozenset(
    {"unicode-escape", "raw-unicode-escape", "undefined", "idna", "punycode", "mbcs"}
)

# The guesser tries only charsets that mail is actually written in: left free,
# it picks exotic code pages for short strings.
_GUESSES = [
    "cp1252",
    "iso8859_15",
    "iso8859_2",
    "cp1250",
    "cp1251",
    "koi8_r",
    "cp1253",
    "cp1254",
    "cp1255",
    "cp1256",
    "cp1257",
    "cp1258",
    "cp874",
    "gb18030",
    "big5",
    "cp932",
    "euc_jp",
    "cp949",
]


# The share of odd characters (symbol soup, case flips inside words) above
# which decoded text reads as mojibake; charset-normalizer's own default.
_MESS_LIMIT = 0.2


@functools.lru_cache(maxsize=256)
def codec_name(label: str | None) -> str | None:
    """Return the Python codec for a charset label from mail, or None if unknown."""
    if label is None or not label.isascii():
        return None
    name = label.strip().strip("\"'").lower().partition("*")[0]
    if name in _NO_CHARSET:
        return None
    name = _ALIASES.get(name, name)
    try:
        codec = codecs.lookup(name).name
    except (LookupError, ValueError):
        return None
    return None if codec in _NOT_CHARSETS else codec


def decode_bytes(
    data: bytes, declared: str | None = None, hint: str | None = None
) -> str:
    """Decode text whose declared charset may be missing or wrong; never fails.

    Pure ASCII is decoded with the declared charset (UTF-7 and ISO-2022 are
    7-bit). 8-bit data is tried as UTF-8 first, so UTF-8 mislabelled as
    Latin-1 never turns into mojibake, then as the declared charset, then as
    `hint` (the charset the rest of the message uses), then guessed.
    """
    codec = codec_name(declared)
    if data.isascii():
        return _strict(data, codec) or data.decode("ascii")

    text = _utf8(data)
    for candidate in (codec, codec_name(hint)):
        if text is None:
            text = _strict(data, candidate)
    if text is not None:
        return text

    guessed = guess_charset(data)
    if guessed is not None:
        return data.decode(guessed, errors="replace")
    return data.decode(codec or "cp1252", errors="replace")


def guess_charset(data: bytes) -> str | None:
    """Guess the charset of undeclared 8-bit text, or None when nothing fits.

    For a short text several charsets often fit equally well ("Café crème"
    reads as French in cp1252 and as "Café crčme" in cp1250), and the
    guesser then takes the first by name. Such ties go to the charset that
    mail is most often written in, by the order of `_GUESSES`.
    """
    matches = list(from_bytes(data, cp_isolation=_GUESSES))
    if not matches:
        return None
    best = matches[0]
    tied = [
        match
        for match in matches
        if (match.chaos, match.coherence) == (best.chaos, best.coherence)
    ]
    return min(tied, key=lambda match: _preference(match.encoding)).encoding


def _preference(encoding: str) -> int:
    """The rank of a charset in `_GUESSES`, most common in mail first."""
    name = codecs.lookup(encoding).name
    ranks = [codecs.lookup(guess).name for guess in _GUESSES]
    return ranks.index(name) if name in ranks else len(ranks)


def fits(data: bytes, charset: str | None) -> bool:
    """Tell whether `charset` decodes `data` into plausible text, not mojibake."""
    text = _strict(data, codec_name(charset))
    return text is not None and mess_ratio(text, _MESS_LIMIT) < _MESS_LIMIT


def _utf8(data: bytes) -> str | None:
    """Decode UTF-8, allowing a character cut off at the end of UTF-8 text.

    The cut counts only after other multibyte characters, which show the text
    is UTF-8; "caf\\xe9" is Latin-1, not a truncated UTF-8 sequence.
    """
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        cut_short = exc.reason == "unexpected end of data" and exc.end == len(data)
        if not cut_short or data[: exc.start].isascii():
            return None
    return data.decode("utf-8", errors="replace")


def _strict(data: bytes, codec: str | None) -> str | None:
    """Decode with `codec`, or return None when it is unknown or does not fit."""
    if codec is None:
        return None
    try:
        text = data.decode(codec)
    except (UnicodeError, LookupError):
        return None

    # Some codecs yield lone surrogates, which no later step can store.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return text
