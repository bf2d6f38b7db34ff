"""The bytes of a mail: no header injection, names and addresses encoded right."""

from __future__ import annotations

import email
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage

import pytest

from inbox_crm.outreach.compose import (
    MailParts,
    Undeliverable,
    clean_references,
    compose,
    envelope,
    new_message_id,
)
from inbox_crm.outreach.unsubscribe import unsubscribe_links

DATE = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)
LINKS = unsubscribe_links("T0KEN-for-tests-0001", "maya@agency.example", None)


def parts(**changes: object) -> MailParts:
    values: dict[str, object] = {
        "from_name": "Maya Lin",
        "to_name": "Ann Lee",
        "subject": "Hello",
        "text": "Hello Ann,\n",
        "html": None,
        "message_id": "out-1@agency.example",
        "in_reply_to": None,
        "references": (),
    }
    values.update(changes)
    return MailParts(**values)  # type: ignore[arg-type]


def parsed(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def header_names(raw: bytes) -> list[str]:
    head = raw.split(b"\r\n\r\n", 1)[0].decode("utf-8")
    return [line.split(":", 1)[0] for line in head.split("\r\n") if line[:1] != " "]


ASCII = envelope("maya@agency.example", "ann@client.example", server_utf8=False)


@pytest.mark.parametrize(
    "field", ["to_name", "from_name", "subject"], ids=["name", "sender", "subject"]
)
@pytest.mark.parametrize("newline", ["\r\n", "\n", "\r"])
def test_a_line_break_in_a_value_never_makes_a_header(field: str, newline: str) -> None:
    hostile = f"Ann{newline}Bcc: evil@attacker.example{newline}X-Evil: 1"

    raw = compose(parts(**{field: hostile}), ASCII, LINKS, DATE)

    assert "Bcc" not in header_names(raw)
    assert "X-Evil" not in header_names(raw)
    assert parsed(raw)["Bcc"] is None


def test_an_address_with_a_line_break_is_refused() -> None:
    with pytest.raises(Undeliverable):
        envelope("maya@agency.example", "ann@client.example\r\nBcc: x@y.example", True)


def test_non_ascii_display_names_are_encoded_and_read_back() -> None:
    raw = compose(
        parts(to_name="Zoë Ångström, Ltd", from_name="Маша Лин", subject="Café ☕"),
        ASCII,
        LINKS,
        DATE,
    )

    assert raw.isascii()
    message = parsed(raw)
    assert message["To"].addresses[0].display_name == "Zoë Ångström, Ltd"
    assert message["To"].addresses[0].addr_spec == "ann@client.example"
    assert message["From"].addresses[0].display_name == "Маша Лин"
    assert message["Subject"] == "Café ☕"


def test_a_non_ascii_domain_goes_out_in_its_ascii_form() -> None:
    address = envelope("maya@agency.example", "anna@bücher.example", False)

    raw = compose(parts(), address, LINKS, DATE)

    assert address == envelope("maya@agency.example", "anna@xn--bcher-kva.example", 0)
    assert parsed(raw)["To"].addresses[0].addr_spec == "anna@xn--bcher-kva.example"


def test_a_non_ascii_local_part_needs_smtputf8() -> None:
    with pytest.raises(Undeliverable, match="SMTPUTF8"):
        envelope("maya@agency.example", "зоя@пример.рф", server_utf8=False)

    address = envelope("maya@agency.example", "зоя@пример.рф", server_utf8=True)
    raw = compose(parts(to_name="Зоя"), address, LINKS, DATE)

    assert address.utf8
    assert "To: Зоя <зоя@пример.рф>".encode() in raw
    # The email package reads 8-bit headers only from text.
    message = email.message_from_string(raw.decode("utf-8"), policy=policy.default)
    assert message["To"].addresses[0].addr_spec == "зоя@пример.рф"


def test_non_ascii_text_is_quoted_printable_and_html_an_alternative() -> None:
    raw = compose(parts(text="Grüße\n", html="<p>Grüße</p>\n"), ASCII, LINKS, DATE)

    message = parsed(raw)
    assert message.get_content_type() == "multipart/alternative"
    text, html = message.iter_parts()
    assert text["Content-Transfer-Encoding"] == "quoted-printable"
    assert text.get_content().splitlines() == ["Grüße"]
    assert html.get_content_type() == "text/html"
    assert html.get_content().splitlines() == ["<p>Grüße</p>"]


def test_list_unsubscribe_has_the_mailto_and_the_one_click_link() -> None:
    links = unsubscribe_links(
        "T0KEN-for-tests-0001",
        "maya@agency.example",
        "https://crm.agency.example/unsubscribe/{token}?from=mail",
    )

    message = parsed(compose(parts(), ASCII, links, DATE))

    assert message["List-Unsubscribe"] == (
        "<mailto:maya@agency.example?subject=unsubscribe%20T0KEN-for-tests-0001>, "
        "<https://crm.agency.example/unsubscribe/T0KEN-for-tests-0001?from=mail>"
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_without_a_base_url_there_is_no_one_click_header() -> None:
    message = parsed(compose(parts(), ASCII, LINKS, DATE))

    assert message["List-Unsubscribe"].startswith("<mailto:")
    assert message["List-Unsubscribe-Post"] is None


def test_a_follow_up_carries_in_reply_to_and_references() -> None:
    raw = compose(
        parts(
            in_reply_to="ann-2@client.example",
            references=("out-0@agency.example", "ann-2@client.example"),
        ),
        ASCII,
        LINKS,
        DATE,
    )

    message = parsed(raw)
    assert message["Message-ID"] == "<out-1@agency.example>"
    assert message["In-Reply-To"] == "<ann-2@client.example>"
    assert message["References"] == "<out-0@agency.example> <ann-2@client.example>"


def test_references_keep_only_well_formed_ids() -> None:
    values = ["<a@x.example>", "not an id", "b@y.example\r\nBcc: e@v", "a@x.example"]

    assert clean_references(values) == ["a@x.example"]


def test_message_ids_are_unique_in_the_sender_domain() -> None:
    ids = {new_message_id("maya@bücher.example") for _ in range(100)}

    assert len(ids) == 100
    assert all(value.endswith("@xn--bcher-kva.example") for value in ids)
