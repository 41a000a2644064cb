"""Rating scales as data (`workflow/domain/scales/*.yaml`): bands with explicit inclusive or exclusive bounds.

The printed scales have gaps and overlaps (DOMAIN.md §2.7); each file resolves them in comments
citing the seed line, so every value falls in at most one band, and a value outside every band
has no category rather than a guessed one.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

SCALE_DIR = Path(__file__).resolve().parent / "scales"


@dataclass(frozen=True)
class Band:
    grade: str
    label: str
    min: Decimal | None
    min_inclusive: bool
    max: Decimal | None
    max_inclusive: bool

    def contains(self, value: Decimal) -> bool:
        if self.min is not None and (value < self.min or (value == self.min and not self.min_inclusive)):
            return False
        if self.max is not None and (value > self.max or (value == self.max and not self.max_inclusive)):
            return False
        return True


@dataclass(frozen=True)
class Scale:
    name: str
    title: str
    source: str
    bands: tuple[Band, ...]

    def band_for(self, value: Decimal) -> Band | None:
        found = [b for b in self.bands if b.contains(value)]
        if len(found) > 1:
            raise ValueError(f"scale {self.name}: {value} falls in {len(found)} bands")
        return found[0] if found else None

    def rank(self, grade: str) -> int:
        """The grade's place on the scale, lowest first; ValueError if it is not a grade here."""
        grades = [b.grade.upper() for b in self.bands]
        key = grade.strip().upper()
        if key not in grades:
            raise ValueError(
                f"{grade!r} is not a grade of scale {self.name} ({', '.join(b.grade for b in self.bands)})"
            )
        return grades.index(key) + 1


def _decimal(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value))


@cache
def load_scale(name: str) -> Scale:
    """The scale NAME (`ikm`, `sakip`, `ip-asn`, `capaian`); KeyError if there is none."""
    if name not in scale_names():  # a name comes from a workbook: never a path of its own
        raise KeyError(name)
    path = SCALE_DIR / f"{name}.yaml"
    import yaml  # only when a scale is read: `sakip --help` lists the scales' names without it

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    bands = tuple(
        Band(
            grade=str(b["grade"]),
            label=str(b["label"]),
            min=_decimal(b["min"]),
            min_inclusive=bool(b["min_inclusive"]),
            max=_decimal(b["max"]),
            max_inclusive=bool(b["max_inclusive"]),
        )
        for b in data["bands"]
    )
    return Scale(name=str(data["name"]), title=str(data["title"]), source=str(data["source"]), bands=bands)


def scale_names() -> list[str]:
    return sorted(p.stem for p in SCALE_DIR.glob("*.yaml"))
