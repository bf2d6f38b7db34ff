"""The daily digest: one summary mail per user, at their local morning."""
