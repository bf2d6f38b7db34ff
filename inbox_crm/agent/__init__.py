"""The always-on agent: scheduled jobs, IMAP IDLE, leases between agents, status."""
