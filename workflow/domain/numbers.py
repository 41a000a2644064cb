"""Read numbers as offices write them: `93,35`, `93.35`, `2.975.061.600,00`, `2,975,061,600.00`.

Both Indonesian (dot thousands, comma decimals) and English styles are accepted. A form that
could be read both ways, `1.234` or `1,234` (one separator followed by exactly three digits),
is refused with a message asking for the unambiguous form: it is never guessed.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

_INDONESIAN = re.compile(r"^(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$")
_ENGLISH = re.compile(r"^(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")
_AMBIGUOUS = re.compile(r"^[1-9]\d{0,2}[.,]\d{3}$")
MAX_DIGITS = 28


class NumberError(ValueError):
    """A number that cannot be read, or could be read two ways; the message says which."""


def parse_number(text: str, field: str = "nilai") -> Decimal:
    """Parse TEXT into a Decimal, or raise NumberError naming FIELD and the reason (in Indonesian)."""
    raw = text.strip() if isinstance(text, str) else ""
    cleaned = re.sub(r"^(rp\.?)\s*", "", raw, flags=re.IGNORECASE).replace(" ", "").removesuffix("%")
    negative = cleaned.startswith("-")
    body = cleaned[1:] if negative else cleaned
    if not body:
        raise NumberError(f"{field}: wajib diisi dengan angka")
    if _AMBIGUOUS.match(body):
        digits = body.replace(".", "").replace(",", "")
        whole, frac = body.replace(",", ".").split(".")
        raise NumberError(
            f"{field}: {raw!r} dapat dibaca dua cara; tulis {digits} untuk ribuan, atau {whole},{frac}0 untuk desimal"
        )
    # A thousands group never starts with 0, so "0.125" and "0,125" can only be decimals.
    indonesian = bool(_INDONESIAN.match(body)) and not body.startswith("0.")
    english = bool(_ENGLISH.match(body)) and not body.startswith("0,")
    if indonesian and english:
        normalised = body  # plain digits: both readings agree
    elif indonesian:
        normalised = body.replace(".", "").replace(",", ".")
    elif english:
        normalised = body.replace(",", "")
    else:
        raise NumberError(f"{field}: {raw!r} bukan angka (contoh: 93,35 atau 2.975.061.600,00)")
    if len(normalised.replace(".", "")) > MAX_DIGITS:
        raise NumberError(f"{field}: {raw!r} terlalu panjang")
    try:
        value = Decimal(normalised)
    except InvalidOperation:
        raise NumberError(f"{field}: {raw!r} bukan angka") from None
    return -value if negative else value


def format_id(value: object, places: int | None = None) -> str:
    """Write a number the Indonesian way: `2.973.061.600,00`, `93,35`; `-` for nothing.

    PLACES fixes the decimals (rounded half-up); without it the number keeps its own. Text that
    is not a number (a grade, `400/402`) has each numeric part written so and the rest kept."""
    if value is None or value == "":
        return "-"
    text = str(value)
    if "/" in text:
        return "/".join(format_id(part, places) for part in text.split("/"))
    try:
        number = Decimal(text)
    except InvalidOperation:
        return text
    if not number.is_finite():
        return text
    if places is not None:
        number = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    sign, digits = ("-", -number) if number < 0 else ("", number)
    whole, _, fraction = f"{digits:f}".partition(".")
    grouped = f"{int(whole):,}".replace(",", ".")
    return sign + grouped + ("," + fraction if fraction else "")
