"""Read models for monitoring: the Kabupaten overview and the capaian dashboard."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import select

from workflow.adapters import repository
from workflow.adapters.models import Cycle, Instance, Task, Unit
from workflow.domain.rules import OPEN
from workflow.domain.scales import load_scale
from workflow.errors import WorkflowError
from workflow.services.engine import WorkflowService
from workflow.services.performance import PerformanceService
from workflow.services.rekap import WAITING
from workflow.sop.spec import FINISHED_STATE


def _lateness(deadline: datetime, finished: datetime | None, now: datetime) -> dict[str, Any]:
    end = finished or now
    late = end > deadline
    seconds = int((end - deadline).total_seconds()) if late else 0
    return {"late": late, "late_days": seconds // 86400, "late_hours": (seconds % 86400) // 3600}


def overview_data(service: WorkflowService, kabupaten_code: str) -> dict[str, Any]:
    """Every Kecamatan under KABUPATEN_CODE in the current cycles: state, progress and lateness."""
    now = service.clock()
    with service.db.unit_of_work(readonly=True) as uow:
        s = uow.session
        kabupaten = repository.unit(s, kabupaten_code)
        units = list(s.scalars(select(Unit).where(Unit.parent_id == kabupaten.id).order_by(Unit.name)))
        cycles = list(
            s.scalars(
                select(Cycle)
                .where(Cycle.kabupaten_id == kabupaten.id, Cycle.opens_at <= now)
                .order_by(Cycle.deadline_at.desc())
                .limit(6)
            )
        )
        # Every cell's instance and its finished steps in two queries, not two per cell.
        instances: dict[tuple[int, str, str], Instance] = {}
        done_steps: dict[int, set[str]] = defaultdict(set)
        if units and cycles:
            found = s.scalars(
                select(Instance).where(
                    Instance.unit_id.in_([u.id for u in units]),
                    Instance.sop_key.in_({c.sop_key for c in cycles}),
                    Instance.period.in_({c.period for c in cycles}),
                )
            )
            instances = {(i.unit_id, i.sop_key, i.period): i for i in found}
            # A finished instance is at 100 %: only the running ones need their finished steps.
            running = [i.id for i in instances.values() if i.finished_at is None]
            if running:
                finished = s.execute(
                    select(Task.instance_id, Task.step_id)
                    .where(Task.instance_id.in_(running), Task.status != OPEN)
                    .distinct()
                )
                for instance_id, step_id in finished:
                    done_steps[instance_id].add(step_id)
        rows: list[dict[str, Any]] = []
        for unit in units:
            cells = []
            for cycle in cycles:
                instance = instances.get((unit.id, cycle.sop_key, cycle.period))
                cell: dict[str, Any] = {"cycle_id": cycle.id, "instance_id": None, "state": "belum dimulai"}
                if instance is not None:
                    spec = service.registry.get(instance.sop_key, instance.sop_version)
                    done = len(done_steps[instance.id])
                    cell.update(
                        instance_id=instance.id,
                        state=instance.state,
                        step=None if instance.state == FINISHED_STATE else spec.step(instance.state).nama,
                        progress=100 if instance.finished_at else int(100 * done / len(spec.steps)),
                        finished=instance.finished_at is not None,
                    )
                cell.update(_lateness(cycle.deadline_at, instance.finished_at if instance else None, now))
                cells.append(cell)
            rows.append({"unit": unit.code, "name": unit.name, "cells": cells})
        return {
            "kabupaten": kabupaten.code,
            "name": kabupaten.name,
            "cycles": [
                {"id": c.id, "sop_key": c.sop_key, "period": c.period, "deadline_at": c.deadline_at} for c in cycles
            ],
            "rows": rows,
            "late": sum(1 for r in rows for c in r["cells"] if c["late"] and not c.get("finished")),
        }


def dashboard_data(perf: PerformanceService, unit_code: str, year: int) -> dict[str, Any]:
    """Per indicator: target, realisasi and capaian for each measured triwulan of YEAR.

    A triwulan with no cycle and no realisasi of its own is not measured: it is listed in
    `quarters` with `measured: false` and has no entry in any indicator's `quarters`; nor has a
    measured triwulan for an indicator with no value entered in it yet (a cycle just opened). `bands`
    are the predikat bands of the `capaian` scale, lowest first, that colour the bars."""
    measured = set(perf.measured_quarters(unit_code, year))
    series: dict[str, dict[str, Any]] = {}
    for quarter in sorted(measured):
        try:
            rekap = perf.rekap(unit_code, f"{year}-TW{quarter}")
        except WorkflowError:
            measured.discard(quarter)
            continue
        for row in rekap["rows"]:
            item = series.setdefault(
                row["code"], {"code": row["code"], "name": row["name"], "satuan": row["satuan"], "quarters": {}}
            )
            if row["value"] is not None and row[f"tw{quarter}"] not in (None, WAITING):  # a value of its own
                item["quarters"][quarter] = {
                    "target": row["target"],
                    "value": row["value_percent"] or row["value"],
                    "capaian": row["capaian"],
                    "predikat": row["predikat"],
                }
    scale = load_scale("capaian")
    return {
        "unit": unit_code,
        "year": year,
        "quarters": [{"quarter": q, "measured": q in measured} for q in (1, 2, 3, 4)],
        "bands": [
            {
                "grade": b.grade,
                "label": b.label,
                "min": b.min,
                "min_inclusive": b.min_inclusive,
                "max": b.max,
                "max_inclusive": b.max_inclusive,
            }
            for b in scale.bands
        ],  # fmt: skip
        "indicators": list(series.values()),
    }


__all__ = ["dashboard_data", "overview_data"]
