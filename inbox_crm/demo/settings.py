"""The demo's configuration file, written for each run with its servers' ports."""

from __future__ import annotations

MAILBOX = "demo"
USER = "maya"
PASSWORD_ENV = "INBOX_CRM_DEMO_PASSWORD"

CONFIG_TEMPLATE = f"""\
# Written by `inbox-crm demo`. The demo mailbox and its SMTP server lived
# inside that command and are gone now: the commands that read the database
# (messages, contacts, companies, activities, tickets, outbox list, digest
# preview, export, status) work with this file; sync, run and sending do not.

[database]
# No url: the data is in inbox-crm.db, beside this file.

[sync]
batch_size = 100
timeout = 30

[business]
timezone = "Europe/Stockholm"

[rules]
# rules/ beside this file: the shipped rules and the demo's own (demo.yaml).
since = {{since}}

[users.{USER}]
email = "{{address}}"
mailboxes = ["{MAILBOX}"]
digest_time = "08:00"

[mailboxes.{MAILBOX}]
host = "127.0.0.1"
port = {{imap_port}}
# Plain IMAP is allowed on the loopback address only.
security = "none"
username = "{{address}}"
# A fresh random password each run, set in the demo's own environment.
password_env = "{PASSWORD_ENV}"
folders = ["INBOX", "\\\\Sent"]
addresses = ["{{address}}"]

[mailboxes.{MAILBOX}.smtp]
host = "127.0.0.1"
port = {{smtp_port}}
security = "none"
auth = "none"
from_name = "Maya Lindqvist"

[outreach]
max_per_minute = 0
max_per_hour = 0
"""
