"""Business days and hours, holidays, durations and cron slots in local time."""
