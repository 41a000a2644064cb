"""B7: the documents of a cycle whose every text is at its limit (issue #13, finding 2).

Kutorejo 2024-TW1 on SQLite: every realisasi row carries a note of `NOTE_MAX` characters (the
hambatan), the sekcam returns one row with a row note at the limit, the row is corrected (its
note again at the limit), approved and signed; the action notes are a line each. Then the
Laporan (PDF and DOCX) and the bukti dukung (PDF) are rendered, and beside them the same
documents of the same cycle with short notes, in one run: the ratio long/short shows what the
limit costs. The goal: each renders in well under a second.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from bench.common import ROOT, latency
from workflow.adapters import schema
from workflow.adapters.db import Database
from workflow.adapters.evidence import UploadSettings
from workflow.domain.limits import NOTE_MAX
from workflow.services.demo import DEMO_VALUES
from workflow.services.documents import bukti_dukung, laporan
from workflow.services.engine import WorkflowService
from workflow.services.org import load_org, parse_org_file
from workflow.services.performance import PerformanceService, Submission
from workflow.services.workbook import import_workbook
from workflow.sop.spec import SopRegistry

S4 = "pengukuran-data-kinerja"


def _advance(service: WorkflowService, instance_id: int, state: str) -> None:
    while (status := service.status(instance_id)).state != state:
        for waiting in status.waiting_on:
            actor = service.candidates(waiting.task_id)[0]
            view = next(v for v in service.tasks_for(actor) if v.id == waiting.task_id)
            service.act(waiting.task_id, view.actions[0], actor, "catatan " * 3)


def _cycle(tmp: Path, note_length: int) -> tuple[WorkflowService, int, int]:
    """A signed cycle whose notes are NOTE_LENGTH characters; (service, instance id, rows)."""
    db = Database.from_url(f"sqlite:///{tmp / f'b7-{note_length}.db'}")
    schema.upgrade(db.engine)
    with db.unit_of_work() as uow:
        load_org(uow.session, parse_org_file(ROOT / "examples" / "org-kutorejo.yaml"))
        uow.commit()
    registry = SopRegistry.from_directory(ROOT / "sop_definitions")
    service = WorkflowService(db, registry)
    import_workbook(db, ROOT / "examples" / "kutorejo-2024.xlsx", "kutorejo", 2024, "admin")
    perf = PerformanceService(db, registry, uploads=UploadSettings(tmp / f"up-{note_length}"))
    note = ("Hambatan: jadwal bergeser karena kegiatan kecamatan. " * 60)[:note_length]
    instance_id = service.start(S4, "kutorejo", "2024-TW1", "camat").instance_id
    _advance(service, instance_id, "pengukuran_asn")
    rows = 0
    for waiting in service.status(instance_id).waiting_on:
        user = waiting.assignee or ""
        for code in perf.owed(waiting.task_id):
            raw = DEMO_VALUES[code][0]
            if raw is None:
                perf.submit(Submission(user, code, "2024-TW1", pending=True, note=note))
            elif "/" in raw:
                top, bottom = raw.split("/")
                perf.submit(Submission(user, code, "2024-TW1", numerator=top, denominator=bottom, note=note))
            else:
                perf.submit(Submission(user, code, "2024-TW1", value=raw, note=note))
            rows += 1
        service.act(waiting.task_id, "done", user, "Data terlampir")
    _advance(service, instance_id, "reviu_sekcam")
    review = service.status(instance_id).waiting_on[0].task_id
    service.act(review, "return", "sekcam", "Mohon diperbaiki", {"KL-1": note})
    task = service.status(instance_id).waiting_on[0].task_id
    perf.submit(Submission("kasi.pelayanan", "KL-1", "2024-TW1", numerator="400", denominator="402", note=note))
    service.act(task, "done", "kasi.pelayanan", "Sudah diperbaiki")
    _advance(service, instance_id, "reviu_sekcam")
    service.act(service.status(instance_id).waiting_on[0].task_id, "approve", "sekcam", "Disetujui")
    service.act(service.status(instance_id).waiting_on[0].task_id, "sign", "camat")
    return service, instance_id, rows


def bench(repeat: int = 5) -> dict[str, Any]:
    out: dict[str, Any] = {"note_max": NOTE_MAX, "repeat": repeat}
    with tempfile.TemporaryDirectory(prefix="sakip-b7-") as tmpdir:
        tmp = Path(tmpdir)
        for label, length in (("limit", NOTE_MAX), ("short", 20)):
            service, instance_id, rows = _cycle(tmp, length)
            renders = {
                "laporan_pdf": lambda s=service, i=instance_id: laporan(s, i).pdf(),
                "laporan_docx": lambda s=service, i=instance_id: laporan(s, i).docx(),
                "bukti_pdf": lambda s=service, i=instance_id: bukti_dukung(s, i).pdf(),
            }
            out[label] = {"rows": rows, **{kind: latency(fn, repeat, warmup=1) for kind, fn in renders.items()}}
            service.db.dispose()
    slowest = max(out["limit"][kind]["p95_ms"] for kind in ("laporan_pdf", "laporan_docx", "bukti_pdf"))
    out["slowest_p95_ms"] = slowest
    out["ratios_limit_to_short"] = {
        kind: round(out["limit"][kind]["p50_ms"] / out["short"][kind]["p50_ms"], 2)
        for kind in ("laporan_pdf", "laporan_docx", "bukti_pdf")
    }
    out["met"] = slowest < 1000
    return out


if __name__ == "__main__":
    import json

    print(json.dumps(bench(), indent=2))
