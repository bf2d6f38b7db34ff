"""Read address headers (From, To, Cc, ...) into Address values, tolerating junk.

The splitter works on tokens (quoted strings, comments, angle addresses, words)
so commas inside quotes or inside encoded words never split a mailbox. Encoded
words are swapped for placeholders before splitting and decoded afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from inbox_crm.mail.headers import ENCODED_WORD, decode_words, to_text, unfold
from inbox_crm.mail.message import Address

_TOKEN = re.compile(
    r'"(?:[^"\\]|\\.)*"?'  # quoted string; an unclosed one runs to the end
    r"|\((?:[^()\\]|\\.)*\)?"  # comment
    r"|<[^<>]*>?"  # angle address
    r"|[,;:]"
    r"|\s+"
    r'|[^\s"(),;:<>]+'
    r"|.",  # a stray ")" or ">"
    re.S,
)
_WORD_RUN = re.compile(rf"{ENCODED_WORD.pattern}(?:\s*{ENCODED_WORD.pattern})*")
_PLACEHOLDER = re.compile("\ue000(\\d+)\ue001")
_ESCAPE = re.compile(r"\\(.)", re.S)
_SPACES = re.compile(r"\s+")
_AROUND_DOTS = re.compile(r"\s*([@.])\s*")
_VALID = re.compile(
    r'(?:"(?:[^"\\]|\\.)*"|[^\s"@<>(),;:\\\[\]]+)@[^\s"@<>(),;:\\]+', re.S
)

Tokens = list[str]


def parse_addresses(values: Iterable[str], hint: str | None = None) -> list[Address]:
    """Return every mailbox in the given header values, in order, once each.

    Group names ("undisclosed-recipients:;") yield nothing; items without an
    address are skipped.
    """
    found: list[Address] = []
    seen: set[str] = set()
    for value in values:
        for address in _parse_value(value, hint, bare_local=False):
            key = address.address.lower()
            if key not in seen:
                seen.add(key)
                found.append(address)
    return found


def first_mailbox(values: Iterable[str], hint: str | None = None) -> Address | None:
    """Return the first valid mailbox of From-like headers, else the first at all.

    A header repeated with junk in one copy ("From: [??????]") still yields
    the copy that holds a real address.
    """
    candidates = [
        address
        for value in values
        for address in _parse_value(value, hint, bare_local=True)
    ]
    for address in candidates:
        if is_valid(address.address):
            return address
    return candidates[0] if candidates else None


def is_valid(address: str) -> bool:
    """Tell whether `address` has the form local@domain without stray characters."""
    return _VALID.fullmatch(address) is not None


def _parse_value(value: str, hint: str | None, bare_local: bool) -> list[Address]:
    """Parse one header value into addresses."""
    text = to_text(unfold(value), hint)
    words: list[str] = []
    if "=?" in text:
        text = _WORD_RUN.sub(lambda match: _hold(match, words, hint), text)

    found = []
    for tokens in _split(text):
        address = _mailbox(tokens, words, bare_local)
        if address is not None:
            found.append(address)
    return found


def _hold(match: re.Match[str], words: list[str], hint: str | None) -> str:
    """Keep the decoded text of a run of encoded words; leave a placeholder."""
    words.append(decode_words(match.group(), hint))
    return f"\ue000{len(words) - 1}\ue001"


def _split(text: str) -> list[Tokens]:
    """Split an address list into items of tokens at commas and group marks."""
    items: list[Tokens] = []
    current: Tokens = []
    for token in _TOKEN.findall(text):
        if token in (",", ";"):
            items.append(current)
            current = []
        elif token == ":" and not any(t.startswith("<") for t in current):
            # What came before was a group name, or a "mailto" prefix.
            current = []
        else:
            current.append(token)
    items.append(current)
    return [item for item in items if any(not t.isspace() for t in item)]


def _mailbox(tokens: Tokens, words: list[str], bare_local: bool) -> Address | None:
    """Build one Address from the tokens of one list item, or None."""
    angle = _angle_index(tokens)
    if angle is not None:
        address = _clean_address(tokens[angle])
        name = _phrase(tokens[:angle]) or _phrase(tokens[angle + 1 :])
    else:
        address, name = _bare_mailbox(tokens, bare_local)
    if not address:
        return None

    address = _restore(address, words)
    name = _tidy_name(_restore(name, words))
    if name.lower() == address.lower():
        name = ""
    return Address(address=address, name=name)


def _angle_index(tokens: Tokens) -> int | None:
    """Return the index of the angle address to use: one with "@" if any."""
    angles = [i for i, token in enumerate(tokens) if token.startswith("<")]
    for i in angles:
        if "@" in tokens[i]:
            return i
    return angles[0] if angles else None


def _bare_mailbox(tokens: Tokens, bare_local: bool) -> tuple[str, str]:
    """Read an item without angle brackets: "a@b", "a@b (Name)", "Name a@b"."""
    address = ""
    name_parts: list[str] = []
    for word in _words(tokens):
        if "@" in word and not address:
            address = _clean_address(word)
        else:
            name_parts.append(_unquote(word))
    comments = [t[1:].rstrip(")") for t in tokens if t.startswith("(")]

    if not address:
        # "Name (addr)": the address sits in the comment.
        in_comment = [c for c in comments if "@" in c]
        if in_comment:
            return _clean_address(in_comment[0]), " ".join(name_parts)
        if bare_local and len(name_parts) == 1:
            return name_parts[0], " ".join(comments)
        return "", ""
    return address, " ".join(name_parts) or " ".join(comments)


def _words(tokens: Tokens) -> list[str]:
    """Join tokens not separated by whitespace or comments into words."""
    words: list[str] = []
    current = ""
    for token in tokens:
        if token.isspace() or token.startswith("("):
            if current:
                words.append(current)
            current = ""
        else:
            current += token
    if current:
        words.append(current)
    return words


def _phrase(tokens: Tokens) -> str:
    """Return a display name from tokens; a comment serves when nothing else does."""
    parts = []
    comments = []
    for token in tokens:
        if token.startswith('"'):
            parts.append(_unquote(token))
        elif token.startswith("("):
            comments.append(token[1:].rstrip(")"))
        elif token.isspace():
            parts.append(" ")
        elif token not in (")", ">", "<"):
            parts.append(token)
    return "".join(parts).strip() or " ".join(comments)


def _unquote(token: str) -> str:
    """Remove the quotes and backslash escapes of a quoted string."""
    if not token.startswith('"'):
        return token
    inner = token[1:-1] if len(token) > 1 and token.endswith('"') else token[1:]
    return _ESCAPE.sub(r"\1", inner)


def _clean_address(raw: str) -> str:
    """Normalise an addr-spec: no brackets or route, domain lower-case, no end dot."""
    text = raw.strip().strip("<>").strip()
    if text[:7].lower() == "mailto:":
        text = text[7:]
    if text.startswith("@") and ":" in text:
        text = text.partition(":")[2]
    text = _AROUND_DOTS.sub(r"\1", text)

    local, at, domain = text.rpartition("@")
    if not at:
        return text
    return f"{local}@{domain.lower().rstrip('.')}"


def _restore(text: str, words: list[str]) -> str:
    """Put the decoded encoded words back in place of their placeholders."""
    if "\ue000" not in text:
        return text
    return _PLACEHOLDER.sub(lambda match: words[int(match.group(1))], text)


def _tidy_name(name: str) -> str:
    """Collapse whitespace and drop quotes that wrap the whole name."""
    name = _SPACES.sub(" ", name).strip()
    while len(name) > 1 and name[0] == name[-1] and name[0] in "\"'":
        name = name[1:-1].strip()
    return name
