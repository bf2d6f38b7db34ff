"""Tests for classify: direction, bounces, automatic replies, lists and bulk mail."""

from __future__ import annotations

from pathlib import Path

import pytest

from inbox_crm.mail.classify import classify
from inbox_crm.mail.message import Bounce, Classification
from inbox_crm.mail.parse import parse_message

EML = Path(__file__).parent / "eml"
OWN = ["sales@example.org", "support@example.org"]


def classified(name: str, own: list[str] = OWN) -> Classification:
    return classify(parse_message((EML / name).read_bytes()), own)


# Direction


def test_normal_inbound_mail() -> None:
    result = classified("normal.eml")

    assert result == Classification(direction="inbound", kind="normal")


@pytest.mark.parametrize(
    "own",
    [
        ["client.person@example.com"],
        ["CLIENT.PERSON@EXAMPLE.COM"],
        ["client.person+other@example.com"],
    ],
)
def test_outbound_when_from_is_own_address_case_and_plus_tag_folded(
    own: list[str],
) -> None:
    result = classified("normal.eml", own)

    assert result.direction == "outbound"
    assert result.reasons == ("outbound: From is an own address",)


@pytest.mark.parametrize("own", [["@example.com"], ["person@example.com"], []])
def test_other_addresses_and_domains_do_not_make_mail_outbound(
    own: list[str],
) -> None:
    assert classified("normal.eml", own).direction == "inbound"


def test_message_without_from_is_inbound() -> None:
    assert classified("no_from.eml", ["noreply-sender@example.net"]).direction == (
        "inbound"
    )


def test_outlook_auto_response_suppress_alone_is_not_an_auto_reply() -> None:
    result = classified("normal.eml")

    assert result.kind == "normal"
    assert result.auto_reply is False


# Bounces


def test_rfc3464_bounce_lists_failed_and_delayed_recipients() -> None:
    result = classified("bounce_postfix.eml")

    assert result.kind == "bounce"
    assert result.bounces == (
        Bounce(
            recipient="nobody@example.net",
            status="5.1.1",
            action="failed",
            diagnostic="550 5.1.1 <nobody@example.net>: Recipient address rejected: "
            "User unknown",
        ),
        Bounce(
            recipient="slow@example.com",
            status="4.4.1",
            action="delayed",
            diagnostic="connect to mx.example.com[192.0.2.1]:25: Connection timed out",
        ),
    )


def test_bounce_outranks_auto_reply_and_list_signals() -> None:
    result = classified("bounce_postfix.eml")

    assert result.kind == "bounce"
    assert result.auto_reply is True
    assert result.reasons == (
        "bounce: RFC 3464 report, failed",
        "auto_reply: Auto-Submitted: auto-replied",
        "list: List-Unsubscribe",
    )


def test_base64_encoded_recipient_groups_are_read() -> None:
    result = classified("bounce_base64_groups.eml")

    assert result.kind == "bounce"
    assert result.bounces == (
        Bounce("gone@example.net", "5.1.1", "failed", "550 5.1.1 User unknown"),
    )


def test_delay_notice_is_an_auto_reply_with_delayed_entries() -> None:
    result = classified("dsn_delayed.eml")

    assert result.kind == "auto_reply"
    assert result.bounces == (
        Bounce(
            recipient="bob.smith@example.de",
            status="4.4.1",
            action="delayed",
            diagnostic="The recipient server did not accept our requests to connect.",
        ),
    )
    assert result.reasons[0] == "auto_reply: delivery report: RFC 3464, delayed"


def test_exim_bounce_without_report_is_found_by_sender_and_subject() -> None:
    result = classified("bounce_exim.eml")

    assert result.kind == "bounce"
    assert result.reasons[0] == "bounce: mail system, subject"
    assert result.bounces == (
        Bounce("gone@example.net", "5.1.1", "failed"),
        Bounce("missing@example.org", "5.1.1", "failed"),
    )


def test_qmail_bounce_recipients_come_from_the_text() -> None:
    result = classified("bounce_qmail.eml")

    assert result.kind == "bounce"
    assert result.bounces == (Bounce("old.client@example.net", "5.1.1", "failed"),)


def test_read_receipt_is_an_auto_reply_not_a_bounce() -> None:
    result = classified("mdn_read_receipt.eml")

    assert result.kind == "auto_reply"
    assert result.bounces == ()
    assert result.reasons == ("auto_reply: read receipt (RFC 8098 MDN)",)


# Automatic replies


def test_gmail_vacation_is_auto_reply_and_bulk() -> None:
    result = classified("vacation_gmail.eml")

    assert result.kind == "auto_reply"
    assert result.auto_reply is True
    assert result.bulk is True
    assert result.reasons == (
        "auto_reply: Auto-Submitted: auto-replied",
        "auto_reply: X-Autoreply: yes",
        "list: Precedence: bulk",
    )


def test_zimbra_vacation() -> None:
    result = classified("vacation_zimbra.eml")

    assert result.kind == "auto_reply"
    assert result.reasons == (
        "auto_reply: Auto-Submitted: auto-replied (zimbra; vacation)",
    )


def test_exchange_out_of_office() -> None:
    result = classified("exchange_oof.eml")

    assert result.kind == "auto_reply"
    assert result.reasons == ("auto_reply: Exchange inbox-rule reply",)


def test_precedence_auto_reply_and_x_autorespond() -> None:
    result = classified("precedence_auto_reply.eml")

    assert result.kind == "auto_reply"
    assert result.bulk is False
    assert result.reasons == (
        "auto_reply: X-Autorespond: We received your request",
        "auto_reply: Precedence: auto_reply",
    )


def test_out_of_office_subject_is_a_weak_signal() -> None:
    result = classified("subject_out_of_office.eml")

    assert result.kind == "auto_reply"
    assert result.reasons == ("auto_reply: subject (weak signal)",)


# Lists and bulk mail


def test_mailing_list() -> None:
    result = classified("mailing_list.eml")

    assert result.kind == "list"
    assert result.list_id == "dev.lists.example.org"
    assert result.bulk is True
    assert result.reasons == (
        "list: List-Id",
        "list: List-Unsubscribe",
        "list: Precedence: list",
    )


def test_list_unsubscribe_alone_is_a_list() -> None:
    result = classified("list_unsubscribe_only.eml")

    assert result.kind == "list"
    assert result.list_id is None
    assert result.bulk is False


def test_precedence_bulk_alone_is_a_list() -> None:
    result = classified("precedence_bulk.eml")

    assert result.kind == "list"
    assert result.bulk is True
    assert result.reasons == ("list: Precedence: bulk",)
