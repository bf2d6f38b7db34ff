"""Tests of reading mail from mbox files, Maildirs and .eml files."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from inbox_crm.errors import ImportSourceError
from inbox_crm.importing import sources
from inbox_crm.importing.sources import SourceMessage, count_source, iter_source


def _message(subject: str, body: str = "Hello.\n") -> bytes:
    headers = (
        "From: Ann Example <ann@example.com>\n"
        "To: Bo Example <bo@example.org>\n"
        f"Subject: {subject}\n"
        f"Message-ID: <{subject.lower().replace(' ', '-')}@example.com>\n"
    )
    return (headers + "\n" + body).encode()


MBOX_FIRST = _message("First", "Hi Bo.\n>From the top, once more.\n")
MBOX_SECOND = _message("Second", ">>From a quoted quote.\nBye.\n")
MBOX_THIRD = _message("Third")

MBOX = (
    b"From ann@example.com Mon Jan  1 10:00:00 2024\n"
    + MBOX_FIRST
    + b"\n"
    + b"From bo@example.org Tue Jan 02 11:30:00 +0200 2024\n"
    + MBOX_SECOND
    + b"\n"
    + b"From MAILER-DAEMON garbled date line\n"
    + MBOX_THIRD
    + b"\n"
)


def _maildir(path: Path, *, tmp: bool = True) -> Path:
    for part in ("cur", "new", "tmp") if tmp else ("cur", "new"):
        (path / part).mkdir(parents=True)
    return path


def _deliver(maildir: Path, part: str, name: str, raw: bytes) -> Path:
    path = maildir / part / name
    path.write_bytes(raw)
    return path


@pytest.fixture
def mbox_path(tmp_path: Path) -> Path:
    path = tmp_path / "Archive 2024.mbox"
    path.write_bytes(MBOX)
    return path


def test_mbox_messages_with_origin_folder_and_from_line_time(
    mbox_path: Path,
) -> None:
    messages = list(iter_source(mbox_path))

    assert messages == [
        SourceMessage(
            MBOX_FIRST,
            f"{mbox_path}#1",
            "Archive 2024",
            datetime(2024, 1, 1, 10, tzinfo=UTC),
        ),
        SourceMessage(
            MBOX_SECOND,
            f"{mbox_path}#2",
            "Archive 2024",
            datetime(2024, 1, 2, 9, 30, tzinfo=UTC),
        ),
        SourceMessage(MBOX_THIRD, f"{mbox_path}#3", "Archive 2024", None),
    ]


def test_mbox_from_line_never_leaks_into_raw(mbox_path: Path) -> None:
    firsts = [message.raw.split(b"\n", 1)[0] for message in iter_source(mbox_path)]

    assert firsts == [b"From: Ann Example <ann@example.com>"] * 3


def test_mbox_escaped_from_lines_stay_inside_their_message(mbox_path: Path) -> None:
    first, second, _ = iter_source(mbox_path)

    assert first.raw.endswith(b"Hi Bo.\n>From the top, once more.\n")
    assert second.raw.endswith(b">>From a quoted quote.\nBye.\n")
    assert count_source(mbox_path) == 3


def test_mbox_with_crlf_line_ends(tmp_path: Path) -> None:
    path = tmp_path / "windows.mbox"
    raw = _message("Crlf").replace(b"\n", b"\r\n")
    path.write_bytes(b"From ann@example.com Mon Jan  1 10:00:00 2024\r\n" + raw)

    (message,) = iter_source(path)

    assert message.raw == raw
    assert message.received_at == datetime(2024, 1, 1, 10, tzinfo=UTC)


def test_mbox_count_across_read_boundaries(
    mbox_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for size in (1, 2, 5, 6, 7, 64):
        monkeypatch.setattr(sources, "_MBOX_CHUNK", size)
        assert count_source(mbox_path) == 3


@pytest.fixture
def maildir_path(tmp_path: Path) -> Path:
    root = _maildir(tmp_path / "Maildir")
    (root / "dovecot-uidlist").write_text("3 V1 N1\n")
    _deliver(root, "cur", "1700000000.M1P2.mx.example.com:2,S", _message("Seen"))
    _deliver(root, "new", "1700000100.M3P4.mx.example.com", _message("Unseen"))
    _deliver(root, "cur", ".hidden-by-tool", b"not mail")

    sent = _maildir(root / ".Sent")
    _deliver(sent, "cur", "1700000200.M5P6.mx.example.com:2,S", _message("Sent"))

    archive = _maildir(root / ".Archive.2023")
    _deliver(archive, "cur", "1690000000.M7P8.mx.example.com:2,", _message("Old"))

    drafts = _maildir(root / ".Entw&APw-rfe", tmp=False)
    _deliver(drafts, "cur", "1700000300.M9P1.mx.example.com:2,D", _message("Draft"))

    (root / ".not-a-maildir").mkdir()
    return root


def test_maildir_root_and_maildir_plus_plus_subfolders(maildir_path: Path) -> None:
    found = [(m.origin, m.folder, m.received_at) for m in iter_source(maildir_path)]

    root = str(maildir_path)
    assert found == [
        (
            f"{root}/cur/1700000000.M1P2.mx.example.com:2,S",
            "INBOX",
            datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC),
        ),
        (
            f"{root}/new/1700000100.M3P4.mx.example.com",
            "INBOX",
            datetime(2023, 11, 14, 22, 15, tzinfo=UTC),
        ),
        (
            f"{root}/.Archive.2023/cur/1690000000.M7P8.mx.example.com:2,",
            "Archive/2023",
            datetime(2023, 7, 22, 4, 26, 40, tzinfo=UTC),
        ),
        (
            f"{root}/.Entw&APw-rfe/cur/1700000300.M9P1.mx.example.com:2,D",
            "Entwürfe",
            datetime(2023, 11, 14, 22, 18, 20, tzinfo=UTC),
        ),
        (
            f"{root}/.Sent/cur/1700000200.M5P6.mx.example.com:2,S",
            "Sent",
            datetime(2023, 11, 14, 22, 16, 40, tzinfo=UTC),
        ),
    ]
    assert count_source(maildir_path) == 5


@pytest.mark.parametrize("directory", [".Kunden.M&APw-ller", ".Kunden.Müller"])
def test_maildir_plus_plus_levels_become_a_folder_path(
    tmp_path: Path, directory: str
) -> None:
    root = _maildir(tmp_path / "Maildir")
    _deliver(
        _maildir(root / directory), "cur", "1700000000.M1P1.host:2,", _message("K")
    )

    assert [message.folder for message in iter_source(root)] == ["Kunden/Müller"]


def test_maildir_raw_is_the_file_as_delivered(maildir_path: Path) -> None:
    first = next(iter_source(maildir_path))

    assert first.raw == _message("Seen")


def test_maildir_nested_as_plain_directories(tmp_path: Path) -> None:
    root = _maildir(tmp_path / "mail")
    projects = _maildir(root / "Projects")
    acme = _maildir(projects / "Acme")
    _deliver(projects, "cur", "1700000000.M1P1.host:2,S", _message("Plan"))
    _deliver(acme, "new", "1700000001.M1P2.host", _message("Kick-off"))

    found = [(m.folder, m.raw) for m in iter_source(root)]

    assert found == [
        ("Projects", _message("Plan")),
        ("Projects/Acme", _message("Kick-off")),
    ]
    assert count_source(root) == 2


def test_maildir_file_without_time_in_its_name_uses_mtime(tmp_path: Path) -> None:
    root = _maildir(tmp_path / "Maildir")
    path = _deliver(root, "cur", "copied-message:2,S", _message("Copied"))
    os.utime(path, (1600000000, 1600000000))

    (message,) = iter_source(root)

    assert message.received_at == datetime(2020, 9, 13, 12, 26, 40, tzinfo=UTC)
    assert message.folder == "INBOX"


def test_empty_maildir_has_no_messages(tmp_path: Path) -> None:
    root = _maildir(tmp_path / "Maildir")

    assert list(iter_source(root)) == []
    assert count_source(root) == 0


@pytest.fixture
def eml_tree(tmp_path: Path) -> Path:
    root = tmp_path / "export"
    (root / "clients" / "acme").mkdir(parents=True)
    (root / ".git").mkdir()
    (root / "a.eml").write_bytes(_message("Lower"))
    (root / "B.EML").write_bytes(_message("Upper"))
    (root / "notes.txt").write_text("not mail\n")
    (root / ".hidden.eml").write_bytes(_message("Hidden"))
    (root / ".git" / "stray.eml").write_bytes(_message("Stray"))
    (root / "clients" / "acme" / "c.eml").write_bytes(_message("Acme"))

    archive = _maildir(root / "archive")
    _deliver(archive, "cur", "1700000000.M1P1.host:2,S", _message("Archived"))
    inbox = _maildir(root / "Maildir")
    _deliver(inbox, "new", "1700000001.M1P2.host", _message("Inbox"))
    return root


def test_directory_of_eml_files_and_nested_maildirs(eml_tree: Path) -> None:
    found = [(m.origin, m.folder, m.raw) for m in iter_source(eml_tree)]

    root = str(eml_tree)
    assert found == [
        (f"{root}/B.EML", "export", _message("Upper")),
        (f"{root}/a.eml", "export", _message("Lower")),
        (f"{root}/Maildir/new/1700000001.M1P2.host", "INBOX", _message("Inbox")),
        (
            f"{root}/archive/cur/1700000000.M1P1.host:2,S",
            "archive",
            _message("Archived"),
        ),
        (f"{root}/clients/acme/c.eml", "acme", _message("Acme")),
    ]
    assert count_source(eml_tree) == 5


def test_eml_received_at_is_the_file_mtime(eml_tree: Path) -> None:
    os.utime(eml_tree / "a.eml", (1700000000, 1700000000))

    received = {m.origin: m.received_at for m in iter_source(eml_tree)}

    assert received[f"{eml_tree}/a.eml"] == datetime(
        2023, 11, 14, 22, 13, 20, tzinfo=UTC
    )


def test_single_eml_file(tmp_path: Path) -> None:
    path = tmp_path / "offer.eml"
    path.write_bytes(_message("Offer"))
    os.utime(path, (1700000000, 1700000000))

    assert list(iter_source(path)) == [
        SourceMessage(
            _message("Offer"),
            str(path),
            "import",
            datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC),
        )
    ]
    assert count_source(path) == 1


def test_missing_path_is_an_import_source_error(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.mbox"

    with pytest.raises(ImportSourceError) as raised:
        iter_source(path)

    assert str(raised.value) == (
        f"{path} does not exist: give an mbox file, a Maildir, a directory of "
        ".eml files or one .eml file"
    )
    with pytest.raises(ImportSourceError):
        count_source(path)


def test_directory_without_mail_is_an_import_source_error(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("nothing here\n")

    with pytest.raises(ImportSourceError) as raised:
        iter_source(tmp_path)

    assert str(raised.value) == (
        f"{tmp_path} holds no .eml files and no Maildir (a directory with cur "
        "and new): give the folder that contains the mail"
    )


@pytest.mark.parametrize("content", [b"", b"\x89PNG\r\n\x1a\n", b"just some text\n"])
def test_file_that_is_not_mail_is_an_import_source_error(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "picture.png"
    path.write_bytes(content)

    with pytest.raises(ImportSourceError) as raised:
        iter_source(path)

    assert str(raised.value) == (
        f"{path} is not a mail file: an mbox starts with a 'From ' line and an "
        ".eml file with a header line such as 'From: ...'"
    )
