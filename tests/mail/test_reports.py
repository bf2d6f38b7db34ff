"""Tests for reported_message_id: which message a bounce or receipt is about."""

from __future__ import annotations

from pathlib import Path

from inbox_crm.mail.parse import parse_message

EML = Path(__file__).parent / "eml"


def reported(name: str) -> str | None:
    return parse_message((EML / name).read_bytes()).reported_message_id


def test_delivery_report_names_the_message_it_returns() -> None:
    assert reported("bounce_postfix.eml") == "offer-1@example.org"


def test_delivery_report_returning_only_a_folded_header_names_the_message() -> None:
    assert reported("bounce_returned_headers.eml") == "invoice-2023-041@example.org"


def test_read_receipt_names_the_message_that_was_read() -> None:
    assert reported("mdn_read_receipt.eml") == "offer-1@example.org"


def test_a_forwarded_message_is_no_report() -> None:
    assert reported("forwarded.eml") is None
