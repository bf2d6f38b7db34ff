"""Rules: files that say which follow-ups, tickets and tags mail should make."""
