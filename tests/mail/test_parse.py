"""Tests for parse_message: headers, addresses, dates, ids, bodies, attachments."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from inbox_crm.errors import ParseError
from inbox_crm.mail.headers import decode_text, parse_date
from inbox_crm.mail.message import Address, Attachment, ParsedMessage
from inbox_crm.mail.parse import parse_message

EML = Path(__file__).parent / "eml"
PDF_MD5 = "c7f1dba83efb09e0596617c3c95b4766"


def load(name: str) -> ParsedMessage:
    return parse_message((EML / name).read_bytes())


def utc(
    year: int, month: int, day: int, hour: int, minute: int, sec: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, sec, tzinfo=UTC)


# Display names and subjects


def test_multibyte_character_split_across_two_encoded_words() -> None:
    assert load("split_multibyte_subject.eml").subject == "Grüße aus Köln"


def test_base64_words_split_inside_a_character_and_folded() -> None:
    assert load("split_base64_subject.eml").subject == "日本語 order"


def test_adjacent_encoded_words_in_different_charsets() -> None:
    parsed = load("mixed_charset_name.eml")

    assert parsed.from_ == Address("joerg@example.net", "Jörg Иванов")
    assert parsed.subject == "Preis–Anfrage € 100"


def test_words_encoded_one_by_one_in_different_charsets_keep_their_space() -> None:
    parsed = load("name_words_per_charset.eml")

    assert parsed.from_ == Address("lena@example.com", "Lena Müller Wiśniewska")
    # Words in one charset are one text cut in pieces: nothing goes between.
    assert parsed.subject == "Bestellung für März"


def test_utf7_and_unknown_charsets_decode_without_crashing() -> None:
    assert load("unknown_charset_subject.eml").subject == "Übermittlung fehlgeschlagen"


def test_raw_utf8_headers_are_read_as_utf8() -> None:
    parsed = load("raw_utf8_headers.eml")

    assert parsed.from_ == Address("renee@example.fr", "Renée Müller")
    assert parsed.to == [Address("zoe@example.org", "Zoë Ångström")]
    assert parsed.subject == "Réunion à Zürich"


def test_raw_latin1_headers_use_the_body_charset() -> None:
    parsed = load("raw_latin1_headers.eml")

    assert parsed.from_ == Address("juergen@example.de", "Jürgen Weiß")
    assert parsed.subject == "Angebot für Straßenlaternen"


def test_raw_gb18030_headers_are_detected_when_the_body_charset_is_wrong() -> None:
    parsed = load("raw_gb18030_headers.eml")

    assert parsed.from_ == Address("wu@example.cn", "武兰成")
    assert parsed.subject == "转发：整体提升企业服务水平"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=?utf-8?B?w6Q=w6Q=?=", "ää"),  # two padded chunks in one word
        ("=?utf-8?B?w6TDpA?=", "ää"),  # padding missing
        ("=?utf-8?Q?caf=E9?=", "café"),  # Latin-1 labelled UTF-8
        ("=?utf-8?B?w6TDp?=", "ä\ufffd"),  # cut inside the last character
        ("Re:=?utf-8?Q?_Angebot?=", "Re: Angebot"),  # no space before the word
        ("=?iso-8859-1*de?Q?Gr=FC=DFe?=", "Grüße"),  # RFC 2231 language tag
        ("plain\r\n text", "plain text"),
    ],
)
def test_header_text_decoding(value: str, expected: str) -> None:
    assert decode_text(value) == expected


# Addresses


def test_every_recipient_is_kept_with_its_decoded_name() -> None:
    parsed = load("recipients.eml")

    assert parsed.to == [
        Address("bernd.mueller@example.com", "Müller, Bernd"),
        Address("anna.schmidt@example.com", "Schmidt, Anna"),
        Address("carl@example.org", "Carl Berg"),
        Address("dora@example.net", "Dora Eck"),
        Address("Gina@example.com", ""),
    ]


def test_groups_yield_their_members_and_empty_groups_nothing() -> None:
    parsed = load("recipients.eml")

    assert parsed.cc == [
        Address("eve@example.com", ""),
        Address("frank@example.com", "Frank Ott"),
        Address("bernd.mueller@example.com", "Müller, Bernd"),
    ]


def test_bcc_reply_to_and_sender() -> None:
    parsed = load("recipients.eml")

    assert parsed.from_ == Address("lisa.weber@example.com", "Weber, Lisa")
    assert parsed.bcc == [Address("boss@example.com", "")]
    assert parsed.reply_to == [Address("sales@example.com", "Sales Team")]
    assert parsed.sender == Address("assist@example.com", "Assistant")


def test_second_from_header_wins_when_the_first_has_no_address() -> None:
    parsed = load("two_from_headers.eml")

    assert parsed.from_ == Address("wang@example.cn", "王小明")


def test_missing_from_gives_none_not_reply_to() -> None:
    parsed = load("no_from.eml")

    assert parsed.from_ is None
    assert parsed.reply_to == [Address("noreply-sender@example.net", "")]


def test_broken_header_block_is_repaired() -> None:
    parsed = load("broken_header_block.eml")

    assert parsed.from_ == Address("karoline.smith@example.com", "Smith, Karoline")
    assert parsed.subject == "AW: One Net Business"
    assert parsed.text == "Body after a broken header block.\n"
    assert "header block repaired" in parsed.defects


# Dates


def test_date_is_utc() -> None:
    assert load("split_multibyte_subject.eml").date == utc(2023, 3, 14, 8, 30)


def test_date_without_weekday() -> None:
    assert load("date_no_weekday.eml").date == utc(2012, 11, 30, 10, 54, 19)


def test_invalid_hour_gives_no_date() -> None:
    parsed = load("date_invalid_hour.eml")

    assert parsed.date is None
    assert "unreadable Date header" in parsed.defects


def test_absurd_year_gives_no_date() -> None:
    assert load("date_absurd_year.eml").date is None


def test_missing_date_gives_no_date() -> None:
    assert load("no_from.eml").date is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Mon, 18 Sep 1995 00:19:00 (EDT) -0400", utc(1995, 9, 18, 4, 19)),
        ("Tue, 1 Jul 2003 10:52:37 +0200 (CEST)", utc(2003, 7, 1, 8, 52, 37)),
        ("Wed, 18 Nov 09 10:00 +0100", utc(2009, 11, 18, 9, 0)),
        ("Mon, 30 Nov 2009 10:00:00 -0500 EST", utc(2009, 11, 30, 15, 0)),
        ("Tue, 17 Nov 2009 18:21:38", utc(2009, 11, 17, 18, 21, 38)),
        ("Thu, 01 Jan 1970 00:00:00 +0000", None),
        ("Sat, 01 Jan 2450 10:00:00 +0000", None),
        ("yesterday", None),
        ("", None),
    ],
)
def test_date_values(value: str, expected: datetime | None) -> None:
    assert parse_date(value) == expected


# Message ids


def test_ids_tolerate_folding_repeats_junk_and_missing_brackets() -> None:
    parsed = load("references_messy.eml")

    assert parsed.message_id == "reply-3@mail.example.se"
    assert parsed.in_reply_to == "reply-2@example.org"
    assert parsed.references == [
        "start-0@example.org",
        "reply-1@mail.example.se",
        "bare-id@example.org",
        "reply-2@example.org",
    ]


def test_message_id_without_brackets_and_empty_in_reply_to() -> None:
    parsed = load("message_id_bare.eml")

    assert parsed.message_id == "20200123143934.05D7EE792E@example.com"
    assert parsed.in_reply_to is None
    assert parsed.references == []


# Bodies


def test_html_only_body_is_converted_to_text() -> None:
    parsed = load("html_only.eml")

    assert parsed.has_html is True
    assert parsed.text == "Spring sale\n\nAll bikes − 20 % off.\n\n  * Road\n  * Gravel"


def test_alternative_body_prefers_the_plain_part() -> None:
    parsed = load("alternative.eml")

    assert parsed.text == "Notes in plain text."
    assert parsed.has_html is True


def test_plain_message_has_no_html() -> None:
    parsed = load("split_multibyte_subject.eml")

    assert parsed.text == "Hallo!\n"
    assert parsed.has_html is False


def test_utf8_body_labelled_latin1_is_not_mojibake() -> None:
    assert load("body_utf8_declared_latin1.eml").text == "Blåbærsyltetøy og smørbrød.\n"


def test_latin1_body_without_charset_is_detected() -> None:
    assert load("body_latin1_no_charset.eml").text == (
        "Bonjour, je voudrais commander des pièces détachées pour le vélo électrique.\n"
        "Merci beaucoup et à bientôt, très cordialement.\n"
    )


def test_backslash_sequences_stay_literal() -> None:
    assert load("body_backslashes.eml").text == (
        "The file C:\\new\\table\\u00e9\\x41\\N{BULLET} is missing \\ – café.\n"
    )


def test_mbox_from_line_is_skipped() -> None:
    parsed = load("mbox_from_line.eml")

    assert parsed.from_ == Address("sender@example.com", "Sender Example")
    assert parsed.subject == "From an mbox file"
    assert parsed.message_id == "mbox-1@example.com"


# Attachments


def test_attachment_metadata() -> None:
    parsed = load("attachments.eml")

    assert parsed.text == "See the logo:"
    assert parsed.attachments == [
        Attachment(
            filename=None,
            content_type="image/png",
            size=70,
            disposition="inline",
            content_id="logo@example.com",
            md5="482bd6f3ba059f46abe5042b65fe7e45",
        ),
        Attachment(
            filename="Erklärung für Kunden.pdf",
            content_type="application/pdf",
            size=99,
            disposition="attachment",
            md5=PDF_MD5,
        ),
        Attachment(
            filename="Lagebericht März.pdf",
            content_type="application/pdf",
            size=99,
            md5=PDF_MD5,
        ),
        Attachment(
            filename="Grüße.txt",
            content_type="text/plain",
            size=5,
            disposition="attachment",
            md5="8b1a9953c4611296a827abf8c47804d7",
        ),
        Attachment(
            filename="notes.txt",
            content_type="application/octet-stream",
            size=12,
            disposition="attachment",
            md5="8c1d966fbbfa8293f832674f032b22b9",
        ),
    ]


def test_signature_part_is_an_attachment() -> None:
    parsed = load("signed.eml")

    assert parsed.text == "This text is signed."
    assert [(a.filename, a.content_type) for a in parsed.attachments] == [
        ("signature.asc", "application/pgp-signature")
    ]
    # Sent with CRLF; counted with LF so the figure does not depend on storage.
    assert parsed.attachments[0].size == 128


def test_encrypted_parts_are_attachments() -> None:
    parsed = load("encrypted.eml")

    assert parsed.text == ""
    assert [(a.filename, a.content_type, a.size) for a in parsed.attachments] == [
        (None, "application/pgp-encrypted", 10),
        ("encrypted.asc", "application/octet-stream", 101),
    ]


def test_forwarded_message_is_one_attachment_and_not_opened() -> None:
    parsed = load("forwarded.eml")

    assert parsed.text == "Please see the forwarded mail."
    assert [(a.filename, a.content_type) for a in parsed.attachments] == [
        (None, "message/rfc822")
    ]
    assert parsed.attachments[0].size == 502


# Failures


def test_email_package_message_is_kept_for_the_classifier() -> None:
    parsed = load("alternative.eml")

    assert parsed.email is not None
    assert parsed.email.get_content_type() == "multipart/alternative"


@pytest.mark.parametrize(
    "raw",
    [b"", b"  \r\n\r\n ", b"From someone@example.com Mon Jan 1 00:00:00 2024\n"],
)
def test_empty_input_raises_parse_error(raw: bytes) -> None:
    with pytest.raises(ParseError, match="empty"):
        parse_message(raw)


@pytest.mark.parametrize(
    "raw",
    [
        b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n",
        bytes(range(256)) * 4,
        b"just a line of text\nand another one\n",
    ],
)
def test_non_mail_input_raises_parse_error(raw: bytes) -> None:
    with pytest.raises(ParseError, match="not an email"):
        parse_message(raw)


def test_non_bytes_input_raises_parse_error() -> None:
    with pytest.raises(ParseError, match="bytes"):
        parse_message("From: a@example.com\n\nhi")  # type: ignore[arg-type]


def test_parser_failure_becomes_parse_error() -> None:
    nested = b"".join(
        b"Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n" % (i, i)
        for i in range(3000)
    )
    raw = b"From: a@example.com\nSubject: deep\n" + nested

    with pytest.raises(ParseError, match="RecursionError"):
        parse_message(raw)
