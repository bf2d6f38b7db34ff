"""Opening a SQLite database: the file may be new, its folder may not."""

from __future__ import annotations

from pathlib import Path

import pytest

from inbox_crm.errors import StorageError
from inbox_crm.storage.db import open_database


def test_a_sqlite_file_in_a_missing_folder_is_an_error_and_nothing_is_made(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "typo" / "dir"

    with pytest.raises(StorageError, match="no such folder") as raised:
        open_database(f"sqlite:///{folder / 'x.db'}")

    assert str(folder) in str(raised.value)
    assert "[database] url" in str(raised.value)
    assert not (tmp_path / "typo").exists()


def test_a_new_sqlite_file_in_an_existing_folder_is_created(tmp_path: Path) -> None:
    database = open_database(f"sqlite:///{tmp_path / 'new.db'}")
    database.dispose()

    assert (tmp_path / "new.db").is_file()
