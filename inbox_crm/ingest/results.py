"""What goes into the pipeline (Incoming) and what comes out (BatchResult)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Incoming:
    """One message as it arrives: raw bytes and where it was found."""

    raw: bytes
    folder_id: int | None = None
    uidvalidity: int = 0
    uid: int | None = None
    received_at: datetime | None = None


@dataclass
class BatchResult:
    """Counts of what one batch did."""

    stored: int = 0
    duplicates: int = 0
    quarantined: int = 0
    new_ids: list[int] = field(default_factory=list)

    def add(self, other: BatchResult) -> None:
        self.stored += other.stored
        self.duplicates += other.duplicates
        self.quarantined += other.quarantined
        self.new_ids.extend(other.new_ids)
