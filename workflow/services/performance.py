"""Use cases of the performance data: realisasi entry, the target switch, the tracker and the rekap.

Each use case that writes is one transaction with its audit event, like the engine's actions:
a realisasi is entered inside its holder's open data-entry task and recorded on that instance's
audit trail, with the target version and value it was measured against.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from workflow.adapters import repository
from workflow.adapters.db import Database
from workflow.adapters.evidence import UploadSettings, check_count, check_upload, store
from workflow.adapters.models import (
    AuditEvent,
    Evidence,
    Indicator,
    Instance,
    Person,
    Realisasi,
    Signature,
    Target,
    TargetSet,
    Task,
    Unit,
)
from workflow.domain.indicators import (
    TARGET_KIND_LABELS,
    TARGET_KINDS,
    IndicatorError,
    IndicatorRule,
    Value,
    canonical,
    parse_period,
    predikat,
    quantize,
    ratio_value,
    read_value,
)
from workflow.domain.limits import NUMBER_MAX, free_text, grouped, too_long
from workflow.domain.localtime import iso, utcnow
from workflow.domain.numbers import format_id
from workflow.domain.periods import ROMAN, Period, PeriodError
from workflow.domain.plausibility import Bounds, flags, needs_explanation, needs_reason
from workflow.domain.rules import DONE, OPEN, TARGET_SWITCHERS, leading_holding, may_switch_targets, may_take
from workflow.errors import Conflict, InvalidInput, NotAllowed, NotFound, invalid_value
from workflow.services.engine import holding_for_task
from workflow.services.measurement import (
    BELUM,
    DIKEMBALIKAN,
    DIKIRIM,
    DITERIMA,
    DRAF,
    Measured,
    bounds_for_unit,
    default_target_set,
    entry_step,
    instance_target_set,
    latest_set,
    measure_upto,
    missing_for_task,
    owned_indicators,
    owner_label,
    policy_for,
    quarters_of,
    remeasure,
    rule_of,
    set_label,
    target_rows,
    unit_indicators,
    value_of,
)
from workflow.services.org import holders, holdings
from workflow.services.rekap import build_rekap
from workflow.sop.spec import SopRegistry

# Who may switch a cycle's target version: the Tim SAKIP prepares the measurement, the sekcam and
# the Camat answer for it.


@dataclass(frozen=True)
class Submission:
    """What one realisasi entry asks for."""

    username: str
    code: str
    period: str
    value: str | None = None
    numerator: str | None = None
    denominator: str | None = None
    note: str | None = None
    pending: bool = False
    source_period: str | None = None
    unit: str | None = None
    files: Sequence[tuple[str, bytes]] = field(default_factory=tuple)


def _source_period(raw: str | None) -> str | None:
    """The year or triwulan a value was taken from, as stored (`2023`, `2023-TW4`), or InvalidInput.

    Only the spaces around it are dropped, once; whatever else it holds (a control character,
    other digits than 0-9, more text) is refused, never stored.
    """
    if raw is None:
        return None
    value = raw.strip(" \t\r\n")
    try:
        return str(Period.parse(value))
    except PeriodError:
        echo = value if len(value) <= 16 else value[:16] + "…"  # a long value is not repeated in full
        raise InvalidInput(
            f"source_period: {echo!r} harus berbentuk TAHUN atau TAHUN-TWn (misalnya 2023)",
            code="source_period.invalid",
            value=repr(echo),
        ) from None


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _value_json(value: Value | None) -> str | None:
    return None if value is None else value.display()


#: What a data-entry input asks for, by the indicator's aggregation: the quarter's own value
#: (added up, or averaged, over the year), the value to date, or the latest value.
ASKS = {"sum": "quarter", "average": "quarter", "cumulative": "to_date", "last": "last"}


def _ratio_percent(value: Value | None) -> str | None:
    """A ratio's value in percent (2 places), or None for another value or a zero denominator."""
    if value is None or value.numerator is None or value.denominator is None or value.denominator == 0:
        return None
    return _dec(quantize(value.percent()))


def _measure_entry(
    s: Session,
    indicator: Indicator,
    base: TargetSet | None,
    quarters: dict[int, Value],
    quarter: int,
    policy: Any,
    bounds: Bounds,
    current: Value | None,
) -> dict[str, Any]:
    """An entry row's numbers with CURRENT as this quarter's value: the targets (annual, to date,
    the quarter's own), the value s.d. the quarter, the capaian and predikat, flags, what note is needed."""
    rule = rule_of(indicator)
    quarters = {q: v for q, v in quarters.items() if q < quarter}
    if current is not None:
        quarters[quarter] = current
    measured = measure_upto(s, indicator, base, quarters, quarter, policy)
    annual, plan = target_rows(s, indicator, base)
    plan_quarter = None
    if plan is not None:
        plan_quarter = (plan[1].tw1, plan[1].tw2, plan[1].tw3, plan[1].tw4)[quarter - 1]
    capaian = measured.capaian if current is not None else None
    value_s_d = measured.value if current is not None else None
    needs = None
    if capaian is not None and needs_explanation(capaian, bounds):
        needs = "explanation"
    elif capaian is not None and needs_reason(rule, quarter, capaian, measured.quarterly):
        needs = "reason"
    return {
        "target": measured.target,  # the target s.d. the quarter, as measured
        "target_annual": annual[1].annual if annual is not None else (plan[1].annual if plan is not None else None),
        "target_quarter": plan_quarter,
        "target_set": set_label(measured.target_set),
        "by_quarter": measured.quarterly,
        "quarter_value": _value_json(current),
        "quarter_percent": _dec(quantize(current.percent()))
        if current is not None and current.numerator is not None
        else None,
        "value_s_d": _value_json(value_s_d),
        "value_s_d_percent": _ratio_percent(value_s_d),
        "capaian": _dec(capaian),
        "predikat": predikat(capaian) if capaian is not None else None,
        "needs": needs,
        "flags": list(flags(rule, quarter, capaian, measured.quarterly, quarters, bounds))
        if current is not None
        else [],
    }


class PerformanceService:
    """Realisasi, targets, the tracker and the Kertas Kerja over one database."""

    def __init__(
        self,
        db: Database,
        registry: SopRegistry,
        *,
        clock: Callable[[], datetime] = utcnow,
        uploads: UploadSettings | None = None,
    ):
        self.db = db
        self.registry = registry
        self.clock = clock
        self.uploads = uploads or UploadSettings.from_env()

    # --- realisasi ---------------------------------------------------------------------

    def submit(self, sub: Submission) -> dict[str, Any]:
        """Enter (or correct) one realisasi inside the user's open data-entry task."""
        free_text("catatan", sub.note)  # refused before any upload is stored
        for label, raw in (("nilai", sub.value), ("pembilang", sub.numerator), ("penyebut", sub.denominator)):
            problem = too_long(raw, NUMBER_MAX) if raw is not None else None
            if problem is not None:
                raise InvalidInput(
                    f"{label}: {problem}",
                    code="text.too_long",
                    field=label,
                    limit=grouped(NUMBER_MAX),
                    given=grouped(len(raw or "")),
                )
        try:
            year, quarter = parse_period(sub.period)
        except IndicatorError as exc:
            raise invalid_value(exc) from None
        source_period = _source_period(sub.source_period)
        check_count(len(sub.files))
        checked = [check_upload(name, data, self.uploads.max_bytes) for name, data in sub.files]
        created: list[Path] = []
        try:
            for item in checked:
                path, new = store(self.uploads, item)
                if new:
                    created.append(path)
            return self._submit(replace(sub, source_period=source_period), year, quarter, checked)
        except BaseException:
            # A failed entry leaves nothing behind: not even the files it brought (unless another
            # entry stored the same file meanwhile and kept it).
            for path in created:
                if not self._referenced(path.name):
                    path.unlink(missing_ok=True)
            raise

    def _referenced(self, sha256: str) -> bool:
        with self.db.unit_of_work(readonly=True) as uow:
            return bool(uow.session.scalar(select(func.count(Evidence.id)).where(Evidence.sha256 == sha256)))

    def rekap_for_instance(self, instance_id: int) -> dict[str, Any] | None:
        """The Kertas Kerja exactly as INSTANCE_ID measures it (its own target set), or None."""
        with self.db.unit_of_work(readonly=True) as uow:
            s = uow.session
            instance = repository.instance(s, instance_id)
            unit = repository.row(s, Unit, instance.unit_id)
            try:
                parse_period(instance.period)
                return build_rekap(s, unit, instance.period, instance)
            except (IndicatorError, NotFound):
                return None

    def _submit(self, sub: Submission, year: int, quarter: int, files: list[Any]) -> dict[str, Any]:
        now = self.clock()
        try:
            with self.db.unit_of_work() as uow:
                s = uow.session
                person = repository.person(s, sub.username)
                indicator, task, instance = self._entry_context(s, person, sub, year, now)
                rule = rule_of(indicator)
                value = self._read(indicator, sub)
                row = s.scalar(
                    select(Realisasi).where(Realisasi.indicator_id == indicator.id, Realisasi.period == sub.period)
                )
                if row is not None and row.status == DITERIMA:
                    raise Conflict(
                        f"realisasi {indicator.code} {sub.period} sudah diterima; "
                        "hanya dapat diubah setelah dikembalikan",
                        code="realisasi.accepted",
                        indicator=indicator.code,
                        period=sub.period,
                    )
                previous = None if row is None else (row.value, row.numerator, row.denominator, row.pending)
                if row is None:
                    row = Realisasi(
                        indicator_id=indicator.id, unit_id=indicator.unit_id, period=sub.period, instance_id=instance.id
                    )
                    s.add(row)
                row.value = None
                row.numerator = row.denominator = None
                if value is not None and value.numerator is not None and value.denominator is not None:
                    row.numerator, row.denominator = canonical(value.numerator), canonical(value.denominator)
                elif value is not None:
                    row.value = value.grade if value.grade is not None else canonical(value.number or Decimal(0))
                row.pending = value is None
                row.source_period = sub.source_period  # checked and stripped by submit
                row.note = free_text("catatan", sub.note)
                row.status = DRAF
                row.return_note = None
                row.entered_by_id = person.id
                row.entered_at = now
                row.instance_id = instance.id
                row.task_id = task.id
                unit = repository.row(s, Unit, indicator.unit_id)
                base = instance_target_set(s, instance)
                measured = remeasure(s, row, indicator, base, unit)
                self._require_note(rule, quarter, measured, row, indicator, bounds_for_unit(s, unit))
                s.flush()
                for item in files:
                    s.add(
                        Evidence(
                            realisasi_id=row.id, filename=item.filename, content_type=item.content_type,
                            size=item.size, sha256=item.sha256, uploaded_by_id=person.id, uploaded_at=now,
                        )
                    )  # fmt: skip
                holding = holding_for_task(s, person, task, now)  # the same rule as for actions
                # The audit note is Indonesian text, so its numbers are written the Indonesian way.
                summary = (
                    f"{indicator.code} {sub.period}: "
                    + ("menunggu sumber" if row.pending else format_id(_value_json(value) or ""))
                    + (f" (sebelumnya {format_id(previous[0] or f'{previous[1]}/{previous[2]}')})" if previous else "")
                    + (
                        f"; target {format_id(measured.target)} {set_label(measured.target_set)}"
                        if measured.target
                        else ""
                    )
                    + (f"; capaian {format_id(row.capaian, 2)}%" if row.capaian else "")
                    + (f"; {len(files)} bukti dukung" if files else "")
                    + (f" — {row.note}" if row.note else "")
                )
                s.add(
                    AuditEvent(
                        instance_id=instance.id, task_id=task.id, at=now, actor_id=person.id, actor=person.username,
                        role=task.role, acting_for=holding.position if holding.acting else None,
                        action="realisasi", step_id=task.step_id, note=summary,
                        from_state=instance.state, to_state=instance.state,
                    )
                )  # fmt: skip
                result = self._row_json(s, indicator, row, measured.value, measured.target, measured.capaian)
                result["task_id"] = task.id
                result["instance_id"] = instance.id
                uow.commit()
                return result
        except (StaleDataError, IntegrityError):
            raise Conflict(
                f"realisasi {sub.code} {sub.period} was changed by someone else at the same time",
                code="realisasi.changed",
                indicator=sub.code,
                period=sub.period,
            ) from None

    @staticmethod
    def _require_note(
        rule: IndicatorRule, quarter: int, measured: Measured, row: Realisasi, ind: Indicator, bounds: Bounds
    ) -> None:
        """A missed target needs its hambatan; a capaian above the ceiling its penjelasan (plausibility)."""
        capaian = measured.capaian
        if row.note or capaian is None:
            return
        if needs_explanation(capaian, bounds):
            raise InvalidInput(
                f"catatan: capaian {ind.code} s.d. TW {ROMAN[quarter]} {format_id(capaian, 2)}% "
                f"di atas batas {format_id(bounds.capaian_ceiling)}%; periksa kembali nilainya, "
                "atau tuliskan penjelasan mengapa target terlampaui",
                code="realisasi.needs_explanation",
                indicator=ind.code,
                quarter=ROMAN[quarter],
                capaian=format_id(capaian, 2),
                ceiling=format_id(bounds.capaian_ceiling),
            )
        if needs_reason(rule, quarter, capaian, measured.quarterly):
            raise InvalidInput(
                f"catatan: capaian {ind.code} {format_id(capaian, 2)}% di bawah target; "
                "tuliskan hambatan dan rencana tindak lanjutnya",
                code="realisasi.needs_reason",
                indicator=ind.code,
                capaian=format_id(capaian, 2),
            )

    def _read(self, indicator: Indicator, sub: Submission) -> Value | None:
        rule = rule_of(indicator)
        try:
            if sub.pending:
                if indicator.external_source is None:
                    raise IndicatorError(
                        f"nilai: {indicator.code} bukan nilai dari sumber luar; 'menunggu' tidak dapat dipakai"
                    )
                if sub.value or sub.numerator or sub.denominator:
                    raise IndicatorError("nilai: isi nilai atau tandai menunggu sumber, tidak keduanya")
                return None
            if sub.numerator is not None or sub.denominator is not None:
                if indicator.kind != "ratio":
                    raise IndicatorError(f"pembilang: {indicator.code} bukan indikator rasio; isi nilai saja")
                if sub.numerator is None or sub.denominator is None:
                    raise IndicatorError("penyebut: pembilang dan penyebut harus diisi keduanya")
                return ratio_value(rule, sub.numerator, sub.denominator)
            if sub.value is None or not sub.value.strip():
                raise IndicatorError(
                    "nilai: wajib diisi" + (" (atau pembilang dan penyebut)" if indicator.kind == "ratio" else "")
                )
            if indicator.kind == "ratio" and "/" not in sub.value:
                raise IndicatorError(
                    f"nilai: {indicator.code} adalah rasio; isi pembilang dan penyebut (misalnya 1736/1736)"
                )
            return read_value(rule, sub.value)
        except IndicatorError as exc:
            raise invalid_value(exc) from None

    def _entry_context(
        self, s: Session, person: Person, sub: Submission, year: int, now: datetime
    ) -> tuple[Indicator, Task, Instance]:
        """The indicator, and the open data-entry task through which PERSON may enter it."""
        mine = holdings(s, person.id, now)
        unit_ids = sorted({h.unit_id for h in mine})
        if sub.unit is not None:
            unit = repository.unit(s, sub.unit)
            unit_ids = [u for u in unit_ids if u == unit.id]
        candidates = list(
            s.scalars(
                select(Indicator).where(
                    Indicator.code == sub.code, Indicator.year == year, Indicator.unit_id.in_(unit_ids)
                )
            )
        )
        if not candidates:
            raise NotFound(
                f"unknown indicator {sub.code!r} for {year} in your unit(s)",
                code="indicator.unknown",
                indicator=sub.code,
                year=year,
            )
        if len(candidates) > 1:
            raise InvalidInput(
                f"unit: {sub.code} exists in several of your units; name one with --unit",
                code="indicator.ambiguous",
                indicator=sub.code,
            )
        indicator = candidates[0]
        open_tasks = s.execute(
            select(Task, Instance)
            .join(Instance, Instance.id == Task.instance_id)
            .where(Task.unit_id == indicator.unit_id, Task.status == OPEN, Instance.period == sub.period)
            .order_by(Task.id)
        ).all()
        entry_tasks = []
        for task, instance in open_tasks:
            spec = self.registry.get(instance.sop_key, instance.sop_version)
            entry = entry_step(spec)
            if entry is not None and task.step_id == entry.id and instance.state == entry.id:
                entry_tasks.append((task, instance))
        if not entry_tasks:
            raise Conflict(
                f"tidak ada tugas pengisian data yang terbuka untuk {sub.period}; realisasi tidak dapat diisi",
                code="entry.no_open_task",
                period=sub.period,
            )
        for task, instance in entry_tasks:
            if not any(h.unit_id == task.unit_id and may_take(task, h.role, h.seksi, person.id) for h in mine):
                continue
            if any(i.id == indicator.id for i in owned_indicators(s, task, year, now)):
                # Serialise with the task's completion and the review, as every action does, then
                # decide on fresh rows: the task may have been finished while we waited for the lock.
                instance = s.scalars(
                    select(Instance)
                    .where(Instance.id == instance.id)
                    .with_for_update()
                    .execution_options(populate_existing=True)
                ).one()
                task = s.scalars(select(Task).where(Task.id == task.id).execution_options(populate_existing=True)).one()
                if task.status != OPEN or instance.state != task.step_id:
                    raise Conflict(
                        f"task {task.id} was finished meanwhile; realisasi can no longer be entered",
                        code="entry.task_finished",
                        task=task.id,
                    )
                if not any(h.unit_id == task.unit_id and may_take(task, h.role, h.seksi, person.id) for h in mine):
                    raise Conflict(
                        f"task {task.id} was given to someone else meanwhile; reload it",
                        code="entry.task_given_away",
                        task=task.id,
                    )
                return indicator, task, instance
        raise NotAllowed(
            f"user {person.username!r} has no open data-entry task for {sub.period} that answers for {indicator.code}",
            code="entry.not_allowed",
            user=person.username,
            period=sub.period,
            indicator=indicator.code,
        )

    # --- targets -----------------------------------------------------------------------

    def use_targets(
        self, instance_id: int, kind: str, username: str, note: str | None, version: int | None = None
    ) -> dict[str, Any]:
        """Switch INSTANCE_ID to another target version (e.g. the PK Perubahan): audited, re-measured."""
        if kind not in TARGET_KINDS or kind == "rencana_aksi":
            raise InvalidInput("set: pilih renstra, pk atau pk_perubahan", code="targets.unknown_set")
        note = free_text("note", note)
        if not note:
            raise InvalidInput(
                "note: tuliskan dasar perpindahan target (misalnya PK Perubahan yang ditandatangani)",
                code="targets.needs_note",
            )
        now = self.clock()
        with self.db.unit_of_work() as uow:
            s = uow.session
            person = repository.person(s, username)
            instance = repository.instance(s, instance_id, lock=True)
            held = holdings(s, person.id, now)
            holding = leading_holding(held, instance.unit_id, TARGET_SWITCHERS)
            if not may_switch_targets(held, instance.unit_id, person.is_admin):
                raise NotAllowed(
                    f"user {username!r} may not change the targets of instance {instance_id}",
                    code="targets.not_allowed",
                    user=username,
                    instance=instance_id,
                )
            year = Period.parse(instance.period).year
            if version is None:
                chosen = latest_set(s, instance.unit_id, year, kind)
            else:
                chosen = s.scalar(
                    select(TargetSet).where(
                        TargetSet.unit_id == instance.unit_id, TargetSet.year == year,
                        TargetSet.kind == kind, TargetSet.version == version,
                    )
                )  # fmt: skip
            if chosen is None:
                label = TARGET_KIND_LABELS[kind]
                if version:
                    raise NotFound(
                        f"no {label} {year} v{version}",
                        code="targets.missing_version",
                        set=label,
                        year=year,
                        version=version,
                    )
                raise NotFound(f"no {label} {year}", code="targets.missing", set=label, year=year)
            if instance.finished_at is not None or s.scalar(
                select(func.count(Signature.id)).where(Signature.instance_id == instance.id)
            ):
                raise Conflict(
                    f"instance {instance_id} is signed or finished; its targets can no longer change",
                    code="targets.frozen",
                    instance=instance_id,
                )
            before = instance_target_set(s, instance)
            if before is not None and before.id == chosen.id:
                raise Conflict(
                    f"instance {instance_id} already measures against {set_label(chosen)}",
                    code="targets.already_used",
                    instance=instance_id,
                    set=set_label(chosen),
                )
            instance.target_set_id = chosen.id
            unit = repository.row(s, Unit, instance.unit_id)
            rows = s.scalars(
                select(Realisasi).where(Realisasi.unit_id == instance.unit_id, Realisasi.period == instance.period)
            ).all()
            for row in rows:
                indicator = repository.row(s, Indicator, row.indicator_id)
                remeasure(s, row, indicator, chosen, unit)
            s.add(
                AuditEvent(
                    instance_id=instance.id, task_id=None, at=now, actor_id=person.id, actor=person.username,
                    role=holding.position if holding else "admin",
                    acting_for=holding.position if holding and holding.acting else None,
                    action="switch_targets", step_id=None,
                    note=f"{set_label(before) or '-'} -> {set_label(chosen)}: {(note or '').strip()}",
                    from_state=instance.state, to_state=instance.state,
                )
            )  # fmt: skip
            result = {
                "instance_id": instance.id,
                "from": set_label(before),
                "to": set_label(chosen),
                "remeasured": len(rows),
            }
            uow.commit()
            return result

    def target_sets(self, unit_code: str, year: int) -> list[dict[str, Any]]:
        with self.db.unit_of_work(readonly=True) as uow:
            unit = repository.unit(uow.session, unit_code)
            sets = uow.session.scalars(
                select(TargetSet)
                .where(TargetSet.unit_id == unit.id, TargetSet.year == year)
                .order_by(TargetSet.kind, TargetSet.version)
            )
            return [
                {"id": t.id, "kind": t.kind, "version": t.version, "label": set_label(t), "source": t.source,
                 "created_at": iso(t.created_at), "created_by": t.created_by}
                for t in sets
            ]  # fmt: skip

    # --- tracker -----------------------------------------------------------------------

    def tracker(self, instance_id: int) -> dict[str, Any]:
        """The Tim SAKIP matrix for a cycle: each owner × their indicators, with status and progress."""
        now = self.clock()
        with self.db.unit_of_work(readonly=True) as uow:
            s = uow.session
            instance = repository.instance(s, instance_id)
            try:
                year, _ = parse_period(instance.period)
            except IndicatorError:
                raise InvalidInput(
                    f"instance {instance_id} is yearly ({instance.period}); a tracker is per triwulan",
                    code="tracker.yearly",
                    instance=instance_id,
                    period=instance.period,
                ) from None
            spec = self.registry.get(instance.sop_key, instance.sop_version)
            entry = entry_step(spec)
            # Each entry task with its assignee's username, in one query (not one per owner and task).
            tasks = (
                s.execute(
                    select(Task, Person.username)
                    .outerjoin(Person, Person.id == Task.assignee_id)
                    .where(Task.instance_id == instance.id, Task.step_id == entry.id)
                ).all()
                if entry is not None
                else []
            )
            rows = {
                r.indicator_id: r
                for r in s.scalars(
                    select(Realisasi).where(Realisasi.unit_id == instance.unit_id, Realisasi.period == instance.period)
                )
            }
            owners: dict[str, dict[str, Any]] = {}
            counts = {BELUM: 0, DRAF: 0, DIKIRIM: 0, DIKEMBALIKAN: 0, DITERIMA: 0}
            for indicator in unit_indicators(s, instance.unit_id, year):
                label = owner_label(s, indicator)
                entry_row = owners.get(label)
                if entry_row is None:
                    people = (
                        [label[1:]]
                        if label.startswith("@")
                        else [
                            h.username
                            for h in holders(s, instance.unit_id, indicator.owner_role or "", now)
                            if h.seksi == indicator.owner_seksi
                        ]
                    )
                    entry_row = owners[label] = {"owner": label, "people": people, "indicators": [], "task": None}
                row = rows.get(indicator.id)
                status = row.status if row is not None else BELUM
                counts[status] += 1
                entry_row["indicators"].append(
                    {
                        "code": indicator.code,
                        "name": indicator.name,
                        "status": status,
                        "value": None
                        if row is None
                        else (_value_json(value_of(row)) or ("menunggu" if row.pending else None)),
                        "return_note": row.return_note if row is not None else None,
                        "entered_at": iso(row.entered_at) if row is not None else None,
                    }
                )
            for owner in owners.values():
                latest = None
                for task, who in tasks:
                    if who is not None and who in owner["people"] and (latest is None or task.round >= latest.round):
                        latest = task
                if latest is not None:
                    owner["task"] = {"id": latest.id, "status": latest.status, "round": latest.round,
                                     "due_at": iso(latest.due_at)}  # fmt: skip
                owed = [i for i in owner["indicators"] if i["status"] in (BELUM, DRAF, DIKEMBALIKAN)]
                owner["owes"] = len(owed)
            total = sum(counts.values())
            done = counts[DIKIRIM] + counts[DITERIMA]
            return {
                "instance_id": instance.id,
                "period": instance.period,
                "state": instance.state,
                "owners": list(owners.values()),
                "counts": counts,
                "total": total,
                "progress": str(quantize(Decimal(done) / total * 100)) if total else None,
            }

    # --- the Kertas Kerja --------------------------------------------------------------

    def rekap(self, unit_code: str, period: str) -> dict[str, Any]:
        """The Kertas Kerja Pengukuran of UNIT_CODE for PERIOD (a triwulan): one row per indicator."""
        try:
            year, quarter = parse_period(period)
        except IndicatorError as exc:
            raise invalid_value(exc) from None
        with self.db.unit_of_work(readonly=True) as uow:
            unit = repository.unit(uow.session, unit_code)
            return build_rekap(uow.session, unit, period)

    def measured_quarters(self, unit_code: str, year: int) -> list[int]:
        """The triwulan (1-4) of YEAR measured for UNIT_CODE: with a cycle or a realisasi row of their own."""
        from workflow.services.rekap import measured_quarters

        with self.db.unit_of_work(readonly=True) as uow:
            return measured_quarters(uow.session, repository.unit(uow.session, unit_code), year)

    def _row_json(
        self, s: Session, indicator: Indicator, row: Realisasi, value: Value | None, target: str | None,
        capaian_value: Decimal | None,
    ) -> dict[str, Any]:  # fmt: skip
        return {
            "indicator": indicator.code,
            "period": row.period,
            "status": row.status,
            "value": _value_json(value_of(row)),
            "pending": row.pending,
            "value_s_d": _value_json(value),
            "target": target,
            "target_set": set_label(s.get(TargetSet, row.target_set_id)) if row.target_set_id else None,
            "capaian": row.capaian,
            "note": row.note,
        }

    def _entry_task(self, s: Session, task_id: int) -> tuple[Task, Instance]:
        task = s.get(Task, task_id)
        if task is None:
            raise NotFound(f"unknown task {task_id}", code="task.unknown", task=task_id)
        instance = repository.row(s, Instance, task.instance_id)
        spec = self.registry.get(instance.sop_key, instance.sop_version)
        entry = entry_step(spec)
        if entry is None or task.step_id != entry.id:
            raise InvalidInput(f"task {task_id} is not a data-entry task", code="task.not_entry", task=task_id)
        return task, instance

    def entry_form(self, task_id: int) -> dict[str, Any]:
        """What a data-entry page shows for TASK_ID: each indicator its holder answers for, with the
        annual target, the target to date and the quarter's own Rencana Aksi target, the earlier
        quarters, what the input asks for, the value entered so far with the capaian and predikat
        it gives, the plausibility flags, its status, its note and evidence, and any return note."""
        now = self.clock()
        with self.db.unit_of_work(readonly=True) as uow:
            s = uow.session
            task, instance = self._entry_task(s, task_id)
            year, quarter = parse_period(instance.period)
            unit = repository.row(s, Unit, instance.unit_id)
            base = instance_target_set(s, instance) if instance.target_set_id else default_target_set(s, unit.id, year)
            policy, bounds = policy_for(s, unit), bounds_for_unit(s, unit)
            rows = []
            for indicator in owned_indicators(s, task, year, now):
                quarters = quarters_of(s, indicator, year, quarter)
                row = s.scalar(
                    select(Realisasi).where(Realisasi.indicator_id == indicator.id, Realisasi.period == instance.period)
                )
                evidence = (
                    [
                        {"id": e.id, "filename": e.filename, "size": e.size, "sha256": e.sha256}
                        for e in s.scalars(
                            select(Evidence).where(Evidence.realisasi_id == row.id).order_by(Evidence.id)
                        )
                    ]
                    if row is not None
                    else []
                )
                item = {
                    "code": indicator.code,
                    "name": indicator.name,
                    "satuan": indicator.satuan,
                    "kind": indicator.kind,
                    "aggregation": indicator.aggregation,
                    "direction": indicator.direction,
                    "external_source": indicator.external_source,
                    "asks": ASKS.get(indicator.aggregation, "quarter") if indicator.kind != "grade" else "last",
                    "earlier": {f"tw{q}": _value_json(quarters.get(q)) for q in range(1, quarter)},
                    "value": None if row is None else row.value,
                    "numerator": None if row is None else row.numerator,
                    "denominator": None if row is None else row.denominator,
                    "pending": bool(row is not None and row.pending),
                    "status": BELUM if row is None else row.status,
                    "note": None if row is None else row.note,
                    "return_note": None if row is None else row.return_note,
                    "evidence": evidence,
                }
                item.update(
                    _measure_entry(s, indicator, base, quarters, quarter, policy, bounds, quarters.get(quarter))
                )
                rows.append(item)
            return {
                "task_id": task.id,
                "instance_id": instance.id,
                "unit": unit.code,
                "unit_id": unit.id,
                "period": instance.period,
                "quarter": quarter,
                "status": task.status,
                "return_note": task.return_note,
                "capaian_ceiling": str(bounds.capaian_ceiling),
                "rows": rows,
            }

    def preview(self, task_id: int, username: str, code: str, typed: Submission) -> dict[str, Any]:
        """What TYPED would give for indicator CODE in data-entry task TASK_ID, without saving it:
        the value s.d. the triwulan, the target, the capaian and predikat, the flags, and whether a
        note is needed. The page shows it as the user types; the saved entry is measured the same way.
        Bad input is InvalidInput, as for `submit`."""
        now = self.clock()
        with self.db.unit_of_work(readonly=True) as uow:
            s = uow.session
            task, instance = self._entry_task(s, task_id)
            person = repository.person(s, username)
            if not any(
                h.unit_id == task.unit_id and may_take(task, h.role, h.seksi, person.id)
                for h in holdings(s, person.id, now)
            ):
                raise NotAllowed(
                    f"user {username!r} may not act on task {task_id}",
                    code="task.not_yours",
                    user=username,
                    task=task_id,
                )
            year, quarter = parse_period(instance.period)
            indicator = next((i for i in owned_indicators(s, task, year, now) if i.code == code), None)
            if indicator is None:
                raise NotFound(
                    f"unknown indicator {code!r} for {year} in your unit(s)",
                    code="indicator.unknown",
                    indicator=code,
                    year=year,
                )
            unit = repository.row(s, Unit, instance.unit_id)
            base = instance_target_set(s, instance) if instance.target_set_id else default_target_set(s, unit.id, year)
            current = self._read(indicator, typed)
            quarters = quarters_of(s, indicator, year, quarter)
            out = {"indicator": indicator.code, "period": instance.period}
            out.update(
                _measure_entry(
                    s, indicator, base, quarters, quarter, policy_for(s, unit), bounds_for_unit(s, unit), current
                )
            )
            return out

    def owed(self, task_id: int) -> list[str]:
        """The indicator codes the holder of data-entry task TASK_ID still owes (none for other tasks)."""
        now = self.clock()
        with self.db.unit_of_work(readonly=True) as uow:
            s = uow.session
            try:
                task, instance = self._entry_task(s, task_id)
            except InvalidInput:  # not a data-entry task: nothing is owed through it
                return []
            return [i.code for i in missing_for_task(s, task, instance, now)]

    def indicators(self, unit_code: str, year: int) -> list[dict[str, Any]]:
        with self.db.unit_of_work(readonly=True) as uow:
            s = uow.session
            unit = repository.unit(s, unit_code)
            out = []
            for i in unit_indicators(s, unit.id, year):
                targets = {
                    set_label(ts): t.annual
                    for t, ts in s.execute(
                        select(Target, TargetSet)
                        .join(TargetSet, TargetSet.id == Target.target_set_id)
                        .where(Target.indicator_id == i.id)
                        .order_by(TargetSet.kind, TargetSet.version)
                    ).all()
                }
                out.append(
                    {"code": i.code, "name": i.name, "satuan": i.satuan, "kind": i.kind, "direction": i.direction,
                     "aggregation": i.aggregation, "scale": i.scale, "external_source": i.external_source,
                     "owner": owner_label(s, i), "flag": i.flag, "targets": targets}
                )  # fmt: skip
            return out


__all__ = ["DONE", "PerformanceService", "Submission"]
