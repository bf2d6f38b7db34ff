"""IMAP: the connection to a mailbox server and the incremental poller."""
