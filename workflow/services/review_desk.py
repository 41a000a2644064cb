"""The review desk: what a reviewer (the Sekretaris Camat's "Analisa dan reviu") reads of each
indicator row of a cycle's Kertas Kerja before approving it or returning rows.

Per row, beside the Kertas Kerja's own numbers: who answers for it (the owner's position and the
names of the people holding it now), the bukti dukung of its realisasi, the hambatan/penjelasan,
the return note, the plausibility flags, and what changed since the previous version submitted.

None of these extras is part of the reviewed and signed document (`rekap.document_content`):
they are read beside it, so what is signed stays byte for byte what it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.adapters import repository
from workflow.adapters.models import Evidence, Indicator, Person, Realisasi, Unit
from workflow.adapters.repository import holders
from workflow.domain.indicators import IndicatorError, parse_period
from workflow.domain.plausibility import Flag
from workflow.errors import NotFound
from workflow.services.engine import WorkflowService
from workflow.services.instances import review_changes
from workflow.services.measurement import owner_label, unit_indicators
from workflow.services.plausibility import flags_of
from workflow.services.rekap import KertasKerja, compute_kertas_kerja, load_rekap


@dataclass(frozen=True)
class DeskEvidence:
    """A bukti dukung file of the row's realisasi (its id is the download link's)."""

    id: int
    filename: str
    size: int


@dataclass(frozen=True)
class DeskChange:
    """One field of the row that differs from the previous version submitted."""

    field: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class DeskRow:
    """One indicator as the reviewer reads it."""

    code: str
    name: str
    satuan: str | None
    kind: str
    target: str | None
    quarters: tuple[str | None, str | None, str | None, str | None]  # TW I-IV as entered
    value: str | None  # s.d. the triwulan (a ratio as N/D)
    value_percent: Decimal | None  # a ratio's value in percent
    capaian: Decimal | None
    predikat: str | None
    category: str | None
    status: str
    owner: str  # the owner's position (`kasi.pelayanan`) or `@username`
    owner_names: tuple[str, ...]  # the people answering for it now
    note: str | None  # the hambatan / penjelasan
    return_note: str | None
    evidence: tuple[DeskEvidence, ...]
    flags: tuple[Flag, ...]
    changes: tuple[DeskChange, ...]

    @property
    def flagged(self) -> bool:
        return bool(self.flags)


@dataclass(frozen=True)
class ReviewDesk:
    """The rows of INSTANCE_ID's Kertas Kerja, with the rekap they come from and the versions compared."""

    instance_id: int
    rekap: KertasKerja
    rows: tuple[DeskRow, ...]
    versions: tuple[dict[str, Any], ...]  # the last two versions submitted, newest first
    changes: tuple[dict[str, Any], ...]  # every change between them ({code, field, old, new})

    @property
    def flagged_count(self) -> int:
        return sum(1 for r in self.rows if r.flagged)


def review_desk(service: WorkflowService, instance_id: int) -> ReviewDesk | None:
    """The review desk of INSTANCE_ID; None for a cycle with no Kertas Kerja (a yearly period, a
    unit with no indicators)."""
    compared = review_changes(service, instance_id)
    now = service.clock()
    with service.db.unit_of_work(readonly=True) as uow:
        s = uow.session
        instance = repository.instance(s, instance_id)
        unit = repository.row(s, Unit, instance.unit_id)
        try:
            year, _ = parse_period(instance.period)
            loaded = load_rekap(s, unit, instance.period, instance)
        except (IndicatorError, NotFound):
            return None
        rekap = compute_kertas_kerja(loaded)
        flags = flags_of(loaded, unit, s)
        indicators = {i.code: i for i in unit_indicators(s, unit.id, year)}
        names = _owner_names(s, unit.id, list(indicators.values()), now)
        evidence = _evidence(s, unit.id, instance.period)
    by_code: dict[str, list[DeskChange]] = {}
    for change in compared["changes"]:
        by_code.setdefault(change["code"], []).append(DeskChange(change["field"], change["old"], change["new"]))
    rows = []
    for r in rekap.rows:
        indicator = indicators.get(r.code)
        rows.append(
            DeskRow(
                code=r.code, name=r.name, satuan=r.satuan, kind=r.kind, target=r.target,
                quarters=(r.tw1, r.tw2, r.tw3, r.tw4), value=r.value, value_percent=r.value_percent,
                capaian=r.capaian, predikat=r.predikat, category=r.category, status=r.status, owner=r.owner,
                owner_names=names.get(indicator.id, ()) if indicator is not None else (),
                note=r.note, return_note=r.return_note,
                evidence=evidence.get(indicator.id, ()) if indicator is not None else (),
                flags=flags.get(r.code, ()), changes=tuple(by_code.get(r.code, ())),
            )
        )  # fmt: skip
    return ReviewDesk(instance_id, rekap, tuple(rows), tuple(compared["versions"]), tuple(compared["changes"]))


def _owner_names(s: Session, unit_id: int, indicators: list[Indicator], now: Any) -> dict[int, tuple[str, ...]]:
    """Per indicator id, the names of the people answering for it now: the person it is given to,
    or everyone holding its position (role and seksi) in the unit, as the tracker finds them."""
    by_position: dict[str, tuple[str, ...]] = {}
    out: dict[int, tuple[str, ...]] = {}
    for indicator in indicators:
        if indicator.owner_person_id is not None:
            person = s.get(Person, indicator.owner_person_id)
            out[indicator.id] = (person.name,) if person is not None else ()
            continue
        label = owner_label(s, indicator)
        if label not in by_position:
            found = [
                h.person_id
                for h in holders(s, unit_id, indicator.owner_role or "", now)
                if h.seksi == indicator.owner_seksi
            ]
            people = {p.id: p.name for p in s.scalars(select(Person).where(Person.id.in_(found)))} if found else {}
            by_position[label] = tuple(dict.fromkeys(people[i] for i in found if i in people))
        out[indicator.id] = by_position[label]
    return out


def _evidence(s: Session, unit_id: int, period: str) -> dict[int, tuple[DeskEvidence, ...]]:
    """Per indicator id, the bukti dukung of its realisasi for PERIOD, in upload order."""
    out: dict[int, list[DeskEvidence]] = {}
    for item, indicator_id in s.execute(
        select(Evidence, Realisasi.indicator_id)
        .join(Realisasi, Realisasi.id == Evidence.realisasi_id)
        .where(Realisasi.unit_id == unit_id, Realisasi.period == period)
        .order_by(Evidence.id)
    ):
        out.setdefault(indicator_id, []).append(DeskEvidence(item.id, item.filename, item.size))
    return {key: tuple(items) for key, items in out.items()}


__all__ = ["DeskChange", "DeskEvidence", "DeskRow", "ReviewDesk", "review_desk"]
