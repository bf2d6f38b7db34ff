"""Activities: follow-ups, tasks, calls and notes about contacts."""
