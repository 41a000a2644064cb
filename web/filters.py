"""Jinja filters: Indonesian dates in the unit's zone, Indonesian numbers, due-date colours."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from babel.numbers import format_decimal
from flask import Flask, session
from flask_babel import gettext as _

from workflow.domain.limits import NOTE_MAX
from workflow.domain.localtime import waktu_lokal
from workflow.domain.periods import Period, PeriodError
from workflow.domain.plausibility import ABOVE_CEILING, BELOW_TARGET, JUMP, Flag


def _locale() -> str:
    return "id_ID" if session.get("lang", "id") == "id" else "en"


def tanggal(value: datetime | None, timezone: str = "Asia/Jakarta") -> str:
    return waktu_lokal(value, timezone) if value is not None else "-"


def angka(value: Any, places: int | None = None) -> str:
    """`2.973.061.600,00` and `93,35` in Indonesian; `2,973,061,600.00` in English."""
    if value in (None, ""):
        return "-"
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    pattern = "#,##0" + ("." + "0" * places if places else ".##########")
    return format_decimal(number, format=pattern, locale=_locale(), decimal_quantization=places is not None)


def due_class(value: datetime | None, now: datetime) -> str:
    """`overdue`, `due-soon` (within a day) or `` for a task's due time."""
    if value is None:
        return ""
    if value < now:
        return "table-danger"
    if value - now < timedelta(days=1):
        return "table-warning"
    return ""


def is_triwulan(period: object) -> bool:
    """`{% if instance.period is triwulan %}`: a triwulan period (`2024-TW3`), not a year."""
    try:
        return isinstance(period, str) and Period.parse(period).is_triwulan
    except PeriodError:
        return False


def _two(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(Decimal("0.01"))


def flag_text(flag: Flag) -> str:
    """A plausibility flag in words, for the review desk and the Tim SAKIP's steps."""
    if flag.code == ABOVE_CEILING:
        return _("Capaian %(capaian)s%% di atas batas %(limit)s%%: perlu penjelasan",
                 capaian=angka(flag.capaian, 2), limit=angka(flag.limit))  # fmt: skip
    if flag.code == BELOW_TARGET:
        return _("Di bawah target (capaian %(capaian)s%%): perlu hambatan", capaian=angka(flag.capaian, 2))
    if flag.code == JUMP:
        sign = "+" if (flag.change or 0) > 0 else ""
        before, now = angka(_two(flag.previous)), angka(_two(flag.current))
        return _("Lonjakan dari triwulan sebelumnya: %(before)s → %(now)s (%(change)s%%)",
                 before=before, now=now, change=sign + angka(flag.change, 2))  # fmt: skip
    return flag.code


def register_filters(app: Flask) -> None:
    app.jinja_env.filters["flag_text"] = flag_text
    app.jinja_env.filters["tanggal"] = tanggal
    app.jinja_env.tests["triwulan"] = is_triwulan
    app.jinja_env.filters["angka"] = angka
    app.jinja_env.globals["due_class"] = due_class
    app.jinja_env.globals["NOTE_MAX"] = NOTE_MAX
