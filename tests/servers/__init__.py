"""Real servers for tests: a Dovecot IMAP server and throw-away PostgreSQL databases."""
