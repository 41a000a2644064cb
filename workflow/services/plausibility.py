"""The plausibility flags of a unit's triwulan, row by row, for the review desk, the Tim SAKIP's
steps and the API (`workflow.domain.plausibility` holds the rules)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from workflow.adapters.models import Instance, Unit
from workflow.domain.plausibility import Flag, flags
from workflow.services.measurement import bounds_for_unit, measure_rows
from workflow.services.rekap import LoadedRekap, load_rekap


def flags_of(loaded: LoadedRekap, unit: Unit, s: Session) -> dict[str, tuple[Flag, ...]]:
    """Per indicator code, the flags of its row in LOADED (none for a row not entered this quarter)."""
    quarter = loaded.period.quarter
    if quarter is None:
        return {}
    bounds = bounds_for_unit(s, unit)
    out: dict[str, tuple[Flag, ...]] = {}
    for item in loaded.indicators:
        quarters = {q: v for q, v in item.quarters.items() if q <= quarter}
        if quarter not in quarters:
            out[item.code] = ()
            continue
        measured = measure_rows(item.rule, quarters, quarter, loaded.policy, item.annual, item.plan)
        out[item.code] = flags(item.rule, quarter, measured.capaian, measured.quarterly, quarters, bounds)
    return out


def period_flags(s: Session, unit: Unit, period: str, instance: Instance | None = None) -> dict[str, tuple[Flag, ...]]:
    """Per indicator code, the flags of UNIT's triwulan PERIOD as INSTANCE measures it."""
    return flags_of(load_rekap(s, unit, period, instance), unit, s)


__all__ = ["flags_of", "period_flags"]
