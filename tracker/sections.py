"""Report section numbers (三(三), 二(四)(1)): Chinese numerals and their English form
(III(3), II(4)(1)), shared by the exports and the spreadsheet import."""

from __future__ import annotations

import re

_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "兩": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_ROMAN = [
    (1000, "M"),
    (900, "CM"),
    (500, "D"),
    (400, "CD"),
    (100, "C"),
    (90, "XC"),
    (50, "L"),
    (40, "XL"),
    (10, "X"),
    (9, "IX"),
    (5, "V"),
    (4, "IV"),
    (1, "I"),
]
_NUMERAL = "[〇零一二兩三四五六七八九十百]+"
_SECTION = re.compile(rf"^\s*({_NUMERAL})?\s*((?:[（(]\s*(?:{_NUMERAL}|\d+)\s*[）)])*)\s*$")
_PART = re.compile(rf"[（(]\s*({_NUMERAL}|\d+)\s*[）)]")


def chinese_number(text: str) -> int | None:
    """一 → 1, 十 → 10, 十二 → 12, 二十三 → 23, 一百零五 → 105; None if not a numeral."""
    if text.isdigit():
        return int(text)
    total, current = 0, 0
    for ch in text:
        if ch in _DIGITS:
            current = _DIGITS[ch]
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
        else:
            return None
    return total + current


def roman(n: int) -> str:
    out = []
    for value, letters in _ROMAN:
        while n >= value:
            out.append(letters)
            n -= value
    return "".join(out)


def section_ref(section: str | None, locale: str) -> str:
    """A report section as the document language writes it: 三(三) stays in zh-TW and reads
    III(3) in English; 二(四)(1) → II(4)(1). Anything else is left as it is."""
    text = (section or "").strip()
    if not text or locale.startswith("zh"):
        return text
    m = _SECTION.match(text)
    if not m or not (m.group(1) or m.group(2)):
        return text
    head = ""
    if m.group(1):
        n = chinese_number(m.group(1))
        if n is None:
            return text
        head = roman(n)
    parts = []
    for p in _PART.findall(m.group(2) or ""):
        n = chinese_number(p)
        if n is None:
            return text
        parts.append(f"({n})")
    return head + "".join(parts)
