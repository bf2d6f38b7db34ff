"""Value lists for IN (...) clauses: chunked, and padded to a few lengths.

Each length of list is a statement of its own to the database driver, and
sqlite3 keeps up to a hundred prepared statements: lists of any length
would fill that cache with large ones. Padding repeats the last value,
which changes nothing in an IN clause.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import TypeVar

# Bound parameters per list, well below every database's limit.
IN_CHUNK = 512

T = TypeVar("T", int, str)


def in_lists(values: Collection[T]) -> Iterator[list[T]]:
    """`values` sorted, in chunks of IN_CHUNK, each padded to a power of two."""
    ordered = sorted(set(values))
    for start in range(0, len(ordered), IN_CHUNK):
        chunk = ordered[start : start + IN_CHUNK]
        length = 1 << (len(chunk) - 1).bit_length()
        yield chunk + [chunk[-1]] * (length - len(chunk))
