"""The Kertas Kerja Pengukuran of a unit and triwulan, and the document content that is reviewed and signed.

Two halves:
- loading (`load_rekap`, `load_document`) runs the queries inside the caller's session, so an
  action can snapshot or sign exactly the rekap it sees in its own transaction;
- computing (`compute_kertas_kerja`) is a pure function from the loaded rows to the
  `KertasKerja` dataclasses: it needs no database, and its unit tests give it rows by hand.

`build_rekap` (both halves, as today's dict) serves the pages, the API, the CLI and the workbook.

A triwulan is measured for a unit when the unit has a cycle (an instance of any SOP) of that
triwulan, or a realisasi row of it (imported history). A triwulan that is not measured has no
values and no capaian: its Kertas Kerja lists the indicators with their targets and the earlier
quarters' own values, but no value s.d. the triwulan, capaian, predikat, category or efisiensi,
and no averages (`measured: false` in its JSON). Otherwise the Kertas Kerja of 2024-TW3 with no
cycle would pass TW I-II's values off as TW III's.

The content that is reviewed, versioned and signed (`document_content`) carries a format number
(`"format": 2`). Content made before the number existed is format 1: the same JSON without the
key. A document keeps the format it was first snapshotted or signed in, so every signature and
version of one document is compared in the format it was made in: a report signed before the
format number existed still reads as unchanged (`sesuai`) for as long as its data is.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.adapters.models import (
    DocumentVersion,
    Indicator,
    Instance,
    PlanNode,
    Realisasi,
    Signature,
    TargetSet,
    Unit,
)
from workflow.domain.capaian import CapaianPolicy, average, efisiensi
from workflow.domain.indicators import IndicatorRule, Value, category, parse_period, predikat, quantize
from workflow.domain.periods import Period
from workflow.errors import NotFound
from workflow.services.measurement import (
    BELUM,
    TargetRow,
    default_target_set,
    measure_rows,
    owner_label,
    policy_for,
    rule_of,
    set_label,
    target_rows,
    unit_indicators,
    value_of,
)

WAITING = "menunggu"  # a quarter whose value waits for its outside source (SUKMA-e, the LHE, BKPSDM)


# --- the loaded rows -----------------------------------------------------------------------


@dataclass(frozen=True)
class Sasaran:
    """The Sasaran or Kinerja Lainnya an indicator sits under."""

    code: str | None
    name: str | None
    kind: str | None


@dataclass(frozen=True)
class CurrentRow:
    """The realisasi row of the rekap's own triwulan, as stored."""

    status: str
    pending: bool = False
    source_period: str | None = None
    note: str | None = None
    return_note: str | None = None


@dataclass(frozen=True)
class LoadedIndicator:
    """One indicator with everything the Kertas Kerja computes from, loaded (no session needed)."""

    code: str
    name: str
    rule: IndicatorRule
    satuan: str | None = None
    external_source: str | None = None
    penyerapan: bool = False  # this indicator's value is the unit's budget absorption (efisiensi)
    owner: str = ""
    sasaran: Sasaran | None = None
    quarters: Mapping[int, Value] = field(default_factory=dict)  # the values entered, TW I up to the triwulan
    waiting: frozenset[int] = frozenset()  # quarters up to the triwulan with no value, pending at their source
    annual: TargetRow | None = None  # the indicator's row in the base target set
    plan: TargetRow | None = None  # its row in the Rencana Aksi
    current: CurrentRow | None = None


@dataclass(frozen=True)
class LoadedRekap:
    unit: str
    unit_name: str
    period: Period
    instance_id: int | None
    target_set: str | None  # the base set's label
    policy: CapaianPolicy
    indicators: tuple[LoadedIndicator, ...]
    measured: bool = True  # the unit has a cycle or a realisasi row of the triwulan


# --- the Kertas Kerja ----------------------------------------------------------------------


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Period):
        return str(value)
    return value


@dataclass(frozen=True)
class KertasKerjaRow:
    """One indicator's line. The fields (in this order) are the JSON fields of a rekap row."""

    code: str
    name: str
    sasaran_code: str | None
    sasaran: str | None
    sasaran_kind: str | None
    satuan: str | None
    kind: str
    direction: str
    aggregation: str
    external_source: str | None
    owner: str
    target_set: str | None
    target: str | None
    tw1: str | None
    tw2: str | None
    tw3: str | None
    tw4: str | None
    value: str | None
    value_percent: Decimal | None  # a ratio's value in percent
    capaian: Decimal | None
    predikat: str | None
    category: str | None
    status: str
    pending: bool
    source_period: str | None
    note: str | None
    return_note: str | None
    efisiensi: Decimal | None

    def as_json(self) -> dict[str, Any]:
        return {f.name: _json(getattr(self, f.name)) for f in fields(self)}


@dataclass(frozen=True)
class SasaranGroup:
    """A Sasaran (or Kinerja Lainnya) with the average capaian of its measured indicators."""

    code: str | None
    name: str | None
    kind: str | None
    indicators: int
    average_capaian: Decimal | None
    predikat: str | None

    def as_json(self) -> dict[str, Any]:
        return {f.name: _json(getattr(self, f.name)) for f in fields(self)}


@dataclass(frozen=True)
class KertasKerja:
    """The Kertas Kerja Pengukuran of a unit and triwulan."""

    unit: str
    unit_name: str
    period: Period
    instance_id: int | None
    target_set: str | None
    policy: str
    penyerapan_anggaran: Decimal | None
    rows: tuple[KertasKerjaRow, ...]
    sasaran: tuple[SasaranGroup, ...]
    average_capaian: Decimal | None
    measured: bool = True  # False: no cycle and no realisasi of the triwulan, so no values and no capaian

    def as_json(self) -> dict[str, Any]:
        """The rekap as the API, the CLI (`sakip rekap --json`) and the pages have always had it."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = [item.as_json() for item in value] if isinstance(value, tuple) else _json(value)
        return out


def compute_kertas_kerja(loaded: LoadedRekap) -> KertasKerja:
    """Per indicator: target set and target, TW I-IV, value s.d. the triwulan, capaian, predikat,
    category, efisiensi; per Sasaran and overall the average capaian. No database."""
    quarter = loaded.period.quarter
    if quarter is None:
        raise ValueError(f"a Kertas Kerja is per triwulan, not for the year {loaded.period}")
    rows: list[KertasKerjaRow] = []
    penyerapan: Decimal | None = None
    for item in loaded.indicators:
        quarters = {q: v for q, v in item.quarters.items() if q <= quarter}
        measured = measure_rows(item.rule, quarters, quarter, loaded.policy, item.annual, item.plan)
        if not loaded.measured:  # the target stands; a value s.d. the triwulan and its capaian do not exist
            measured = replace(measured, value=None, capaian=None)
        entered: list[str | None] = []
        for q in (1, 2, 3, 4):
            if q in quarters:
                entered.append(quarters[q].display())
            else:
                entered.append(WAITING if q <= quarter and q in item.waiting else None)
        value_percent = None
        if measured.value is not None and measured.value.grade is None:
            value_percent = quantize(measured.value.percent())
            if item.penyerapan:
                penyerapan = value_percent
        top, row = item.sasaran, item.current
        rows.append(
            KertasKerjaRow(
                code=item.code,
                name=item.name,
                sasaran_code=top.code if top else None,
                sasaran=top.name if top else None,
                sasaran_kind=top.kind if top else None,
                satuan=item.satuan,
                kind=item.rule.kind,
                direction=item.rule.direction,
                aggregation=item.rule.aggregation,
                external_source=item.external_source,
                owner=item.owner,
                target_set=measured.used.set_label if measured.used else None,
                target=measured.target,
                tw1=entered[0],
                tw2=entered[1],
                tw3=entered[2],
                tw4=entered[3],
                value=measured.value.display() if measured.value is not None else None,
                value_percent=value_percent if item.rule.kind == "ratio" else None,
                capaian=measured.capaian,
                predikat=predikat(measured.capaian) if measured.capaian is not None else None,
                category=category(item.rule, measured.value) if measured.value is not None else None,
                status=row.status if row is not None else BELUM,
                pending=bool(row is not None and row.pending),
                source_period=row.source_period if row is not None else None,
                note=row.note if row is not None else None,
                return_note=row.return_note if row is not None else None,
                efisiensi=None,
            )
        )
    if penyerapan is not None:
        absorbed = penyerapan
        rows = [r if r.capaian is None else replace(r, efisiensi=efisiensi(r.capaian, absorbed)) for r in rows]
    groups: dict[str, tuple[KertasKerjaRow, list[KertasKerjaRow]]] = {}
    for r in rows:
        groups.setdefault(r.sasaran_code or "-", (r, []))[1].append(r)
    sasaran = []
    for first, members in groups.values():
        measured_values = [r.capaian for r in members if r.capaian is not None]
        avg = average(measured_values) if measured_values else None
        sasaran.append(
            SasaranGroup(
                first.sasaran_code,
                first.sasaran,
                first.sasaran_kind,
                len(members),
                avg,
                predikat(avg) if avg is not None else None,
            )  # fmt: skip
        )
    all_capaian = [r.capaian for r in rows if r.capaian is not None]
    return KertasKerja(
        unit=loaded.unit,
        unit_name=loaded.unit_name,
        period=loaded.period,
        instance_id=loaded.instance_id,
        target_set=loaded.target_set,
        policy=loaded.policy.name,
        penyerapan_anggaran=penyerapan,
        rows=tuple(rows),
        sasaran=tuple(sasaran),
        average_capaian=average(all_capaian) if all_capaian else None,
        measured=loaded.measured,
    )


# --- loading -------------------------------------------------------------------------------


def load_rekap(s: Session, unit: Unit, period: str, instance: Instance | None = None) -> LoadedRekap:
    """Everything UNIT's Kertas Kerja for PERIOD (a triwulan) is computed from; IndicatorError for
    another period, NotFound when the unit has no indicators that year.

    INSTANCE (default: the unit's cycle of the period that has a target set, else the first) gives
    the base target set, and, once finished, the Rencana Aksi as it was at its end.
    """
    year, quarter = parse_period(period)
    indicators = unit_indicators(s, unit.id, year)
    if not indicators:
        raise NotFound(
            f"no indicators for {unit.code} in {year}; import them first",
            code="rekap.no_indicators",
            unit=unit.code,
            year=year,
        )
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
    nodes = {n.id: n for n in s.scalars(select(PlanNode).where(PlanNode.unit_id == unit.id, PlanNode.year == year))}
    current = {
        r.indicator_id: r
        for r in s.scalars(select(Realisasi).where(Realisasi.unit_id == unit.id, Realisasi.period == period))
    }
    measured = instance is not None or bool(current)
    to_date = [str(p) for p in Period(year, quarter).to_date()]
    loaded = []
    for indicator in indicators:
        loaded.append(_load_indicator(s, indicator, base, as_of, nodes, to_date, current.get(indicator.id)))
    return LoadedRekap(
        unit.code, unit.name, Period(year, quarter), instance.id if instance is not None else None,
        set_label(base), policy_for(s, unit), tuple(loaded), measured,
    )  # fmt: skip


def measured_quarters(s: Session, unit: Unit, year: int) -> list[int]:
    """The triwulan (1-4) of YEAR measured for UNIT: it has a cycle (any SOP) or a realisasi row of it."""
    periods = [f"{year}-TW{q}" for q in (1, 2, 3, 4)]
    found = set(
        s.scalars(select(Instance.period).where(Instance.unit_id == unit.id, Instance.period.in_(periods)))
    ) | set(s.scalars(select(Realisasi.period).where(Realisasi.unit_id == unit.id, Realisasi.period.in_(periods))))
    return [q for q, p in enumerate(periods, start=1) if p in found]


def _load_indicator(
    s: Session,
    indicator: Indicator,
    base: TargetSet | None,
    as_of: datetime | None,
    nodes: dict[int, PlanNode],
    to_date: list[str],
    row: Realisasi | None,
) -> LoadedIndicator:
    quarters: dict[int, Value] = {}
    waiting: set[int] = set()
    for entered in s.scalars(
        select(Realisasi).where(Realisasi.indicator_id == indicator.id, Realisasi.period.in_(to_date))
    ):
        quarter = Period.triwulan(entered.period).triwulan_no
        value = value_of(entered)
        if value is not None:
            quarters[quarter] = value
        elif entered.pending:
            waiting.add(quarter)
    annual, plan = target_rows(s, indicator, base, as_of)
    top = _top(nodes, indicator.node_id)
    return LoadedIndicator(
        code=indicator.code,
        name=indicator.name,
        rule=rule_of(indicator),
        satuan=indicator.satuan,
        external_source=indicator.external_source,
        penyerapan=bool(indicator.penyerapan),
        owner=owner_label(s, indicator),
        sasaran=Sasaran(top.code, top.name, top.kind) if top is not None else None,
        quarters=quarters,
        waiting=frozenset(waiting),
        annual=TargetRow.of(*annual) if annual is not None else None,
        plan=TargetRow.of(*plan) if plan is not None else None,
        current=(
            CurrentRow(row.status, bool(row.pending), row.source_period, row.note, row.return_note)
            if row is not None
            else None
        ),
    )


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


def kertas_kerja(s: Session, unit: Unit, period: str, instance: Instance | None = None) -> KertasKerja:
    """UNIT's Kertas Kerja for PERIOD: loaded in S, then computed."""
    return compute_kertas_kerja(load_rekap(s, unit, period, instance))


def build_rekap(s: Session, unit: Unit, period: str, instance: Instance | None = None) -> dict[str, Any]:
    """Per indicator: target set and target, TW I-IV, value s.d. the triwulan, capaian, predikat, category
    (the Kertas Kerja as JSON)."""
    return kertas_kerja(s, unit, period, instance).as_json()


# --- the document content that is reviewed and signed ------------------------------------

WORKFLOW_FIELDS = frozenset({"status", "return_note"})
#: Kertas Kerja keys the document does not embed: `measured` came after reports were signed, and a
#: cycle's own triwulan is always measured, so it would only change the bytes of what was signed.
NOT_IN_DOCUMENT = frozenset({"measured"})
#: The format new content is written in: 2 carries `"format": 2`; 1 (before the number) is the same without it.
CONTENT_FORMAT = 2
CONTENT_FORMATS = (1, 2)


@dataclass(frozen=True)
class DocumentContent:
    """What an instance's report holds: the cycle's identity, and the Kertas Kerja of a triwulan cycle
    of a unit with indicators."""

    sop: str
    sop_version: int
    nama: str
    unit: str
    unit_name: str
    period: str
    instance_id: int
    rekap: KertasKerja | None

    def as_json(self, format: int = CONTENT_FORMAT) -> dict[str, Any]:
        """The content in FORMAT (1: as before the format number; 2: the same with `"format": 2`)."""
        if format not in CONTENT_FORMATS:
            raise ValueError(f"unknown document content format {format}")
        data: dict[str, Any] = {
            "sop": self.sop,
            "sop_version": self.sop_version,
            "nama": self.nama,
            "unit": self.unit,
            "unit_name": self.unit_name,
            "period": self.period,
            "instance_id": self.instance_id,
            "rekap": None,
        }
        if self.rekap is not None:
            rekap = {k: v for k, v in self.rekap.as_json().items() if k not in NOT_IN_DOCUMENT}
            # The report's data only: a row's review status and return note are the workflow's, and
            # they move on after a paraf (rows are accepted at the end), which must not alter what was signed.
            rekap["rows"] = [{k: v for k, v in row.items() if k not in WORKFLOW_FIELDS} for row in rekap["rows"]]
            data["rekap"] = rekap
        if format >= 2:
            data["format"] = format
        return data

    def text(self, format: int = CONTENT_FORMAT) -> str:
        """The canonical text: keys sorted, no whitespace, so equal content has an equal SHA-256."""
        return json.dumps(self.as_json(format), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def load_document(s: Session, instance: Instance, sop_nama: str) -> DocumentContent:
    """The instance's report as it stands (the Kertas Kerja only for a triwulan of a unit with indicators)."""
    unit = s.get(Unit, instance.unit_id)
    if unit is None:
        raise NotFound(f"unknown unit {instance.unit_id}", code="unit.unknown_id", unit=instance.unit_id)
    try:
        rekap: KertasKerja | None = kertas_kerja(s, unit, instance.period, instance)
    except (ValueError, NotFound):
        rekap = None
    return DocumentContent(
        instance.sop_key, instance.sop_version, sop_nama, unit.code, unit.name, instance.period, instance.id, rekap
    )


def content_format(content: str) -> int:
    """The format number of stored content: 1 when it has none (content made before the number existed)."""
    found = json.loads(content).get("format", 1)
    return found if isinstance(found, int) and not isinstance(found, bool) else 1


def instance_format(s: Session, instance: Instance) -> int:
    """The format of the instance's document: that of its first snapshot or signature, else CONTENT_FORMAT.

    One document keeps one format, so every version and signature of it compares like with like."""
    for model in (DocumentVersion, Signature):
        first = s.scalar(select(model.content).where(model.instance_id == instance.id).order_by(model.id).limit(1))
        if first is not None:
            return content_format(first)
    return CONTENT_FORMAT


def document_content(s: Session, instance: Instance, sop_nama: str, format: int | None = None) -> str:
    """The canonical text of the instance's report as it stands: what is reviewed, versioned and signed.

    For a triwulan cycle of a unit with indicators it holds the Kertas Kerja; otherwise the
    cycle's identity only. FORMAT defaults to the document's own (`instance_format`): a report
    first snapshotted or signed before the format number existed goes on in format 1, so its
    signatures still match while its data is unchanged; a new one is written in CONTENT_FORMAT.
    """
    chosen = format if format is not None else instance_format(s, instance)
    return load_document(s, instance, sop_nama).text(chosen)


def signature_holds(s: Session, instance: Instance, sop_nama: str, content: str, sha256: str) -> bool:
    """Whether stored CONTENT with its SHA256 (a signature's, a version's) is still what the instance's
    report holds now: the text matches its hash, and the report read now in that content's format is it."""
    if sha256_text(content) != sha256:
        return False
    return sha256_text(load_document(s, instance, sop_nama).text(content_format(content))) == sha256


def sha256_text(content: str) -> str:
    return hashlib.sha256(content.encode("utf-8")).hexdigest()
