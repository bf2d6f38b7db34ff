"""Mail from local files: mbox, Maildir and .eml, for `inbox-crm import`."""
