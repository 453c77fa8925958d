"""One rounding rule and one way of writing numbers and percentages.

Every page, chart and document rounds the same way: halves away from zero (22.5 % → 23 %,
37.5 % → 38 %, −0.5 → −1), not Python's ``round`` (halves to even: 22.5 → 22). A float is
read through its shortest decimal form (``str(0.125)``), so 37.45 rounds as the 37.45 people
see, not as the binary 37.4499999…

Percentages are written as whole numbers by default with the sign right after the number:
``38%`` (``percent(37.5)``); ``percent(33.75, 1)`` is ``33.8%``.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

__all__ = ["rounded", "percent", "number", "file_size"]


def rounded(value: Any, digits: int = 0) -> Decimal | None:
    """``value`` rounded to ``digits`` decimals, halves away from zero; None for None and
    for values that are not finite numbers."""
    if value is None or isinstance(value, bool):
        return None
    try:
        d = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None
    if not d.is_finite():
        return None
    out = d.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return out if out != 0 else abs(out)  # never "-0"


def percent(value: Any, digits: int = 0, empty: str = "—", sign: bool = True) -> str:
    """``38%``: the value (0–100) rounded by the one rule; ``sign=False`` leaves out the %."""
    r = rounded(value, digits)
    if r is None:
        return empty
    text = f"{r:f}"
    return f"{text}%" if sign else text


def number(value: Any, digits: int = 2, empty: str = "—") -> str:
    """Thousands separators, at most ``digits`` decimals, trailing zeros dropped
    (80.00 → 80, 2.4950 → 2.5 with digits=2 → 2.5)."""
    r = rounded(value, digits)
    if r is None:
        return empty
    if r == r.to_integral_value():
        return f"{int(r):,}"
    return f"{r:,.{digits}f}".rstrip("0").rstrip(".")


def file_size(n_bytes: Any, empty: str = "—") -> str:
    """A file's size, one way everywhere: ``0.4 KB``, ``12.3 KB``, ``1.2 MB`` (1 KB = 1,024
    bytes, one decimal, halves away from zero, trailing .0 dropped). A non-empty file is
    never "0 KB": anything under 0.1 KB is written 0.1 KB."""
    if n_bytes is None or isinstance(n_bytes, bool):
        return empty
    try:
        n = int(n_bytes)
    except (TypeError, ValueError):
        return empty
    if n <= 0:
        return "0 KB"
    if n < 1024 * 1024:
        kb = rounded(n / 1024, 1)
        return f"{number(max(kb, Decimal('0.1')), 1)} KB"
    if n < 1024**3:
        return f"{number(n / 1024**2, 1)} MB"
    return f"{number(n / 1024**3, 1)} GB"
