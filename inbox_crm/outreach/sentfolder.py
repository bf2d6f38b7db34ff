"""The mailbox's Sent folder over IMAP: filing sent mail, and finding it again.

Finding a Message-ID there is how an outreach in doubt is resolved: a server
that files what it accepts (as Gmail and Microsoft 365 do), or our own copy
made after an earlier send, shows that the mail went.
"""

from __future__ import annotations

import logging

from inbox_crm.config import MailboxConfig
from inbox_crm.errors import ImapError
from inbox_crm.imap.client import ImapConnection, connect
from inbox_crm.imap.poller import resolve_folders
from inbox_crm.imap.secrets import mailbox_secret

log = logging.getLogger(__name__)


class SentFolder:
    """A lazily opened IMAP connection to one mailbox's Sent folder."""

    def __init__(self, mailbox: MailboxConfig, timeout: float) -> None:
        assert mailbox.smtp is not None
        self.mailbox = mailbox
        self.wanted = mailbox.smtp.sent_folder
        self.timeout = timeout
        self.connection: ImapConnection | None = None
        self.folder: str | None = None

    async def contains(self, message_id: str) -> bool:
        """Whether a message with this Message-ID (no brackets) is in the folder."""
        connection, folder = await self._open()
        await connection.examine(folder)
        found = await connection.uids_with_header("Message-ID", f"<{message_id}>")
        return bool(found)

    async def file(self, message_id: str, raw: bytes) -> bool:
        """Append `raw` unless a copy is there already; True if it appended."""
        if await self.contains(message_id):
            return False
        connection, folder = await self._open()
        await connection.append(folder, raw)
        log.info("mail <%s> filed in %s/%s", message_id, self.mailbox.name, folder)
        return True

    async def close(self) -> None:
        if self.connection is not None:
            await self.connection.logout()
        self.connection = None

    async def _open(self) -> tuple[ImapConnection, str]:
        if self.connection is not None and self.connection.lost.done():
            self.connection = None
        if self.connection is None:
            secret = mailbox_secret(self.mailbox)
            self.connection = await connect(self.mailbox, secret, self.timeout)
        if self.folder is None:
            available = await self.connection.list_folders()
            ((_, name),) = resolve_folders([self.wanted], available)
            if name is None:
                raise ImapError(
                    f"mailbox {self.mailbox.name!r} has no folder {self.wanted!r}; "
                    f"set sent_folder in [mailboxes.{self.mailbox.name}.smtp]"
                )
            self.folder = name
        return self.connection, self.folder
