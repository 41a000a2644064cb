"""Plausibility of an entered realisasi: the same rules for the page, the API and the CLI.

Two rules refuse an entry without a note, because the evaluators grade exactly these:
- a missed target needs its *hambatan* (and the plan to catch up);
- a capaian to date above the ceiling (default 120 %) needs a *penjelasan*: targets that are
  easily exceeded are what the evaluators call "undervalue" (000:1028).

One rule only flags: a value that jumps from the previous quarter's value beyond the bounds
(default: more than doubles, or falls by more than half) is shown to the Tim SAKIP and the
reviewer, never refused (a quarter can truly differ: 7.01.02.2.04 in Sooko ran 462/428/1.235/1.037,
001:631).

The ceiling and the bounds are set per Kabupaten (or any unit) in the org file under
`plausibility:`; the nearest unit up the chain that sets a key wins.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal

from workflow.domain.indicators import IndicatorRule, Value

HUNDRED = Decimal(100)

#: Flag codes, in the order pages list them.
ABOVE_CEILING = "above_ceiling"
BELOW_TARGET = "below_target"
JUMP = "jump"
FLAG_CODES = (ABOVE_CEILING, BELOW_TARGET, JUMP)

#: The keys the org file's `plausibility:` mapping takes, with what each one means.
KEYS = {
    "capaian_ceiling": "capaian s.d. triwulan (%) above which a penjelasan is required",
    "jump_rise": "rise from the previous quarter's value (%) above which the value is flagged",
    "jump_fall": "fall from the previous quarter's value (%) above which the value is flagged",
}


@dataclass(frozen=True)
class Bounds:
    """Where an entered value stops being plausible without a word of explanation."""

    capaian_ceiling: Decimal = Decimal(120)
    jump_rise: Decimal = Decimal(100)  # more than doubles
    jump_fall: Decimal = Decimal(50)  # falls by more than half

    def merged(self, settings: Mapping[str, object] | None) -> Bounds:
        """These bounds with the keys SETTINGS sets (as stored from the org file)."""
        if not settings:
            return self
        found = {key: Decimal(str(settings[key])) for key in KEYS if settings.get(key) is not None}
        return replace(self, **found)


def bounds_for(chain: Iterable[Mapping[str, object] | None]) -> Bounds:
    """The bounds for a unit from its chain's settings, nearest unit first."""
    bounds = Bounds()
    for settings in reversed(list(chain)):  # the furthest first, so the nearest overrides
        bounds = bounds.merged(settings)
    return bounds


def check_settings(raw: object) -> list[tuple[str, str]]:
    """Problems of an org file's `plausibility:` mapping, as (key, reason); none when it is right."""
    if not isinstance(raw, Mapping):
        return [("", "must be a mapping of " + ", ".join(KEYS))]
    problems = []
    for key, value in raw.items():
        if key not in KEYS:
            problems.append((str(key), f"unknown key; use {', '.join(KEYS)}"))
            continue
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            problems.append((key, "must be a number"))
            continue
        try:
            number = Decimal(str(value))
        except ArithmeticError:
            problems.append((key, "must be a number"))
            continue
        if not number.is_finite() or number <= 0 or number > 100_000:
            problems.append((key, "must be a number above 0 and at most 100000"))
        elif key == "capaian_ceiling" and number < 100:
            problems.append((key, "must be at least 100 (a capaian at target is never implausible)"))
    return problems


@dataclass(frozen=True)
class Flag:
    """Something a reviewer should look at: CODE (one of FLAG_CODES) with the numbers it is about."""

    code: str
    capaian: Decimal | None = None
    limit: Decimal | None = None
    previous: Decimal | None = None
    current: Decimal | None = None
    change: Decimal | None = None  # percent change from the previous quarter, signed


def needs_reason(rule: IndicatorRule, quarter: int, capaian: Decimal | None, quarterly: bool) -> bool:
    """Whether a capaian below target needs its hambatan.

    A running total (sum, cumulative) measured against the annual target is short until the
    year is done; a missed Rencana Aksi quarter target, a missed target in TW IV, or a level
    indicator (last, average) below its target needs a reason.
    """
    if capaian is None or capaian >= HUNDRED:
        return False
    return not (rule.aggregation in ("sum", "cumulative") and quarter < 4 and not quarterly)


def needs_explanation(capaian: Decimal | None, bounds: Bounds) -> bool:
    """Whether a capaian to date is above the ceiling, and so needs a penjelasan."""
    return capaian is not None and capaian > bounds.capaian_ceiling


def quarter_number(value: Value | None) -> Decimal | None:
    """A quarter's own value as one number (a ratio in percent); None for a grade or nothing."""
    if value is None or value.grade is not None:
        return None
    try:
        return value.percent()
    except (ValueError, ArithmeticError):
        return None


def jump(previous: Value | None, current: Value | None, bounds: Bounds) -> Flag | None:
    """A JUMP flag when CURRENT moved from PREVIOUS (the quarter before's own value) beyond the bounds.

    A previous value of zero gives no ratio to judge by, so it is never flagged.
    """
    before, now = quarter_number(previous), quarter_number(current)
    if before is None or now is None or before == 0:
        return None
    change = (now - before) / abs(before) * HUNDRED
    if change > bounds.jump_rise or -change > bounds.jump_fall:
        return Flag(JUMP, previous=before, current=now, change=change)
    return None


def flags(
    rule: IndicatorRule,
    quarter: int,
    capaian: Decimal | None,
    quarterly: bool,
    quarters: Mapping[int, Value],
    bounds: Bounds,
) -> tuple[Flag, ...]:
    """The flags of an indicator's row s.d. QUARTER, from its capaian and its quarters' own values."""
    found: list[Flag] = []
    if needs_explanation(capaian, bounds):
        found.append(Flag(ABOVE_CEILING, capaian=capaian, limit=bounds.capaian_ceiling))
    if needs_reason(rule, quarter, capaian, quarterly):
        found.append(Flag(BELOW_TARGET, capaian=capaian, limit=HUNDRED))
    if quarter > 1:
        moved = jump(quarters.get(quarter - 1), quarters.get(quarter), bounds)
        if moved is not None:
            found.append(moved)
    return tuple(found)


__all__ = [
    "ABOVE_CEILING",
    "BELOW_TARGET",
    "FLAG_CODES",
    "JUMP",
    "KEYS",
    "Bounds",
    "Flag",
    "bounds_for",
    "check_settings",
    "flags",
    "jump",
    "needs_explanation",
    "needs_reason",
]
