"""What each kind of SOP step adds to an action, plugged in per step kind.

The engine (`services/engine.py`) runs every action through the same steps: check, transition,
after-transition. A step kind adds to them through four hooks:

| hook          | when                                              | used by                                       |
|---------------|---------------------------------------------------|-----------------------------------------------|
| `check`       | before anything changes; may refuse the action    | fan-out (realisasi complete), review (rows)   |
| `before_move` | the task is done, the instance has not moved yet  | review (accept or return realisasi rows)      |
| `after_move`  | the instance has moved on                         | paraf, sign (the signature)                   |
| `on_enter`    | the instance has just entered a step of this kind | review (the draft's snapshot)                 |

A new step kind adds a `StepKindHooks` subclass and one entry in `HOOKS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflow.adapters.models import DocumentVersion, Indicator, Instance, Person, Signature, Task
from workflow.domain.periods import Period
from workflow.errors import Conflict, InvalidInput
from workflow.services.measurement import (
    DIKEMBALIKAN,
    DIKIRIM,
    DITERIMA,
    accept_period,
    entry_step,
    missing_for_task,
    owned_indicators,
    period_year,
    rows_for,
    send_drafts,
    unit_indicators,
)
from workflow.services.rekap import document_content, sha256_text
from workflow.sop.spec import SopSpec, StepKind, StepSpec


@dataclass(frozen=True)
class Actor:
    """Who acts, in which position, and for which position when acting as Plt."""

    person: Person
    role: str
    acting_for: str | None


@dataclass
class Acting:
    """One action on a task, inside its transaction: what the hooks read and add to."""

    session: Session
    spec: SopSpec
    step: StepSpec
    instance: Instance
    task: Task
    actor: Actor
    action: str
    note: str | None
    rows: dict[str, str]
    now: datetime
    expected_sha256: str | None = None
    from_state: str = ""
    #: Returned rows (indicator code -> (indicator, note)), checked by the review's `check`.
    returned: dict[str, tuple[Indicator, str]] = field(default_factory=dict)


class StepKindHooks:
    """The default: a step with nothing of its own (a nota dinas, a rekap, an archive step)."""

    def check(self, a: Acting) -> None:
        if a.rows:
            raise InvalidInput(
                f"rows: step {a.step.no} has no data-entry step before it to return rows to",
                code="rows.no_entry_step", step=a.step.no,
            )  # fmt: skip

    def before_move(self, a: Acting) -> None:
        """The acted step's own effects, after its task is done and before the instance moves."""

    def after_move(self, a: Acting) -> None:
        """Effects that need the instance in its new state."""

    def on_enter(self, a: Acting) -> None:
        """The instance has just entered a step of this kind."""


class FanoutHooks(StepKindHooks):
    """A data-entry step with one task per holder: `done` needs every owned realisasi entered."""

    def check(self, a: Acting) -> None:
        super().check(a)
        if a.action == "done":
            missing = missing_for_task(a.session, a.task, a.instance, a.now)
            if missing:
                listed = "; ".join(f"{i.code} {i.name}" for i in missing)
                raise InvalidInput(
                    f"realisasi: belum lengkap untuk {a.instance.period}: {listed}",
                    code="realisasi.incomplete", period=a.instance.period, listed=listed,
                )  # fmt: skip

    def before_move(self, a: Acting) -> None:
        if a.action == "done":
            send_drafts(a.session, a.task, a.instance, a.now)


class ReviewHooks(StepKindHooks):
    """A review of entered data: approve accepts the period's realisasi; a return may name rows,
    which go back with their notes to their owners while the other rows are accepted. Entering a
    review keeps the draft as submitted (a numbered snapshot with its SHA-256)."""

    def check(self, a: Acting) -> None:
        if not a.rows:
            return
        if entry_step(a.spec, before=a.step.id) is None:
            super().check(a)
        a.returned = returned_rows(a.session, a.instance, a.rows)

    def before_move(self, a: Acting) -> None:
        if a.action == "approve" and entry_step(a.spec, before=a.step.id) is not None:
            accept_period(a.session, a.instance)
        if a.returned:
            a.note = mark_returned(a.session, a.instance, a.note or "", a.returned)

    def on_enter(self, a: Acting) -> None:
        snapshot(a.session, a.instance, a.spec, a.task, a.now)


class SigningHooks(StepKindHooks):
    """A paraf or a tanda tangan: recorded on the exact content signed, with its SHA-256."""

    def after_move(self, a: Acting) -> None:
        sign(a.session, a.instance, a.spec, a.task, a.actor, a.step.kind, a.now, a.expected_sha256)


_DEFAULT = StepKindHooks()
HOOKS: dict[StepKind, StepKindHooks] = {
    StepKind.FANOUT: FanoutHooks(),
    StepKind.REVIEW: ReviewHooks(),
    StepKind.PARAF: SigningHooks(),
    StepKind.SIGN: SigningHooks(),
}


def hooks_for(kind: StepKind) -> StepKindHooks:
    return HOOKS.get(kind, _DEFAULT)


def sign(
    s: Session,
    instance: Instance,
    spec: SopSpec,
    task: Task,
    actor: Actor,
    kind: StepKind,
    now: datetime,
    expected_sha256: str | None = None,
) -> None:
    """Record the paraf or tanda tangan on the exact content signed, frozen with its SHA-256."""
    content = document_content(s, instance, spec.nama)
    if expected_sha256 is not None and sha256_text(content) != expected_sha256:
        raise Conflict(
            "the document changed since it was shown (its SHA-256 differs); reload it and sign again",
            code="document.changed",
        )
    s.add(
        Signature(
            instance_id=instance.id, task_id=task.id, person_id=actor.person.id, actor=actor.person.username,
            role=actor.role, acting_for=actor.acting_for,
            kind="paraf" if kind is StepKind.PARAF else "tanda_tangan", document=spec.key,
            sha256=sha256_text(content), content=content, signed_at=now,
        )
    )  # fmt: skip


def snapshot(s: Session, instance: Instance, spec: SopSpec, task: Task, now: datetime) -> None:
    """Keep the draft as it is submitted for review: each version, with its SHA-256."""
    last = s.scalar(
        select(func.max(DocumentVersion.version)).where(
            DocumentVersion.instance_id == instance.id, DocumentVersion.document == spec.key
        )
    )
    content = document_content(s, instance, spec.nama)
    s.add(
        DocumentVersion(
            instance_id=instance.id, task_id=task.id, document=spec.key, version=(last or 0) + 1,
            sha256=sha256_text(content), content=content, created_at=now,
        )
    )  # fmt: skip


def returned_rows(s: Session, instance: Instance, rows: dict[str, str]) -> dict[str, tuple[Indicator, str]]:
    """Check each returned row: a known indicator with a realisasi for the period, and a note."""
    when = period_year(instance.period)
    if when is None:
        raise InvalidInput(
            f"rows: {instance.period} is not a triwulan; there are no realisasi rows to return",
            code="rows.not_triwulan", period=instance.period,
        )  # fmt: skip
    by_code = {i.code: i for i in unit_indicators(s, instance.unit_id, when[0])}
    entered = rows_for(s, instance.unit_id, [instance.period])
    checked: dict[str, tuple[Indicator, str]] = {}
    for code, row_note in rows.items():
        indicator = by_code.get(code)
        if indicator is None:
            raise InvalidInput(
                f"rows: {code!r} is not an indicator of this unit for {when[0]}",
                code="rows.not_indicator", indicator=code, year=when[0],
            )  # fmt: skip
        if (indicator.id, instance.period) not in entered:
            raise InvalidInput(
                f"rows: {code} has no realisasi for {instance.period} to return",
                code="rows.no_realisasi", indicator=code, period=instance.period,
            )  # fmt: skip
        if not (row_note or "").strip():
            raise InvalidInput(f"rows: {code} needs a note saying what to correct", code="rows.needs_note",
                               indicator=code)  # fmt: skip
        checked[code] = (indicator, row_note.strip())
    return checked


def mark_returned(s: Session, instance: Instance, note: str, rows: dict[str, tuple[Indicator, str]]) -> str:
    """Returned rows go back with their notes; every other entered row of the period is accepted."""
    returned_ids = {indicator.id for indicator, _ in rows.values()}
    for (indicator_id, _), row in rows_for(s, instance.unit_id, [instance.period]).items():
        if indicator_id in returned_ids:
            row.status = DIKEMBALIKAN
            row.return_note = next(n for i, n in rows.values() if i.id == indicator_id)
        elif row.status == DIKIRIM:
            row.status = DITERIMA
    lines = "; ".join(f"{code}: {row_note}" for code, (_, row_note) in rows.items())
    return f"{note} [{lines}]" if note else lines


def row_owner_notes(
    s: Session, instance: Instance, rows: dict[str, tuple[Indicator, str]], now: datetime
) -> Callable[[Task], str | None]:
    """For each would-be entry task: the notes of the returned rows its holder owns, or None."""
    year = Period.parse(instance.period).year

    def notes_for(task: Task) -> str | None:
        owned = {i.id for i in owned_indicators(s, task, year, now)}
        mine = [f"{code}: {row_note}" for code, (i, row_note) in rows.items() if i.id in owned]
        return "; ".join(mine) if mine else None

    return notes_for
