"""Read messages out of mbox files, Maildirs and folders of .eml files.

The kind of source is told from the path alone:

- a directory holding `cur` and `new` is a Maildir (`tmp` is not required:
  copies often lack it, and it never holds a finished message). Its own
  messages go to folder INBOX, Maildir++ subfolders (".Sent") to their name
  without the dot, and Maildirs nested as plain subdirectories (Dovecot's
  `LAYOUT=fs`) to their path below the top, joined with "/";
- any other directory is walked for `*.eml` files and Maildirs, skipping
  hidden entries; an .eml file goes to the folder named after its directory;
- a file whose first bytes are "From " is an mbox, its folder the file stem;
- any other file that opens with a header line is one message, folder
  "import".

Body lines that an mbox writer escaped as ">From " are handed on as written:
an mbox does not say whether it escaped the mboxo or the mboxrd way, and
undoing the wrong one would alter lines the sender really quoted.
"""

from __future__ import annotations

import enum
import logging
import mailbox
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

from imapclient import imap_utf7

from inbox_crm.errors import ImportSourceError

logger = logging.getLogger(__name__)

_MAILDIR_PARTS = frozenset({"cur", "new", "tmp"})
_HEADER_LINE = re.compile(rb"[\x21-\x39\x3b-\x7e]+[ \t]*:")
_FROM_LINE_TIME = re.compile(
    r" (?P<month>[A-Z][a-z]{2}) +(?P<day>\d{1,2}) +(?P<clock>\d{1,2}:\d{2}(?::\d{2})?)"
    r"(?: +(?P<zone>[+-]\d{4}|[A-Z]{1,5}))? +(?P<year>\d{4})\b"
)
# A Maildir unique name starts with the delivery time in epoch seconds.
_UNIQUE_NAME_TIME = re.compile(r"(\d{9,10})\.")
_MBOX_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class SourceMessage:
    """One message read from a local source, with where it was found.

    `origin` names the file (and the message's 1-based position in an mbox,
    as "archive.mbox#17") so that an operator can find it again.
    `received_at` is UTC, or None when the source does not tell.
    """

    raw: bytes
    origin: str
    folder: str
    received_at: datetime | None


class _Kind(enum.Enum):
    MAILDIR = "Maildir"
    DIRECTORY = "directory of .eml files"
    MBOX = "mbox"
    EML = "single message"


def iter_source(path: Path) -> Iterator[SourceMessage]:
    """Yield the messages of an mbox, a Maildir, a directory or an .eml file.

    The path is checked at once, so a bad path raises ImportSourceError from
    this call rather than from the first step of the iteration.
    """
    kind = _detect(path)
    logger.debug("Reading %s as %s", path, kind.value)
    return _READERS[kind](path)


def count_source(path: Path) -> int | None:
    """Count the messages a source holds, or None when they cannot be counted.

    An mbox is scanned once for its "From " lines; the other kinds are
    counted from their directory listings.
    """
    kind = _detect(path)
    try:
        return _COUNTERS[kind](path)
    except OSError as error:
        logger.debug("Could not count the messages in %s: %s", path, error)
        return None


def _detect(path: Path) -> _Kind:
    if not path.exists():
        raise ImportSourceError(
            f"{path} does not exist: give an mbox file, a Maildir, a directory "
            "of .eml files or one .eml file"
        )
    if not os.access(path, os.R_OK):
        raise ImportSourceError(f"{path} cannot be read: check its permissions")

    if path.is_dir():
        return _detect_directory(path)
    if not path.is_file():
        raise ImportSourceError(f"{path} is neither a regular file nor a directory")
    return _detect_file(path)


def _detect_directory(path: Path) -> _Kind:
    if _is_maildir(path):
        return _Kind.MAILDIR
    if next(_walk(path), None) is None:
        raise ImportSourceError(
            f"{path} holds no .eml files and no Maildir (a directory with cur "
            "and new): give the folder that contains the mail"
        )
    return _Kind.DIRECTORY


def _detect_file(path: Path) -> _Kind:
    try:
        with path.open("rb") as file:
            head = file.read(1024)
    except OSError as error:
        raise ImportSourceError(f"{path} cannot be read: {error.strerror}") from error

    if head.startswith(b"From "):
        return _Kind.MBOX
    if _HEADER_LINE.match(head):
        return _Kind.EML
    raise ImportSourceError(
        f"{path} is not a mail file: an mbox starts with a 'From ' line and an "
        ".eml file with a header line such as 'From: ...'"
    )


def _is_maildir(path: Path) -> bool:
    return (path / "cur").is_dir() and (path / "new").is_dir()


def _walk(root: Path) -> Iterator[Path]:
    """Yield the .eml files and the Maildirs below `root`, in name order."""
    for current, dirnames, filenames in os.walk(root):
        here = Path(current)
        dirnames.sort()
        maildirs = [name for name in dirnames if _is_maildir(here / name)]
        # A Maildir is read whole by its own reader; hidden folders are
        # version-control or application state, not mail.
        dirnames[:] = [
            name
            for name in dirnames
            if name not in maildirs and not name.startswith(".")
        ]

        for name in sorted(filenames):
            if name.lower().endswith(".eml") and not name.startswith("."):
                yield here / name
        for name in maildirs:
            yield here / name


# Reading


def _read_directory(root: Path) -> Iterator[SourceMessage]:
    for path in _walk(root):
        if path.is_dir():
            yield from _read_maildir(path, _nested_maildir_name(path))
            continue
        try:
            yield _eml_message(path, _directory_folder(path.parent))
        except OSError as error:
            logger.warning("Skipped %s: %s", path, error.strerror)


def _read_single_eml(path: Path) -> Iterator[SourceMessage]:
    try:
        yield _eml_message(path, "import")
    except OSError as error:
        raise ImportSourceError(f"{path} cannot be read: {error.strerror}") from error


def _eml_message(path: Path, folder: str) -> SourceMessage:
    raw = path.read_bytes()
    return SourceMessage(raw, str(path), folder, _modified_at(path))


def _read_mbox(path: Path) -> Iterator[SourceMessage]:
    folder = path.stem or path.name
    try:
        box = mailbox.mbox(path, create=False)
    except OSError as error:
        raise ImportSourceError(f"{path} cannot be read: {error.strerror}") from error

    # The mbox reader keeps only offsets and reads one message at a time.
    try:
        for number, key in enumerate(box.iterkeys(), start=1):
            data = box.get_bytes(key, from_=True)
            from_line, _, raw = data.partition(b"\n")
            received_at = _from_line_time(from_line)
            yield SourceMessage(raw, f"{path}#{number}", folder, received_at)
    finally:
        box.close()


def _read_maildir_tree(path: Path) -> Iterator[SourceMessage]:
    yield from _read_maildir(path, "INBOX")


def _read_maildir(top: Path, name: str) -> Iterator[SourceMessage]:
    for directory, folder in _maildir_folders(top, name):
        yield from _read_maildir_folder(directory, folder)


def _read_maildir_folder(directory: Path, folder: str) -> Iterator[SourceMessage]:
    box = mailbox.Maildir(directory, create=False)
    for path in _maildir_files(directory):
        key = path.name.split(box.colon)[0]
        try:
            raw = box.get_bytes(key)
        except (KeyError, OSError):
            # Another program (a running delivery agent) moved or removed it.
            logger.warning("Skipped %s: it changed while it was being read", path)
            continue
        yield SourceMessage(raw, str(path), folder, _delivery_time(path, key))


def _maildir_folders(top: Path, name: str) -> Iterator[tuple[Path, str]]:
    """Yield (directory, folder name) for a Maildir and every folder in it."""
    yield top, name

    box = mailbox.Maildir(top, create=False)
    for subfolder in sorted(box.list_folders()):
        directory = top / f".{subfolder}"
        if _is_maildir(directory):
            yield directory, _decode_folder_name(subfolder)

    prefix = "" if name == "INBOX" else f"{name}/"
    for child in _nested_maildirs(top):
        yield from _maildir_folders(child, prefix + child.name)


def _nested_maildirs(top: Path) -> list[Path]:
    return [
        child
        for child in sorted(top.iterdir())
        if child.name not in _MAILDIR_PARTS
        and not child.name.startswith(".")
        and not child.is_symlink()
        and _is_maildir(child)
    ]


def _maildir_files(directory: Path) -> Iterator[Path]:
    for part in ("cur", "new"):
        for path in sorted((directory / part).iterdir()):
            if not path.name.startswith(".") and path.is_file():
                yield path


# Names and times


def _nested_maildir_name(path: Path) -> str:
    name = path.name.lstrip(".")
    if name.casefold() in {"maildir", "inbox", ""}:
        return "INBOX"
    return _decode_folder_name(name)


def _directory_folder(directory: Path) -> str:
    return directory.resolve().name or "import"


def _decode_folder_name(name: str) -> str:
    """A Maildir++ folder's name as IMAP shows it: "Archive.2023" is Archive/2023.

    Each level is in modified UTF-7 on disk ("Entw&APw-rfe" is Entwürfe).
    """
    levels = []
    for level in name.split("."):
        try:
            levels.append(str(imap_utf7.decode(level.encode("ascii"))))
        except (UnicodeError, ValueError):
            levels.append(level)
    return "/".join(levels)


def _delivery_time(path: Path, key: str) -> datetime | None:
    match = _UNIQUE_NAME_TIME.match(key)
    if match is not None:
        return datetime.fromtimestamp(int(match.group(1)), tz=UTC)
    return _modified_at(path)


def _modified_at(path: Path) -> datetime | None:
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
    except OSError:
        return None


def _from_line_time(line: bytes) -> datetime | None:
    """Read the date of an mbox "From sender date" separator line, as UTC.

    The usual form is asctime ("Mon Jan  1 10:00:00 2024"), sometimes with a
    zone before the year; it has no zone as a rule, and is then taken as UTC.
    """
    text = line.decode("ascii", "replace").rstrip()
    match = _FROM_LINE_TIME.search(text)
    if match is not None:
        parts = match.groupdict(default="+0000")
        text = "{day} {month} {year} {clock} {zone}".format_map(parts)
    else:
        text = text.split(" ", 2)[-1]

    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


# Counting


def _count_mbox(path: Path) -> int:
    count = 0
    # The start of the file counts as the start of a line.
    tail = b"\n"
    with path.open("rb") as file:
        while chunk := file.read(_MBOX_CHUNK):
            window = tail + chunk
            count += window.count(b"\nFrom ")
            tail = window[-5:]
    return count


def _count_maildir(top: Path) -> int:
    folders = _maildir_folders(top, "INBOX")
    return sum(sum(1 for _ in _maildir_files(path)) for path, _ in folders)


def _count_directory(root: Path) -> int:
    return sum(_count_maildir(path) if path.is_dir() else 1 for path in _walk(root))


_READERS: dict[_Kind, Callable[[Path], Iterator[SourceMessage]]] = {
    _Kind.MAILDIR: _read_maildir_tree,
    _Kind.DIRECTORY: _read_directory,
    _Kind.MBOX: _read_mbox,
    _Kind.EML: _read_single_eml,
}

_COUNTERS: dict[_Kind, Callable[[Path], int]] = {
    _Kind.MAILDIR: _count_maildir,
    _Kind.DIRECTORY: _count_directory,
    _Kind.MBOX: _count_mbox,
    _Kind.EML: lambda path: 1,
}
