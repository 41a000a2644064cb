"""Capaian (achievement) of a realisasi against its target, in Decimal with explicit rounding.

- Positive indicator: R / T × 100 (003:414-416).
- Negative indicator: (2T − R) / T × 100, i.e. (T − (R − T)) / T × 100 (003:418-422).
- Categorical grade (B, BB, A, AA …): 100 when the realisasi's grade reaches the target's; below
  it, the ratio of their ranks on the scale (our rule: the seeds show only the 100% case, 003:437).
- Policy per Kabupaten: Jember caps at 100 and floors at 0 (003:410); Mojokerto does not cap
  (it prints 103,65% and 632%). Both round to 2 places, half-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from workflow.domain.scales import load_scale

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class CapaianPolicy:
    name: str
    cap: bool
    places: int = 2

    def finish(self, value: Decimal) -> Decimal:
        if self.cap:
            value = min(max(value, Decimal(0)), HUNDRED)
        return value.quantize(Decimal(1).scaleb(-self.places), rounding=ROUND_HALF_UP)


POLICIES = {
    "mojokerto": CapaianPolicy("mojokerto", cap=False),
    "jember": CapaianPolicy("jember", cap=True),
}


def capaian(
    target: Decimal, realisasi: Decimal, direction: str = "positive", policy: CapaianPolicy = POLICIES["mojokerto"]
) -> Decimal:
    """Capaian in percent, rounded by POLICY; ValueError for a zero target or an unknown direction."""
    if target == 0:
        raise ValueError("target: tidak boleh nol (capaian tidak dapat dihitung)")
    if direction == "positive":
        raw = realisasi / target * HUNDRED
    elif direction == "negative":
        raw = (2 * target - realisasi) / target * HUNDRED
    else:
        raise ValueError(f"direction: {direction!r} bukan positive atau negative")
    return policy.finish(raw)


def capaian_grade(
    target: str, realisasi: str, scale: str = "sakip", policy: CapaianPolicy = POLICIES["mojokerto"]
) -> Decimal:
    """Capaian of a categorical indicator: 100 when the grade reaches the target."""
    s = load_scale(scale)
    t, r = s.rank(target), s.rank(realisasi)
    return policy.finish(HUNDRED if r >= t else Decimal(r) / Decimal(t) * HUNDRED)


def efisiensi(capaian_percent: Decimal, penyerapan_percent: Decimal) -> Decimal:
    """Tingkat Efisiensi = % capaian − % penyerapan anggaran (004:550), to 2 places."""
    return (capaian_percent - penyerapan_percent).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def average(values: list[Decimal]) -> Decimal:
    """The rata-rata capaian of several indicators (003:439), to 2 places, half-up."""
    if not values:
        raise ValueError("no capaian to average")
    return (sum(values, Decimal(0)) / len(values)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
