"""IN lists: every value once, in chunks padded to a power of two."""

from __future__ import annotations

from inbox_crm.ingest.lists import IN_CHUNK, in_lists


def test_values_are_chunked_and_padded_with_the_last_value() -> None:
    values = list(range(IN_CHUNK + 5, 0, -1))

    chunks = list(in_lists(values))

    assert [len(chunk) for chunk in chunks] == [IN_CHUNK, 8]
    assert chunks[1] == [513, 514, 515, 516, 517, 517, 517, 517]
    assert {value for chunk in chunks for value in chunk} == set(values)


def test_nothing_gives_no_list() -> None:
    assert list(in_lists([])) == []
