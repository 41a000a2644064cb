"""The Kertas Kerja Pengukuran of a unit and triwulan, and the document content that is reviewed and signed.

`build_rekap` runs inside the caller's session, so an action can snapshot or sign exactly the
rekap it sees in its own transaction.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.adapters.models import Instance, PlanNode, Realisasi, TargetSet, Unit
from workflow.domain.capaian import average, efisiensi
from workflow.domain.indicators import Value, category, parse_period, predikat, quantize
from workflow.errors import NotFound
from workflow.services.measurement import (
    BELUM,
    default_target_set,
    measure_upto,
    owner_label,
    policy_for,
    quarters_of,
    rule_of,
    set_label,
    unit_indicators,
)


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _value_json(value: Value | None) -> str | None:
    return None if value is None else value.display()


def build_rekap(s: Session, unit: Unit, period: str, instance: Instance | None = None) -> dict[str, Any]:
    """Per indicator: target set and target, TW I-IV, value s.d. the triwulan, capaian, predikat, category."""
    year, quarter = parse_period(period)
    indicators = unit_indicators(s, unit.id, year)
    if not indicators:
        raise NotFound(f"no indicators for {unit.code} in {year}; import them first")
    if instance is None:
        instance = s.scalar(
            select(Instance)
            .where(Instance.unit_id == unit.id, Instance.period == period)
            .order_by(Instance.target_set_id.is_(None), Instance.id)
            .limit(1)
        )
    as_of = instance.finished_at if instance is not None else None
    base = (
        s.get(TargetSet, instance.target_set_id)
        if instance is not None and instance.target_set_id is not None
        else None
    )
    if base is None:
        base = default_target_set(s, unit.id, year)
    policy = policy_for(s, unit)
    nodes = {n.id: n for n in s.scalars(select(PlanNode).where(PlanNode.unit_id == unit.id, PlanNode.year == year))}
    current = {
        r.indicator_id: r
        for r in s.scalars(select(Realisasi).where(Realisasi.unit_id == unit.id, Realisasi.period == period))
    }
    out_rows: list[dict[str, Any]] = []
    penyerapan: Decimal | None = None
    for indicator in indicators:
        quarters = quarters_of(s, indicator, year, quarter)
        measured = measure_upto(s, indicator, base, quarters, quarter, policy, as_of)
        rule = rule_of(indicator)
        top = _top(nodes, indicator.node_id)
        row = current.get(indicator.id)
        entered = {f"tw{q}": (_value_json(quarters.get(q)) if q in quarters else None) for q in (1, 2, 3, 4)}
        for q in range(1, quarter + 1):
            if entered[f"tw{q}"] is None:
                pending = s.scalar(
                    select(Realisasi.pending).where(
                        Realisasi.indicator_id == indicator.id, Realisasi.period == f"{year}-TW{q}"
                    )
                )
                if pending:
                    entered[f"tw{q}"] = "menunggu"
        value_percent = None
        if measured.value is not None and measured.value.grade is None:
            value_percent = quantize(measured.value.percent())
            if indicator.penyerapan:
                penyerapan = value_percent
        out_rows.append(
            {
                "code": indicator.code,
                "name": indicator.name,
                "sasaran_code": top.code if top else None,
                "sasaran": top.name if top else None,
                "sasaran_kind": top.kind if top else None,
                "satuan": indicator.satuan,
                "kind": indicator.kind,
                "direction": indicator.direction,
                "aggregation": indicator.aggregation,
                "external_source": indicator.external_source,
                "owner": owner_label(s, indicator),
                "target_set": set_label(measured.target_set),
                "target": measured.target,
                **entered,
                "value": _value_json(measured.value),
                "value_percent": _dec(value_percent) if indicator.kind == "ratio" else None,
                "capaian": _dec(measured.capaian),
                "predikat": predikat(measured.capaian) if measured.capaian is not None else None,
                "category": category(rule, measured.value) if measured.value is not None else None,
                "status": row.status if row is not None else BELUM,
                "pending": bool(row is not None and row.pending),
                "source_period": row.source_period if row is not None else None,
                "note": row.note if row is not None else None,
                "return_note": row.return_note if row is not None else None,
                "efisiensi": None,
            }
        )
    if penyerapan is not None:
        for item in out_rows:
            if item["capaian"] is not None:
                item["efisiensi"] = str(efisiensi(Decimal(item["capaian"]), penyerapan))
    sasaran: dict[str, dict[str, Any]] = {}
    for item in out_rows:
        key = item["sasaran_code"] or "-"
        group = sasaran.setdefault(
            key, {"code": item["sasaran_code"], "name": item["sasaran"], "kind": item["sasaran_kind"],
                  "indicators": 0, "measured": []}
        )  # fmt: skip
        group["indicators"] += 1
        if item["capaian"] is not None:
            group["measured"].append(Decimal(item["capaian"]))
    groups = []
    for group in sasaran.values():
        measured_values = group.pop("measured")
        avg = average(measured_values) if measured_values else None
        group["average_capaian"] = _dec(avg)
        group["predikat"] = predikat(avg) if avg is not None else None
        groups.append(group)
    all_capaian = [Decimal(r["capaian"]) for r in out_rows if r["capaian"] is not None]
    return {
        "unit": unit.code,
        "unit_name": unit.name,
        "period": period,
        "instance_id": instance.id if instance is not None else None,
        "target_set": set_label(base),
        "policy": policy.name,
        "penyerapan_anggaran": _dec(penyerapan),
        "rows": out_rows,
        "sasaran": groups,
        "average_capaian": _dec(average(all_capaian)) if all_capaian else None,
    }


def _top(nodes: dict[int, PlanNode], node_id: int) -> PlanNode | None:
    """The Sasaran or Kinerja Lainnya above a node (the node itself when it is one)."""
    current = nodes.get(node_id)
    seen = 0
    while current is not None and seen < 20:
        if current.kind in ("sasaran", "kinerja_lainnya"):
            return current
        current = nodes.get(current.parent_id) if current.parent_id else None
        seen += 1
    return nodes.get(node_id)


WORKFLOW_FIELDS = frozenset({"status", "return_note"})


def document_content(s: Session, instance: Instance, sop_nama: str) -> str:
    """The canonical text of the instance's report as it stands: what is reviewed, versioned and signed.

    For a triwulan cycle of a unit with indicators it holds the Kertas Kerja; otherwise the
    cycle's identity only. Keys are sorted and there is no whitespace, so equal content has an
    equal SHA-256.
    """
    unit = s.get(Unit, instance.unit_id)
    assert unit is not None
    data: dict[str, Any] = {
        "sop": instance.sop_key,
        "sop_version": instance.sop_version,
        "nama": sop_nama,
        "unit": unit.code,
        "unit_name": unit.name,
        "period": instance.period,
        "instance_id": instance.id,
        "rekap": None,
    }
    try:
        parse_period(instance.period)
        rekap = build_rekap(s, unit, instance.period, instance)
    except (ValueError, NotFound):
        rekap = None
    if rekap is not None:
        # The report's data only: a row's review status and return note are the workflow's, and
        # they move on after a paraf (rows are accepted at the end), which must not alter what was signed.
        rekap["rows"] = [{k: v for k, v in row.items() if k not in WORKFLOW_FIELDS} for row in rekap["rows"]]
        data["rekap"] = rekap
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_text(content: str) -> str:
    return hashlib.sha256(content.encode("utf-8")).hexdigest()
