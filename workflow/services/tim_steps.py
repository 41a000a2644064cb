"""What a task page shows beside its action: the Tim SAKIP's working tools between the data entry
and the review, and who finished a closed task.

The Tim SAKIP's plain task steps that come after an SOP's data-entry fan-out and before its first
review (in S4: 6 Evaluasi capaian, 7 Rekap hasil pengukuran, 8 Laporan rekap) are where the Tim
checks the numbers. The first of them carries the tracker (who still owes what) and the
plausibility flags; the later ones carry the Kertas Kerja and the draft Laporan. Once a draft was
submitted for review and came back (a per-row return goes back to the fan-out, then through these
steps again), each of them opens with the rows that changed since the reviewed version, so the Tim
checks only those (S4 v3 records this choice in the steps' `resolution`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from workflow.adapters import repository
from workflow.adapters.models import DocumentVersion, Person, Task, Unit
from workflow.domain.plausibility import Flag
from workflow.services.engine import WorkflowService
from workflow.services.instances import rekap_changes
from workflow.services.measurement import entry_step
from workflow.services.performance import PerformanceService
from workflow.services.plausibility import period_flags
from workflow.sop.spec import SopSpec, StepKind, StepSpec

EVALUASI = "evaluasi"  # the first Tim step after the entry: the tracker and the flags
REKAP = "rekap"  # the later ones: the Kertas Kerja and the draft Laporan


def tools_of(spec: SopSpec, step: StepSpec) -> str | None:
    """EVALUASI for the first plain task after SPEC's data-entry fan-out and before its first
    review, REKAP for the later ones, None for any other step (no step id is named)."""
    entry = entry_step(spec)
    if entry is None or step.kind is not StepKind.TASK:
        return None
    ids = [s.id for s in spec.steps]
    between: list[str] = []
    for later in spec.steps[ids.index(entry.id) + 1 :]:
        if later.kind is StepKind.REVIEW:
            break
        if later.kind is StepKind.TASK:
            between.append(later.id)
    if step.id not in between:
        return None
    return EVALUASI if step.id == between[0] else REKAP


@dataclass(frozen=True)
class FlaggedRow:
    """A Kertas Kerja row with plausibility flags, and the people answering for it."""

    row: dict[str, Any]
    flags: tuple[Flag, ...]
    people: tuple[str, ...]


@dataclass(frozen=True)
class ChangedRow:
    """A row that differs from the version reviewed: (field, old, new) per changed field."""

    code: str
    name: str
    kind: str
    fields: tuple[tuple[str, Any, Any], ...]


@dataclass(frozen=True)
class TimTools:
    kind: str
    rekap: dict[str, Any] | None  # the Kertas Kerja as the instance measures it (None: no indicators)
    tracker: dict[str, Any] | None = None  # EVALUASI only
    flagged: tuple[FlaggedRow, ...] = ()  # EVALUASI only
    since_return: tuple[ChangedRow, ...] | None = None  # None: no version was reviewed yet


def tim_tools(service: WorkflowService, perf: PerformanceService, instance_id: int, kind: str) -> TimTools:
    """The tools of a Tim SAKIP step of INSTANCE_ID (KIND from `tools_of`)."""
    rekap = perf.rekap_for_instance(instance_id)
    if rekap is None:
        return TimTools(kind, None)
    with service.db.unit_of_work(readonly=True) as uow:
        s = uow.session
        instance = repository.instance(s, instance_id)
        reviewed = s.scalar(
            select(DocumentVersion.content)
            .where(DocumentVersion.instance_id == instance_id)
            .order_by(DocumentVersion.version.desc())
            .limit(1)
        )
        flags = (
            period_flags(s, repository.row(s, Unit, instance.unit_id), instance.period, instance)
            if kind == EVALUASI
            else {}
        )
    tracker = None
    flagged: list[FlaggedRow] = []
    if kind == EVALUASI:
        tracker = perf.tracker(instance_id)
        people = {o["owner"]: tuple(o["people"]) for o in tracker["owners"]}
        flagged = [
            FlaggedRow(r, flags[r["code"]], people.get(r["owner"], ())) for r in rekap["rows"] if flags.get(r["code"])
        ]
    since_return = None
    if reviewed is not None:
        since_return = tuple(changed_rows(json.loads(reviewed).get("rekap") or {}, rekap))
    return TimTools(kind, rekap, tracker, tuple(flagged), since_return)


def changed_rows(before: dict[str, Any], now: dict[str, Any]) -> list[ChangedRow]:
    """The rows of the Kertas Kerja NOW that differ from BEFORE (a stored version's rekap), with
    their changed fields (`instances.rekap_changes`)."""
    by_code: dict[str, list[tuple[str, Any, Any]]] = {}
    for change in rekap_changes(before, now):
        by_code.setdefault(change["code"], []).append((change["field"], change["old"], change["new"]))
    return [
        ChangedRow(row["code"], row["name"], row["kind"], tuple(by_code[row["code"]]))
        for row in now.get("rows", [])
        if row["code"] in by_code
    ]


@dataclass(frozen=True)
class Finished:
    """Who closed a task, with which action, when, and their note."""

    name: str | None
    username: str | None
    outcome: str
    at: datetime | None
    note: str | None


def finished(service: WorkflowService, task_id: int) -> Finished:
    """How the task TASK_ID was closed (read-only pages show it)."""
    with service.db.unit_of_work(readonly=True) as uow:
        s = uow.session
        task = repository.row(s, Task, task_id)
        person = s.get(Person, task.finished_by_id) if task.finished_by_id is not None else None
        return Finished(
            person.name if person else None, person.username if person else None,
            task.outcome or task.status, task.finished_at, task.note,
        )  # fmt: skip


__all__ = ["EVALUASI", "REKAP", "ChangedRow", "Finished", "FlaggedRow", "TimTools", "finished", "tim_tools", "tools_of"]
