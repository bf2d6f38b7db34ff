"""A typed, time-guarded IMAP connection on top of aioimaplib.

Every command runs under a timeout: aioimaplib can leave a command pending
forever (for example when a response is too long for its parser), so no call
here waits longer than the configured guard.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import re
import ssl
from array import array
from asyncio import FIRST_COMPLETED
from collections.abc import Awaitable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from itertools import pairwise
from typing import Any, TypeVar

import aioimaplib
from imapclient import imap_utf7

from inbox_crm.config import MailboxConfig
from inbox_crm.errors import ImapError, ImapTimeout

log = logging.getLogger(__name__)

T = TypeVar("T")

FETCH_LINE = re.compile(rb"^\d+ FETCH \((?P<items>.*)$", re.DOTALL)
UID_ITEM = re.compile(rb"\bUID (\d+)")
SIZE_ITEM = re.compile(rb"\bRFC822\.SIZE (\d+)")
INTERNALDATE_ITEM = re.compile(rb'\bINTERNALDATE "([^"]+)"')
# aioimaplib hands over untagged LIST and SEARCH data without the keyword.
LIST_LINE = re.compile(
    rb'^(?:LIST )?\((?P<flags>[^)]*)\) (?:"[^"]*"|NIL) (?P<name>.+)$'
)
SEARCH_LINE = re.compile(rb"^(?:SEARCH)?(?P<uids>[\d ]*)$")
# A mailbox name never ends in " (", so the last parenthesis holds the items.
STATUS_LINE = re.compile(rb"^(?:STATUS )?(?P<name>.+) \((?P<items>[^()]*)\)$")
STATUS_ITEM = re.compile(rb"(UIDVALIDITY|UIDNEXT|MESSAGES) (\d+)")
STATUS_ITEMS = "(UIDVALIDITY UIDNEXT MESSAGES)"
NUMBER = re.compile(rb"\d+")
# aioimaplib rescans a FETCH response from its start at each line it reads,
# so the cost per message grows with the number of messages per command.
FETCH_CHUNK = 50
# aioimaplib parses what one read brings by recursing line by line, each level
# holding its own copy of the rest: a 256 KiB read of small messages peaks at
# some 20 MB. Handed over in slices this size, the peak stays under 1 MB.
RECEIVE_SLICE = 16 * 1024
CODE_NUMBER = re.compile(rb"\[(UIDVALIDITY|UIDNEXT) (\d+)\]")
EXISTS_LINE = re.compile(rb"^(\d+) EXISTS")


@dataclass(frozen=True)
class FolderStatus:
    """What SELECT/EXAMINE (or STATUS) reports about a folder."""

    uidvalidity: int
    uidnext: int | None
    exists: int


@dataclass(frozen=True)
class FolderInfo:
    """A folder as LIST names it, with its flags (\\Sent, \\Noselect, ...).

    `status` is there when the LIST also asked for it (LIST-STATUS).
    """

    name: str
    flags: frozenset[str]
    status: FolderStatus | None = None


@dataclass(frozen=True)
class FetchedMessage:
    """One message as fetched: UID, server arrival time and raw bytes."""

    uid: int
    internaldate: datetime | None
    raw: bytes


class ImapConnection:
    """One logged-in connection to a mailbox's server."""

    def __init__(self, client: aioimaplib.IMAP4, timeout: float) -> None:
        self.client = client
        self.timeout = timeout
        # aioimaplib leaves pending commands waiting when the connection
        # drops; this future lets every wait end as soon as it does.
        self.lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        client.protocol.conn_lost_cb = self._connection_lost
        # Commands sent after login; an idle poll should cost very few.
        self.commands = 0
        # What a server that is not IMAP said instead of a greeting.
        self.not_imap: str | None = None
        self._catch_bad_greeting()
        self._receive_in_slices()

    def _connection_lost(self, exc: Exception | None) -> None:
        if not self.lost.done():
            self.lost.set_result(None)

    def _catch_bad_greeting(self) -> None:
        """Hand a failed greeting to our waits, at once.

        aioimaplib reads the greeting in a task nobody awaits: a server that
        is not IMAP (a web server, SSH) would only be noticed at the timeout,
        and its error printed as a stray traceback.
        """
        protocol = self.client.protocol
        greet = protocol.welcome

        async def welcome(line: bytes) -> None:
            try:
                await greet(line)
            except aioimaplib.Error:
                self.not_imap = line.decode("utf-8", "replace").strip()[:120]
                self._connection_lost(None)

        protocol.welcome = welcome

    def _receive_in_slices(self) -> None:
        """Hand what the socket brings to aioimaplib RECEIVE_SLICE bytes at a time."""
        protocol = self.client.protocol
        receive = protocol.data_received

        def data_received(data: bytes) -> None:
            if len(data) <= RECEIVE_SLICE:
                receive(data)
                return
            view = memoryview(data)
            for start in range(0, len(data), RECEIVE_SLICE):
                receive(bytes(view[start : start + RECEIVE_SLICE]))

        protocol.data_received = data_received

    @property
    def capabilities(self) -> set[str]:
        return set(self.client.protocol.capabilities)

    async def guarded(self, call: Awaitable[T], what: str) -> T:
        """Await `call`, but no longer than the timeout or the connection."""
        task = asyncio.ensure_future(call)
        waiters: set[asyncio.Future[Any]] = {task, self.lost}
        done, _ = await asyncio.wait(
            waiters, timeout=self.timeout, return_when=FIRST_COMPLETED
        )
        if task not in done:
            task.cancel()
            if self.not_imap is not None:
                raise ImapError(
                    f"{what}: this is not an IMAP server; it greeted with "
                    f"{self.not_imap!r}: check the host and port"
                )
            if self.lost.done():
                raise ImapError(f"{what}: the server closed the connection")
            raise ImapTimeout(f"{what}: no answer within {self.timeout:g}s")
        try:
            return task.result()
        except TimeoutError as exc:
            raise ImapTimeout(f"{what}: no answer within {self.timeout:g}s") from exc
        except aioimaplib.AioImapException as exc:
            raise ImapError(f"{what}: {exc}") from exc
        except ssl.SSLError as exc:
            raise ImapError(f"{what}: TLS failed: {exc}{_tls_hint(exc)}") from exc
        except (OSError, ConnectionError) as exc:
            raise ImapError(f"{what}: connection failed: {exc}") from exc

    async def ok(self, call: Awaitable[Any], what: str) -> Any:
        self.commands += 1
        response = await self.guarded(call, what)
        if response.result != "OK":
            raise ImapError(f"{what}: server said {response.result}: {_text(response)}")
        return response

    async def list_folders(self) -> list[FolderInfo]:
        """Every folder; with each one's status too where the server can.

        A server offering LIST-STATUS (RFC 5819) answers for all folders in
        this one command, so a poll with nothing new needs no other.
        """
        if "LIST-STATUS" not in self.capabilities:
            response = await self.ok(self.client.list('""', "*"), "LIST")
            return _folders(response.lines, {})
        protocol = self.client.protocol
        returns = f"STATUS {STATUS_ITEMS}"
        if "SPECIAL-USE" in self.capabilities:
            returns = f"SPECIAL-USE {returns}"
        command = aioimaplib.Command(
            "LIST",
            protocol.new_tag(),
            '""',
            '"*"',
            f"RETURN ({returns})",
            loop=protocol.loop,
        )
        # aioimaplib hands an untagged STATUS to a pending STATUS command
        # only: this one is never sent, it collects those of the LIST.
        statuses = aioimaplib.Command("STATUS", "*", loop=protocol.loop)
        protocol.pending_async_commands["STATUS"] = statuses
        try:
            response = await self.ok(protocol.execute(command), "LIST-STATUS")
        finally:
            if protocol.pending_async_commands.get("STATUS") is statuses:
                del protocol.pending_async_commands["STATUS"]
        return _folders(response.lines, _statuses(statuses.response.lines))

    async def status(self, folder: str) -> FolderStatus | None:
        """STATUS of a folder that is not open; None if the server will not say."""
        self.commands += 1
        response = await self.guarded(
            self.client.protocol.simple_command("STATUS", _quote(folder), STATUS_ITEMS),
            f"STATUS {folder}",
        )
        if response.result != "OK":
            return None
        return _statuses(response.lines).get(folder)

    async def examine(self, folder: str) -> FolderStatus:
        """Open `folder` read-only, so nothing we do can change its flags."""
        response = await self.ok(
            self.client.protocol.simple_command("EXAMINE", _quote(folder)),
            f"EXAMINE {folder}",
        )
        # aioimaplib tracks SELECT only; EXAMINE opens the folder just the same.
        self.client.protocol.state = aioimaplib.SELECTED
        codes: dict[bytes, int] = {}
        exists = 0
        for line in response.lines:
            raw = bytes(line)
            for name, number in CODE_NUMBER.findall(raw):
                codes[name] = int(number)
            if match := EXISTS_LINE.match(raw):
                exists = int(match[1])
        if b"UIDVALIDITY" not in codes:
            raise ImapError(f"EXAMINE {folder}: the server sent no UIDVALIDITY")
        return FolderStatus(codes[b"UIDVALIDITY"], codes.get(b"UIDNEXT"), exists)

    async def uids_from(self, first_uid: int) -> Sequence[int]:
        """UIDs at or above `first_uid`, ascending.

        A compact array: a first sync of a large folder holds every UID to
        fetch, and should not need a Python object for each.
        """
        response = await self.ok(
            self.client.uid_search(f"UID {first_uid}:*", charset=None),
            "UID SEARCH",
        )
        uids = array("Q")
        for line in response.lines[:-1]:
            match = SEARCH_LINE.match(bytes(line))
            if match:
                numbers = (int(token[0]) for token in NUMBER.finditer(match["uids"]))
                # "n:*" always names the highest UID, even one below n.
                uids.extend(uid for uid in numbers if uid >= first_uid)
        if any(a >= b for a, b in pairwise(uids)):
            uids = array("Q", sorted(set(uids)))
        return uids

    async def uids_with_header(self, name: str, value: str) -> list[int]:
        """UIDs in the open folder whose header `name` contains `value`."""
        response = await self.ok(
            self.client.uid_search("HEADER", name, _quote(value), charset=None),
            f"UID SEARCH HEADER {name}",
        )
        return _search_uids(response)

    async def append(self, folder: str, raw: bytes, flags: str = "(\\Seen)") -> None:
        """Add a message to `folder` (the Sent folder, say), flagged as read."""
        await self.ok(
            self.client.append(raw, _quote(folder), flags), f"APPEND {folder}"
        )

    async def sizes(self, uids: Iterable[int]) -> dict[int, int]:
        """RFC822.SIZE of each UID (a cheap look before fetching bodies)."""
        response = await self.ok(
            self._uid_fetch(uids, "(UID RFC822.SIZE)"),
            "UID FETCH sizes",
        )
        sizes = {}
        for line in response.lines:
            raw = bytes(line)
            uid, size = UID_ITEM.search(raw), SIZE_ITEM.search(raw)
            if uid and size:
                sizes[int(uid[1])] = int(size[1])
        return sizes

    async def fetch(self, uids: Iterable[int]) -> list[FetchedMessage]:
        """Fetch whole messages with BODY.PEEK, which leaves \\Seen untouched.

        A few dozen messages per command: see FETCH_CHUNK.
        """
        ordered = sorted(set(uids))
        messages: list[FetchedMessage] = []
        for start in range(0, len(ordered), FETCH_CHUNK):
            chunk = ordered[start : start + FETCH_CHUNK]
            response = await self.ok(
                self._uid_fetch(chunk, "(UID INTERNALDATE BODY.PEEK[])"),
                "UID FETCH bodies",
            )
            messages.extend(parse_fetch_lines(response.lines))
        return messages

    def _uid_fetch(self, uids: Iterable[int], items: str) -> Awaitable[Any]:
        # Without aioimaplib's own timeout, which re-arms a timer at every
        # line; `guarded` bounds the whole command instead.
        fetch: Awaitable[Any] = self.client.protocol.fetch(
            _uid_set(uids), items, by_uid=True, timeout=None
        )
        return fetch

    async def noop(self) -> None:
        await self.ok(self.client.noop(), "NOOP")

    def drop(self) -> None:
        """Close the connection without a goodbye: it is broken, or the server left."""
        transport = self.client.protocol.transport
        if transport is not None:
            transport.close()

    async def logout(self) -> None:
        if self.lost.done():
            self.drop()
            return
        try:
            await asyncio.wait_for(self.client.logout(), min(self.timeout, 5.0))
        except Exception:  # a failed goodbye changes nothing
            log.debug("logout failed; dropping the connection", exc_info=True)
        transport = self.client.protocol.transport
        if transport is not None:
            transport.close()


def parse_fetch_lines(lines: list[Any]) -> list[FetchedMessage]:
    """Pair each FETCH header line with the literal that follows it."""
    messages = []
    header: bytes | None = None
    for line in lines:
        if isinstance(line, bytearray) and header is not None:
            messages.append(_fetched(header, bytes(line)))
            header = None
        elif isinstance(line, bytes) and FETCH_LINE.match(line):
            header = line
    return messages


def _fetched(header: bytes, raw: bytes) -> FetchedMessage:
    uid = UID_ITEM.search(header)
    if uid is None:
        raise ImapError(f"FETCH response without a UID: {header[:100]!r}")
    internal = INTERNALDATE_ITEM.search(header)
    return FetchedMessage(
        uid=int(uid[1]),
        internaldate=_internaldate(internal[1]) if internal else None,
        raw=raw,
    )


def _internaldate(value: bytes) -> datetime | None:
    # "17-Jul-1996 02:44:25 -0700"
    try:
        day, month, rest = value.decode("ascii").strip().split("-", 2)
        moment, zone = rest.rsplit(" ", 1)
        year, clock = moment.split(" ", 1)
        return parsedate_to_datetime(f"{day} {month} {year} {clock} {zone}")
    except (ValueError, TypeError, IndexError):
        return None


def _folders(
    lines: Iterable[Any], statuses: dict[str, FolderStatus]
) -> list[FolderInfo]:
    """The folders of a LIST response, each with its status if one came."""
    folders = []
    for line in lines:
        match = LIST_LINE.match(bytes(line))
        if match:
            flags = frozenset(match["flags"].decode("ascii", "replace").split())
            name = _unquote(match["name"])
            folders.append(FolderInfo(name, flags, statuses.get(name)))
    return folders


def _statuses(lines: Iterable[Any]) -> dict[str, FolderStatus]:
    """Untagged STATUS responses by folder; those without UIDVALIDITY left out."""
    statuses = {}
    for line in lines:
        match = STATUS_LINE.match(bytes(line))
        if match is None:
            continue
        items = {key: int(value) for key, value in STATUS_ITEM.findall(match["items"])}
        if b"UIDVALIDITY" in items:
            statuses[_unquote(match["name"])] = FolderStatus(
                items[b"UIDVALIDITY"], items.get(b"UIDNEXT"), items.get(b"MESSAGES", 0)
            )
    return statuses


def _search_uids(response: Any) -> list[int]:
    """The UIDs of a SEARCH response, ascending and each once."""
    uids: set[int] = set()
    for line in response.lines[:-1]:
        match = SEARCH_LINE.match(bytes(line))
        if match:
            uids.update(int(token) for token in match["uids"].split())
    return sorted(uids)


def _uid_set(uids: Iterable[int]) -> str:
    """A compact UID set: 1:5,8,10:12."""
    ordered = sorted(set(uids))
    if not ordered:
        raise ValueError("empty UID set")
    runs: list[str] = []
    start = previous = ordered[0]
    for uid in ordered[1:]:
        if uid != previous + 1:
            runs.append(_run(start, previous))
            start = uid
        previous = uid
    runs.append(_run(start, previous))
    return ",".join(runs)


def _run(start: int, end: int) -> str:
    return str(start) if start == end else f"{start}:{end}"


def _quote(name: str) -> str:
    """A folder name for a command: modified UTF-7 (RFC 3501 5.1.3), quoted."""
    encoded = str(imap_utf7.encode(name).decode("ascii"))
    return '"' + encoded.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _unquote(raw: bytes) -> str:
    """A folder name from a LIST reply, unquoted and decoded to text."""
    text = raw.strip()
    if len(text) >= 2 and text[:1] == text[-1:] == b'"':
        text = text[1:-1].replace(b'\\"', b'"').replace(b"\\\\", b"\\")
    try:
        return str(imap_utf7.decode(text))
    except (UnicodeError, ValueError):
        # Not valid modified UTF-7: some servers send raw UTF-8 names.
        return text.decode("utf-8", "replace")


def _text(response: Any) -> str:
    for line in reversed(response.lines):
        if isinstance(line, bytes) and line:
            return line.decode("utf-8", "replace")[:200]
    return ""


async def connect(
    mailbox: MailboxConfig, secret: str, timeout: float
) -> ImapConnection:
    """Open, secure and authenticate a connection as the mailbox says."""
    context = tls_context(mailbox) if mailbox.security != "none" else None
    implicit = context if mailbox.security == "tls" else None
    what = f"{mailbox.host}:{mailbox.port}"
    greeting = f"connect {what}"
    try:
        client = (
            aioimaplib.IMAP4_SSL(
                mailbox.host, mailbox.port, timeout=timeout, ssl_context=implicit
            )
            if implicit
            else aioimaplib.IMAP4(mailbox.host, mailbox.port, timeout=timeout)
        )
    except OSError as exc:
        raise ImapError(f"cannot connect to {what}: {exc}") from exc
    connection = ImapConnection(client, timeout)
    try:
        try:
            await connection.guarded(client.wait_hello_from_server(), greeting)
        except ImapTimeout as exc:
            raise ImapTimeout(f"{exc}{_greeting_hint(mailbox)}") from exc
        if mailbox.security == "starttls":
            assert context is not None
            await starttls(connection, context, mailbox.host)
        await authenticate(connection, mailbox, secret)
    except ssl.SSLError as exc:
        await connection.logout()
        raise ImapError(f"TLS with {what} failed: {exc}{_tls_hint(exc)}") from exc
    except BaseException:
        await connection.logout()
        raise
    return connection


def tls_context(mailbox: MailboxConfig) -> ssl.SSLContext:
    """Certificate verification on, with the mailbox's own CA file if named."""
    cafile = str(mailbox.ca_file) if mailbox.ca_file else None
    try:
        return ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=cafile)
    except (ssl.SSLError, OSError) as exc:
        raise ImapError(
            f"mailbox {mailbox.name!r}: ca_file {cafile} holds no usable CA "
            f"certificate ({exc}); name a PEM file with the CA that signed "
            "the server's certificate"
        ) from exc


def _tls_hint(exc: ssl.SSLError) -> str:
    """What to change when a TLS handshake fails in a common way."""
    text = str(exc)
    if "WRONG_VERSION_NUMBER" in text or "UNKNOWN_PROTOCOL" in text:
        return (
            "; the server does not speak TLS on this port: use port 993 for "
            "security = 'tls', or security = 'starttls' on port 143"
        )
    if "CERTIFICATE_VERIFY_FAILED" in text:
        return (
            "; its certificate is not trusted here: for a server with a "
            "private or self-signed CA, set ca_file to that CA's PEM file"
        )
    return ""


def _greeting_hint(mailbox: MailboxConfig) -> str:
    """A likely cause of a server that never greets."""
    if mailbox.security != "tls":
        return (
            "; if this port expects TLS from the start (993 usually does), "
            "set security = 'tls'"
        )
    return ""


async def starttls(
    connection: ImapConnection, context: ssl.SSLContext, host: str
) -> None:
    """Upgrade a plain connection to TLS (aioimaplib has no STARTTLS of its own)."""
    protocol = connection.client.protocol
    if "STARTTLS" not in protocol.capabilities:
        raise ImapError(f"{host} does not offer STARTTLS; use security = 'tls'")
    command = aioimaplib.Command("STARTTLS", protocol.new_tag(), loop=protocol.loop)
    await connection.ok(protocol.execute(command), "STARTTLS")
    loop = asyncio.get_running_loop()
    transport = await connection.guarded(
        loop.start_tls(protocol.transport, protocol, context, server_hostname=host),
        "TLS handshake",
    )
    protocol.transport = transport
    # Capabilities seen before TLS cannot be trusted (RFC 3501 6.2.1).
    await connection.guarded(protocol.capability(), "CAPABILITY")


async def authenticate(
    connection: ImapConnection, mailbox: MailboxConfig, secret: str
) -> None:
    client = connection.client
    what = f"login as {mailbox.username} on {mailbox.host}"
    if mailbox.auth == "xoauth2":
        bearer = f"user={mailbox.username}\x01auth=Bearer {secret}\x01\x01"
        response = await connection.guarded(
            _authenticate(connection, "XOAUTH2", bearer, secret), what
        )
    elif mailbox.auth == "plain":
        response = await connection.guarded(
            _authenticate_plain(connection, mailbox.username, secret), what
        )
    else:
        response = await connection.guarded(
            client.login(mailbox.username, secret), what
        )
    if response.result != "OK":
        raise ImapError(f"{what} refused: {_text(response)}")
    await connection.guarded(client.protocol.capability(), "CAPABILITY")


async def _authenticate_plain(
    connection: ImapConnection, username: str, secret: str
) -> Any:
    if "SASL-IR" not in connection.client.protocol.capabilities:
        raise ImapError("the server does not take AUTHENTICATE PLAIN in one line")
    return await _authenticate(connection, "PLAIN", f"\0{username}\0{secret}", secret)


async def _authenticate(
    connection: ImapConnection, mechanism: str, initial: str, secret: str
) -> Any:
    """AUTHENTICATE with an initial response (RFC 4959); the secret is scrubbed."""
    protocol = connection.client.protocol
    token = base64.b64encode(initial.encode()).decode("ascii")
    command = _SaslCommand(protocol, mechanism, token)
    response = await protocol.execute(command, scrub=token)
    if response.result == "OK":
        protocol.state = aioimaplib.AUTH
    return response


class _SaslCommand(aioimaplib.Command):  # type: ignore[misc]
    """AUTHENTICATE whose server challenges are answered with an empty line.

    After an initial response, a challenge means refusal (XOAUTH2 sends its
    error as one); the empty answer lets the server end with NO instead of
    waiting for more until the timeout.
    """

    def __init__(self, protocol: Any, mechanism: str, token: str) -> None:
        super().__init__(
            "AUTHENTICATE", protocol.new_tag(), mechanism, token, loop=protocol.loop
        )
        self._protocol = protocol

    def flush(self) -> None:
        # aioimaplib calls this once per continuation line of the command.
        self._protocol.transport.write(b"\r\n")
