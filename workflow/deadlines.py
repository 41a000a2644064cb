"""When a task falls due, from its step's time standard and the moment it opens."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from workflow.waktu import Waktu


class DeadlinePolicy(Protocol):
    def due_at(self, opened_at: datetime, waktu: Waktu | None, unit_code: str) -> datetime | None: ...


class ElapsedTimeDeadlines:
    """Count a time standard as elapsed time: a `hari` is 24 hours, a `Minggu` seven days.

    This is the engine's own fallback, used where no working calendar is configured; it never
    comes out earlier than office time would (a Minggu of 7 days covers its 5 working days).
    """

    def due_at(self, opened_at: datetime, waktu: Waktu | None, unit_code: str) -> datetime | None:
        if waktu is None:
            return None
        minutes = waktu.working_minutes
        if minutes is not None:
            return opened_at + timedelta(minutes=minutes)
        days = waktu.amount * (7 if waktu.unit.value == "minggu" else 1)
        return opened_at + timedelta(days=days)
