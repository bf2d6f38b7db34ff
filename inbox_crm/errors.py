"""The exceptions inbox-crm raises, all under one base.

    InboxCrmError
     ├── ConfigError        a configuration file is missing, unreadable or invalid
     ├── SecretError        a mailbox secret could not be obtained
     ├── StorageError       the database cannot be opened or migrated
     ├── ImapError          an IMAP server refused us or the connection failed
     │    └── ImapTimeout   a command took longer than its guard
     ├── ParseError         a message could not be parsed (it is quarantined)
     ├── NotFoundError      no message, outreach, ticket or activity has the id given
     ├── ImportSourceError  a file given to `inbox-crm import` cannot be read
     ├── ContactError       a contact, company or link request cannot be done
     │    └── ContactImportError  a contacts file has a bad row (nothing imported)
     ├── ActivityError      an activity cannot be added or snoozed as asked
     ├── TemplateError      a template is missing, malformed or uses an undefined value
     ├── OutreachError      an outreach cannot be queued or changed as asked
     │    └── OutreachRefused  the recipient must not get it (suppressed, role, ...)
     └── SmtpError          the SMTP server refused the mailbox or could not be reached

Messages say what to do next: which file, which key, which setting.
"""


class InboxCrmError(Exception):
    """Base class of every error inbox-crm raises on purpose."""


class ConfigError(InboxCrmError):
    """The configuration file is missing, unreadable or has a bad value."""


class SecretError(InboxCrmError):
    """A mailbox secret could not be read from its environment variable or command."""


class StorageError(InboxCrmError):
    """The database could not be opened, created or migrated."""


class ImapError(InboxCrmError):
    """The IMAP server refused a command, or the connection failed."""


class ImapTimeout(ImapError):
    """An IMAP command did not complete within its time guard."""


class ParseError(InboxCrmError):
    """A message could not be parsed; the raw source is kept and quarantined."""


class NotFoundError(InboxCrmError):
    """No stored message, outreach, ticket or activity has the id a command names."""


class ImportSourceError(InboxCrmError):
    """A path given to `inbox-crm import` is not a readable mbox, Maildir or .eml."""


class ContactError(InboxCrmError):
    """A contact or company is unknown, or a link, merge or review cannot be done."""


class ContactImportError(ContactError):
    """A contacts file cannot be read, or one of its rows is bad."""


class ActivityError(InboxCrmError):
    """An activity has no title, or cannot be snoozed (done, or to a past time)."""


class TemplateError(InboxCrmError):
    """A template is missing, has a syntax error, or names an undefined value."""


class OutreachError(InboxCrmError):
    """An outreach cannot be queued, retried or cancelled as asked."""


class OutreachRefused(OutreachError):
    """The recipient must not get this mail: suppressed, a role address, and so on."""


class SmtpError(InboxCrmError):
    """The SMTP server could not be reached or refused the mailbox's login."""


def describe_os_error(exc: OSError) -> str:
    """What the operating system refused, in words: `path: reason`."""
    reason = (exc.strerror or str(exc)).lower()
    if isinstance(exc, NotADirectoryError):
        reason += " (a part of the path is a file)"
    elif isinstance(exc, FileNotFoundError):
        reason += " (a folder on the path is missing and cannot be made)"
    if exc.filename is None:
        return reason
    return f"{exc.filename}: {reason}"
