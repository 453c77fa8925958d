"""The cover and basic data of a report: title, agency, destination, trip dates and filing
date (民國 dates understood), read from labelled lines.
"""

from __future__ import annotations

import re
from datetime import date

from .outline import normalise

COVER_LABELS = {
    "title": ("報告名稱", "計畫名稱", "報告題目", "出國報告名稱", "題目", "標題"),
    "agency": ("服務機關", "出國機關", "主辦機關", "機關名稱", "報告機關", "出國單位"),
    "destination": (
        "派赴國家/地區",
        "派赴國家／地區",
        "派赴國家",
        "派赴地區",
        "前往國家",
        "出國地點",
        "出國地區",
        "考察地點",
        "前往地區",
    ),
    "trip": ("出國期間", "出國日期", "考察期間", "出國時間", "出國起迄日期"),
    "report_date": ("報告日期", "報告繳交日期", "繳交日期", "填報日期", "完成日期"),
}
_DATE = re.compile(
    r"(?:(?:民國|中華民國)\s*)?(?P<y>\d{2,4})\s*(?:年|[/.\-])\s*(?P<m>\d{1,2})\s*(?:月|[/.\-])\s*(?P<d>\d{1,2})\s*日?"
)
_END_DATE = re.compile(
    r"^\s*(?:至|到|迄|~|～|－|-|—|–)\s*"
    r"(?:(?:(?:民國|中華民國)\s*)?(?P<y>\d{2,4})\s*(?:年|[/.\-])\s*)?"
    r"(?:(?P<m>\d{1,2})\s*(?:月|[/.\-])\s*)?(?P<d>\d{1,2})\s*日?"
)

# --- cover and basic data ----------------------------------------------------------------------


def _labelled(lines: list[str], labels: tuple[str, ...]) -> str:
    for line in lines:
        text = normalise(line)
        for label in labels:
            match = re.match(rf"^{re.escape(label)}\s*[:：]\s*(?P<v>.+)$", text)
            if match:
                return match.group("v").strip()
    return ""


def _to_date(y: int, m: int, d: int) -> date | None:
    if y < 1000:
        y += 1911
    try:
        return date(y, m, d)
    except ValueError:
        return None


def parse_roc_date(text: str) -> date | None:
    """The first date in ``text``: 民國 (105年12月23日, 105/12/23) or Gregorian (2016年12月23日)."""
    match = _DATE.search(normalise(text))
    if not match:
        return None
    return _to_date(int(match.group("y")), int(match.group("m")), int(match.group("d")))


def parse_trip(text: str) -> tuple[date | None, date | None]:
    """出國期間: "105年11月12日至19日", "112年3月5日至112年3月12日", "2023/03/05-2023/03/12"."""
    text = normalise(text)
    match = _DATE.search(text)
    if not match:
        return None, None
    y, m, d = int(match.group("y")), int(match.group("m")), int(match.group("d"))
    start = _to_date(y, m, d)
    tail = _END_DATE.match(text[match.end() :])
    if not tail or start is None:
        return start, None
    ey = int(tail.group("y")) if tail.group("y") else y
    em = int(tail.group("m")) if tail.group("m") else m
    end = _to_date(ey, em, int(tail.group("d")))
    return start, end


def _title(lines: list[str]) -> str:
    labelled = _labelled(lines, COVER_LABELS["title"])
    if labelled:
        return labelled
    candidates = []
    for line in lines[:15]:
        text = normalise(line)
        if re.match(r"^(?:出國報告|公務出國報告)\s*[(（]", text) or ":" in text or "：" in text:
            continue
        if "報告" in text and 4 <= len(text) <= 120:
            candidates.append(text)
    # "…出國報告(書)" / "…考察報告" before a line that only mentions a report somewhere.
    ending = [t for t in candidates if re.search(r"報告(?:書)?$", t)]
    return (ending or candidates or [""])[0]


def extract_cover(lines: list[str]) -> dict:
    cover_lines = lines[:80]
    trip_start, trip_end = parse_trip(_labelled(cover_lines, COVER_LABELS["trip"]))
    if trip_start and trip_end and trip_end < trip_start:
        trip_end = None
    return {
        "title": _title(cover_lines),
        "agency": _labelled(cover_lines, COVER_LABELS["agency"]),
        "destination": _labelled(cover_lines, COVER_LABELS["destination"]),
        "trip_start": trip_start,
        "trip_end": trip_end,
        "report_date": parse_roc_date(_labelled(cover_lines, COVER_LABELS["report_date"])),
    }
