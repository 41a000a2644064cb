"""What the pages and the API read of instances, their tasks, units and evidence, and the Tim
SAKIP's reminder from the tracker.

The web calls these instead of querying the tables itself. Rows come back detached (loaded in a
read-only unit of work that has ended): the pages read their columns, never their relations.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import func, select

from workflow.adapters import repository
from workflow.adapters.evidence import UploadSettings, stored_path
from workflow.adapters.models import (
    AuditEvent,
    DocumentVersion,
    Evidence,
    Instance,
    Notification,
    Person,
    Realisasi,
    Signature,
    Task,
    Unit,
    unit_chain,
)
from workflow.adapters.repository import holdings
from workflow.domain.localtime import local_date
from workflow.errors import NotFound
from workflow.services.engine import TaskView, WorkflowService
from workflow.services.performance import PerformanceService
from workflow.services.rekap import document_content, sha256_text

# --- units ------------------------------------------------------------------------------


def unit_id_of(service: WorkflowService, code: str) -> int | None:
    """The id of the unit CODE, or None when there is none."""
    with service.db.unit_of_work(readonly=True) as uow:
        unit_id = uow.session.scalar(select(Unit.id).where(Unit.code == code))
        return None if unit_id is None else int(unit_id)


def unit_by_id(service: WorkflowService, unit_id: int) -> Unit:
    """The unit UNIT_ID (NotFound when there is none)."""
    with service.db.unit_of_work(readonly=True) as uow:
        return repository.unit_by_id(uow.session, unit_id)


def unit_code_of(service: WorkflowService, unit_id: int) -> str | None:
    """The code of the unit UNIT_ID, or None when there is none."""
    with service.db.unit_of_work(readonly=True) as uow:
        return uow.session.scalar(select(Unit.code).where(Unit.id == unit_id))


# --- instances and tasks ----------------------------------------------------------------


def instance_by_id(service: WorkflowService, instance_id: int) -> Instance | None:
    """The instance INSTANCE_ID, or None when there is none."""
    with service.db.unit_of_work(readonly=True) as uow:
        return uow.session.get(Instance, instance_id)


def task_and_instance(service: WorkflowService, task_id: int) -> tuple[Task, Instance] | None:
    """The task TASK_ID and its instance, or None when there is no such task."""
    with service.db.unit_of_work(readonly=True) as uow:
        task = uow.session.get(Task, task_id)
        if task is None:
            return None
        return task, repository.instance(uow.session, task.instance_id)


def task_page_view(service: WorkflowService, task: Task, instance: Instance) -> tuple[TaskView, Unit]:
    """The view of TASK for its page, and the unit of INSTANCE."""
    with service.db.unit_of_work(readonly=True) as uow:
        unit = repository.unit_by_id(uow.session, instance.unit_id)
        return service.task_view(task, instance, unit.code, None), unit


def task_and_instance_json(
    service: WorkflowService, task_id: int, instance_id: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The task and the instance as the API answers them after an action."""
    with service.db.unit_of_work(readonly=True) as uow:
        task = uow.session.get(Task, task_id)
        instance = uow.session.get(Instance, instance_id)
        if task is None or instance is None:
            raise NotFound(f"unknown task {task_id}", code="task.unknown", task=task_id)
        task_json = {"id": task.id, "status": task.status, "outcome": task.outcome, "step_id": task.step_id}
        instance_json = {"id": instance.id, "state": instance.state, "sop_key": instance.sop_key,
                         "period": instance.period}  # fmt: skip
        return task_json, instance_json


def recent_instances(service: WorkflowService, unit_ids: list[int], limit: int = 10) -> list[dict[str, Any]]:
    """The LIMIT most recently started instances of UNIT_IDS, newest first."""
    with service.db.unit_of_work(readonly=True) as uow:
        rows = uow.session.execute(
            select(Instance, Unit.code)
            .join(Unit, Unit.id == Instance.unit_id)
            .where(Instance.unit_id.in_(unit_ids))
            .order_by(Instance.started_at.desc())
            .limit(limit)
        ).all()
        return [
            {"id": i.id, "sop_key": i.sop_key, "unit": code, "period": i.period, "state": i.state} for i, code in rows
        ]


@dataclass(frozen=True)
class Reader:
    """What decides whether a user may read an instance: their holdings (unit id -> roles), the
    instance's unit chain (its unit first, then the units above it), and whether they are admin."""

    is_admin: bool
    held: dict[int, set[str]]
    chain: list[int]


def instance_reader(service: WorkflowService, username: str, instance_id: int) -> Reader:
    """The reader USERNAME of INSTANCE_ID (NotFound for an unknown instance or user)."""
    with service.db.unit_of_work(readonly=True) as uow:
        s = uow.session
        instance = s.get(Instance, instance_id)
        if instance is None:
            raise NotFound(f"unknown instance {instance_id}", code="instance.unknown", instance=instance_id)
        person = repository.person(s, username)
        held: dict[int, set[str]] = {}
        for h in holdings(s, person.id, service.clock()):
            held.setdefault(h.unit_id, set()).add(h.role)
        unit = s.get(Unit, instance.unit_id)
        chain = [u.id for u in unit_chain(s, unit)] if unit is not None else []
        return Reader(person.is_admin, held, chain)


def done_steps(service: WorkflowService, instance_id: int) -> set[str]:
    """The steps of INSTANCE_ID with a finished task."""
    with service.db.unit_of_work(readonly=True) as uow:
        return set(
            uow.session.scalars(
                select(Task.step_id).where(Task.instance_id == instance_id, Task.status == "done")
            ).all()
        )


@dataclass(frozen=True)
class InstanceDetail:
    """What the instance page shows besides its status and history."""

    done_steps: set[str]
    signatures: list[Signature]
    versions: list[DocumentVersion]
    current_hash: str
    unit: Unit


def instance_detail(service: WorkflowService, instance_id: int, sop_nama: str) -> InstanceDetail:
    """The finished steps, signatures and document versions of INSTANCE_ID, the hash of its
    document as it stands now, and its unit."""
    with service.db.unit_of_work(readonly=True) as uow:
        s = uow.session
        steps = set(s.scalars(select(Task.step_id).where(Task.instance_id == instance_id, Task.status == "done")).all())
        signatures = list(s.scalars(select(Signature).where(Signature.instance_id == instance_id)))
        versions = list(
            s.scalars(
                select(DocumentVersion)
                .where(DocumentVersion.instance_id == instance_id)
                .order_by(DocumentVersion.version)
            )
        )
        fresh = repository.instance(s, instance_id)
        current_hash = sha256_text(document_content(s, fresh, sop_nama))
        unit = repository.unit_by_id(s, fresh.unit_id)
        return InstanceDetail(steps, signatures, versions, current_hash, unit)


def current_document(service: WorkflowService, instance_id: int, sop_nama: str) -> str:
    """The canonical text of INSTANCE_ID's report as it stands (what is signed)."""
    with service.db.unit_of_work(readonly=True) as uow:
        s = uow.session
        return document_content(s, repository.instance(s, instance_id), sop_nama)


#: The Kertas Kerja fields two versions of a draft are compared on.
COMPARED = ("value", "capaian", "target", "note")


def rekap_changes(before: dict[str, Any], now: dict[str, Any]) -> list[dict[str, Any]]:
    """What changed from the Kertas Kerja BEFORE to NOW (each a rekap as stored in a document
    version): per row and COMPARED field, {code, field, old, new}; a row new in NOW as field `baris`."""
    old = {r["code"]: r for r in before.get("rows", [])}
    changes: list[dict[str, Any]] = []
    for row in now.get("rows", []):
        prev = old.get(row["code"])
        if prev is None:
            changes.append({"code": row["code"], "field": "baris", "old": None, "new": row["name"]})
            continue
        for field in COMPARED:
            if prev.get(field) != row.get(field):
                changes.append({"code": row["code"], "field": field, "old": prev.get(field), "new": row.get(field)})
    return changes


def review_changes(service: WorkflowService, instance_id: int) -> dict[str, Any]:
    """The last two document versions submitted for INSTANCE_ID (newest first), and what changed
    in the Kertas Kerja rows between them."""
    with service.db.unit_of_work(readonly=True) as uow:
        versions = list(
            uow.session.scalars(
                select(DocumentVersion)
                .where(DocumentVersion.instance_id == instance_id)
                .order_by(DocumentVersion.version.desc())
                .limit(2)
            )
        )
    changes: list[dict[str, Any]] = []
    if len(versions) == 2:
        new, old = (json.loads(v.content).get("rekap") or {} for v in versions)
        changes = rekap_changes(old, new)
    return {
        "versions": [{"version": v.version, "sha256": v.sha256, "created_at": v.created_at} for v in versions],
        "changes": changes,
    }


# --- evidence ---------------------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceFile:
    """An uploaded bukti dukung: the unit it belongs to, where it is stored, its name and type."""

    unit_id: int
    path: Path
    filename: str
    content_type: str


def evidence_file(service: WorkflowService, uploads: UploadSettings, evidence_id: int) -> EvidenceFile | None:
    """The evidence EVIDENCE_ID, or None when there is none (its file may be missing: check `path`)."""
    with service.db.unit_of_work(readonly=True) as uow:
        item = uow.session.get(Evidence, evidence_id)
        if item is None:
            return None
        row = uow.session.get(Realisasi, item.realisasi_id)
        if row is None:
            raise NotFound(
                f"unknown realisasi {item.realisasi_id}", code="realisasi.unknown", realisasi=item.realisasi_id
            )
        return EvidenceFile(row.unit_id, stored_path(uploads, item.sha256), item.filename, item.content_type)


# --- the tracker's reminder -------------------------------------------------------------


def remind(
    service: WorkflowService, perf: PerformanceService, instance: Instance, username: str, actor_id: int, actor: str
) -> Literal["sent", "already_sent", "unknown"]:
    """The Tim SAKIP reminds USERNAME of what they still owe in INSTANCE, once a day.

    One transaction: the notification and its audit event. "unknown" (nothing written) when
    USERNAME holds no role in the instance's unit; "already_sent" (nothing written) when they
    were reminded of it today, the unit's day.
    """
    now = service.clock()
    with service.db.unit_of_work() as uow:
        s = uow.session
        person = s.scalar(select(Person).where(Person.username == username))
        unit = repository.unit_by_id(s, instance.unit_id)
        if person is None or not any(h.unit_id == instance.unit_id for h in holdings(s, person.id, now)):
            return "unknown"
        day = local_date(now, unit.timezone).isoformat()
        key = f"manual:{instance.id}:{person.id}:{day}"
        if s.scalar(select(func.count(Notification.id)).where(Notification.dedupe_key == key)):
            return "already_sent"
        owed = [i["code"] for o in perf.tracker(instance.id)["owners"] if username in o["people"]
                for i in o["indicators"] if i["status"] in ("belum", "dikembalikan")]  # fmt: skip
        s.add(
            Notification(
                person_id=person.id, created_at=now, kind="pengingat", dedupe_key=key,
                subject=f"Pengingat dari Tim SAKIP: data kinerja {instance.period}",
                body="Mohon lengkapi realisasi: " + (", ".join(owed) if owed else "periksa tugas Anda"),
            )
        )  # fmt: skip
        # Definitive holdings come first: a Plt. Tim SAKIP's reminder is recorded as acting for it.
        held = next((h for h in holdings(s, actor_id, now)
                     if h.unit_id == instance.unit_id and h.role == "tim_sakip"), None)  # fmt: skip
        s.add(
            AuditEvent(
                instance_id=instance.id, task_id=None, at=now, actor_id=actor_id,
                actor=actor, role=held.position if held else "admin",
                acting_for=held.position if held and held.acting else None, action="remind", step_id=None,
                note=f"pengingat kepada {username}", from_state=instance.state, to_state=instance.state,
            )
        )  # fmt: skip
        uow.commit()
    return "sent"
