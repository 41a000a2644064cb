"""Performance data inside an engine transaction: who owes which indicator, targets, measuring.

These functions take the caller's session and never commit: the service layer calls them in
the same transaction as the action they belong to (a fan-out task's completion, a review's
per-row return, a realisasi entry).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.adapters.models import Indicator, Instance, Person, Realisasi, Target, TargetSet, Task, Unit, unit_chain
from workflow.domain.capaian import POLICIES, CapaianPolicy
from workflow.domain.indicators import (
    TARGET_KIND_LABELS,
    IndicatorRule,
    Value,
    aggregate,
    measure,
    parse_period,
    quarter_target,
)
from workflow.domain.periods import Period, PeriodError
from workflow.domain.plausibility import Bounds, bounds_for
from workflow.domain.roles import position_key
from workflow.services.org import holdings
from workflow.sop.spec import SopSpec, StepKind, StepSpec

# Realisasi statuses; "belum" (not entered) is the absence of a row.
BELUM = "belum"
DRAF = "draf"  # saved by its owner, not yet sent: sent when the data-entry task is done
DIKIRIM = "dikirim"
DIKEMBALIKAN = "dikembalikan"
DITERIMA = "diterima"
STATUSES = (BELUM, DRAF, DIKIRIM, DIKEMBALIKAN, DITERIMA)
# Base target kinds in the order a new cycle defaults to them (PK Perubahan only by an explicit switch,
# or when a unit has nothing else).
BASE_KINDS = ("pk", "pk_perubahan", "renstra")


def entry_step(spec: SopSpec, before: str | None = None) -> StepSpec | None:
    """The SOP's data-entry step: its fan-out (every fan-out of our SOPs is where realisasi comes in).

    With BEFORE, only a fan-out that comes before that step.
    """
    for step in spec.steps:
        if before is not None and step.id == before:
            return None
        if step.kind is StepKind.FANOUT:
            return step
    return None


def period_year(period: str) -> tuple[int, int] | None:
    """(year, quarter) of a triwulan period, or None for a yearly one."""
    try:
        found = Period.triwulan(period)
    except PeriodError:
        return None
    return found.year, found.triwulan_no


def rule_of(indicator: Indicator) -> IndicatorRule:
    return IndicatorRule(
        code=indicator.code,
        kind=indicator.kind,
        direction=indicator.direction,
        aggregation=indicator.aggregation,
        scale=indicator.scale,
        min_value=Decimal(indicator.min_value) if indicator.min_value is not None else None,
        max_value=Decimal(indicator.max_value) if indicator.max_value is not None else None,
    )


def value_of(row: Realisasi) -> Value | None:
    """The stored value of a realisasi row (None while it is pending)."""
    if row.pending:
        return None
    if row.numerator is not None and row.denominator is not None:
        return Value(numerator=Decimal(row.numerator), denominator=Decimal(row.denominator))
    if row.value is None:
        return None
    try:
        return Value(number=Decimal(row.value))
    except ArithmeticError:
        return Value(grade=row.value)


def policy_for(session: Session, unit: Unit) -> CapaianPolicy:
    """The capaian policy of UNIT or the nearest unit above it that sets one (default Mojokerto's)."""
    for current in unit_chain(session, unit):
        if current.capaian_policy:
            return POLICIES[current.capaian_policy]
    return POLICIES["mojokerto"]


def bounds_for_unit(session: Session, unit: Unit) -> Bounds:
    """UNIT's plausibility bounds: per key, the nearest unit up the chain that sets it, else the default."""
    return bounds_for(u.plausibility for u in unit_chain(session, unit))


def unit_indicators(session: Session, unit_id: int, year: int) -> list[Indicator]:
    return list(
        session.scalars(
            select(Indicator)
            .where(Indicator.unit_id == unit_id, Indicator.year == year)
            .order_by(Indicator.position, Indicator.id)
        )
    )


def owner_label(session: Session, indicator: Indicator) -> str:
    if indicator.owner_person_id is not None:
        person = session.get(Person, indicator.owner_person_id)
        return f"@{person.username}" if person else "@?"
    return position_key(indicator.owner_role or "", indicator.owner_seksi)


def owned_indicators(session: Session, task: Task, year: int, now: datetime) -> list[Indicator]:
    """The indicators the holder of fan-out TASK answers for.

    A seksi task (one Kasi's) owns the indicators given to that seksi position; a task given to
    one person (an ASN's) owns those given to the person, and those of every position the
    person holds in the unit.
    """
    positions: set[tuple[str, str | None]]
    # A task reassigned from someone who left still owes what they answered for when it opened.
    person_id = task.reassigned_from_id or task.assignee_id
    if task.seksi is not None:
        positions = {(task.role, task.seksi)}
    elif person_id is not None:
        at = task.created_at if task.reassigned_from_id else now
        positions = {(h.role, h.seksi) for h in holdings(session, person_id, at) if h.unit_id == task.unit_id}
    else:
        positions = {(task.role, None)}
    owned = []
    for indicator in unit_indicators(session, task.unit_id, year):
        if indicator.owner_person_id is not None:
            if indicator.owner_person_id == person_id and task.seksi is None:
                owned.append(indicator)
        elif (indicator.owner_role, indicator.owner_seksi) in positions:
            owned.append(indicator)
    return owned


def indicators_of(session: Session, person_id: int, unit_id: int, year: int, now: datetime) -> list[Indicator]:
    """The indicators PERSON_ID answers for in UNIT_ID: given to them, or to a position they hold there."""
    positions = {(h.role, h.seksi) for h in holdings(session, person_id, now) if h.unit_id == unit_id}
    return [
        i
        for i in unit_indicators(session, unit_id, year)
        if i.owner_person_id == person_id or (i.owner_person_id is None and (i.owner_role, i.owner_seksi) in positions)
    ]


def rows_for(session: Session, unit_id: int, periods: list[str]) -> dict[tuple[int, str], Realisasi]:
    rows = session.scalars(select(Realisasi).where(Realisasi.unit_id == unit_id, Realisasi.period.in_(periods)))
    return {(r.indicator_id, r.period): r for r in rows}


def missing_for_task(session: Session, task: Task, instance: Instance, now: datetime) -> list[Indicator]:
    """The indicators TASK's holder still owes for the instance's triwulan (not entered, or returned)."""
    when = period_year(instance.period)
    if when is None or (task.assignee_id is None and task.seksi is None):
        return []  # a yearly cycle, or a task of a role (not a fan-out position): nothing is owed per person
    owned = owned_indicators(session, task, when[0], now)
    rows = rows_for(session, task.unit_id, [instance.period])
    missing = []
    for indicator in owned:
        row = rows.get((indicator.id, instance.period))
        if row is None or row.status == DIKEMBALIKAN:
            missing.append(indicator)
    return missing


def send_drafts(session: Session, task: Task, instance: Instance, now: datetime) -> int:
    """Send (draf -> dikirim) the saved rows of the indicators TASK's holder answers for; return how many."""
    when = period_year(instance.period)
    if when is None:
        return 0
    owned = {i.id for i in owned_indicators(session, task, when[0], now)}
    sent = 0
    for (indicator_id, _), row in rows_for(session, task.unit_id, [instance.period]).items():
        if indicator_id in owned and row.status == DRAF:
            row.status = DIKIRIM
            sent += 1
    return sent


def accept_period(session: Session, instance: Instance) -> int:
    """Mark every entered (dikirim) row of the instance's unit and triwulan accepted; return how many."""
    rows = session.scalars(
        select(Realisasi).where(
            Realisasi.unit_id == instance.unit_id, Realisasi.period == instance.period, Realisasi.status == DIKIRIM
        )
    ).all()
    for row in rows:
        row.status = DITERIMA
    return len(rows)


def latest_set(session: Session, unit_id: int, year: int, kind: str, as_of: datetime | None = None) -> TargetSet | None:
    """The newest version of a target set (AS_OF: the newest one that existed then)."""
    query = select(TargetSet).where(TargetSet.unit_id == unit_id, TargetSet.year == year, TargetSet.kind == kind)
    if as_of is not None:
        query = query.where(TargetSet.created_at <= as_of)
    return session.scalar(query.order_by(TargetSet.version.desc()).limit(1))


def default_target_set(session: Session, unit_id: int, year: int) -> TargetSet | None:
    """The base target set a new cycle of the year measures against.

    The newest version of the kind the unit's latest cycle of that year measured against (so a
    switch to the PK Perubahan carries over to the cycles after it, and a corrected PK imported
    mid-year is used from the next cycle on); otherwise the newest PK, then PK Perubahan, then
    Renstra.
    """
    previous_kind = session.scalar(
        select(TargetSet.kind)
        .join(Instance, Instance.target_set_id == TargetSet.id)
        .where(Instance.unit_id == unit_id, TargetSet.year == year)
        .order_by(Instance.started_at.desc(), Instance.id.desc())
        .limit(1)
    )
    if previous_kind is not None:
        return latest_set(session, unit_id, year, previous_kind)
    for kind in BASE_KINDS:
        found = latest_set(session, unit_id, year, kind)
        if found is not None:
            return found
    return None


def instance_target_set(session: Session, instance: Instance) -> TargetSet | None:
    """The instance's base target set, fixing the default on the instance the first time it is needed."""
    if instance.target_set_id is not None:
        return session.get(TargetSet, instance.target_set_id)
    year = Period.parse(instance.period).year
    chosen = default_target_set(session, instance.unit_id, year)
    if chosen is not None:
        instance.target_set_id = chosen.id
    return chosen


def set_label(target_set: TargetSet | None) -> str | None:
    if target_set is None:
        return None
    return f"{TARGET_KIND_LABELS.get(target_set.kind, target_set.kind)} {target_set.year} v{target_set.version}"


@dataclass(frozen=True)
class Measured:
    """An indicator's value s.d. a triwulan measured against the target in force."""

    value: Value | None
    target: str | None
    target_set: TargetSet | None
    capaian: Decimal | None
    quarterly: bool = False  # measured against a Rencana Aksi quarter target


@dataclass(frozen=True)
class TargetRow:
    """One indicator's row of a target set, as loaded: the set's label, the annual target, TW I-IV."""

    set_label: str
    annual: str
    quarters: tuple[str | None, str | None, str | None, str | None] = (None, None, None, None)

    @classmethod
    def of(cls, target_set: TargetSet, row: Target) -> TargetRow:
        return cls(set_label(target_set) or "", row.annual, (row.tw1, row.tw2, row.tw3, row.tw4))


@dataclass(frozen=True)
class Measurement:
    """What `measure_rows` finds: the value s.d. the triwulan, the target used and from which row, capaian."""

    value: Value | None
    target: str | None
    used: TargetRow | None
    capaian: Decimal | None
    quarterly: bool = False


def measure_rows(
    rule: IndicatorRule,
    quarters: Mapping[int, Value],
    upto: int,
    policy: CapaianPolicy,
    annual_row: TargetRow | None,
    plan_row: TargetRow | None,
) -> Measurement:
    """Aggregate QUARTERS up to UPTO and measure against the period's target (no database).

    In TW I-III a Rencana Aksi (PLAN_ROW) quarter target is used when there is one; in TW IV, and
    when there is none, the annual target of the base set (ANNUAL_ROW), else the Rencana Aksi's
    own annual target.
    """
    value = aggregate(rule, dict(quarters), upto)
    target_text: str | None = None
    used: TargetRow | None = None
    by_quarter = False
    has_quarters = plan_row is not None and any(q is not None for q in plan_row.quarters)
    if plan_row is not None and has_quarters and not (upto == 4 and annual_row is not None):
        quarterly = dict(zip((1, 2, 3, 4), plan_row.quarters, strict=True))
        annual = annual_row.annual if annual_row is not None else plan_row.annual
        target_text = quarter_target(rule, annual, quarterly, upto)
        used = plan_row
        by_quarter = quarterly.get(upto) is not None or rule.aggregation == "sum"
    elif annual_row is not None:
        target_text, used = annual_row.annual, annual_row
    elif plan_row is not None:
        target_text, used = plan_row.annual, plan_row
    result: Decimal | None = None
    if value is not None and target_text is not None:
        try:
            result = measure(rule, target_text, value, policy)
        except (ValueError, ArithmeticError):
            result = None
    return Measurement(value, target_text, used, result, by_quarter)


def target_rows(
    session: Session, indicator: Indicator, base: TargetSet | None, as_of: datetime | None = None
) -> tuple[tuple[TargetSet, Target] | None, tuple[TargetSet, Target] | None]:
    """INDICATOR's row in BASE and in the newest Rencana Aksi (AS_OF: the newest that existed then)."""
    annual_row = (
        session.scalar(select(Target).where(Target.target_set_id == base.id, Target.indicator_id == indicator.id))
        if base is not None
        else None
    )
    plan = latest_set(session, indicator.unit_id, indicator.year, "rencana_aksi", as_of)
    plan_row = (
        session.scalar(select(Target).where(Target.target_set_id == plan.id, Target.indicator_id == indicator.id))
        if plan is not None
        else None
    )
    return (
        (base, annual_row) if base is not None and annual_row is not None else None,
        (plan, plan_row) if plan is not None and plan_row is not None else None,
    )


def measure_upto(
    session: Session,
    indicator: Indicator,
    base: TargetSet | None,
    quarters: dict[int, Value],
    upto: int,
    policy: CapaianPolicy,
    as_of: datetime | None = None,
) -> Measured:
    """Aggregate QUARTERS up to UPTO and measure against the period's target (`measure_rows`).

    The target rows are those of BASE, the set the cycle measures against (so a switch to the PK
    Perubahan decides the year's result), and of the Rencana Aksi. AS_OF (a finished cycle's end)
    takes the Rencana Aksi as it was then, so a later correction does not change a closed report.
    """
    annual, plan = target_rows(session, indicator, base, as_of)
    annual_row = TargetRow.of(*annual) if annual is not None else None
    plan_row = TargetRow.of(*plan) if plan is not None else None
    found = measure_rows(rule_of(indicator), quarters, upto, policy, annual_row, plan_row)
    used: TargetSet | None = None
    if found.used is not None and found.used is annual_row and annual is not None:
        used = annual[0]
    elif found.used is not None and found.used is plan_row and plan is not None:
        used = plan[0]
    return Measured(found.value, found.target, used, found.capaian, found.quarterly)


def quarters_of(session: Session, indicator: Indicator, year: int, upto: int) -> dict[int, Value]:
    periods = [str(p) for p in Period(year, upto).to_date()]
    rows = session.scalars(
        select(Realisasi).where(Realisasi.indicator_id == indicator.id, Realisasi.period.in_(periods))
    )
    found: dict[int, Value] = {}
    for row in rows:
        value = value_of(row)
        if value is not None:
            found[Period.triwulan(row.period).triwulan_no] = value
    return found


def remeasure(session: Session, row: Realisasi, indicator: Indicator, base: TargetSet | None, unit: Unit) -> Measured:
    """Recompute ROW's capaian s.d. its triwulan and record the target it was measured against."""
    year, quarter = parse_period(row.period)
    quarters = quarters_of(session, indicator, year, quarter)
    current = value_of(row)
    if current is not None:
        quarters[quarter] = current
    else:
        quarters.pop(quarter, None)
    measured = measure_upto(session, indicator, base, quarters, quarter, policy_for(session, unit))
    row.target_set_id = measured.target_set.id if measured.target_set else None
    row.target_value = measured.target
    row.capaian = str(measured.capaian) if measured.capaian is not None and current is not None else None
    return measured
