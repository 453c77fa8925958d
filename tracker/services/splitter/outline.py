"""A trip report's outline: the numbering styles (壹、 一、 (一) 1. (1)) and how a line is read
as a numbered heading, the section titles, the draft types (``DraftReport``,
``DraftRecommendation``), and cleaning the paragraphs (page furniture out, broken lines
joined).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

CAPITALS = "壹貳參肆伍陸柒捌玖拾"
DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
NUMERAL = "[一二三四五六七八九十]{1,3}"

# (rank, pattern). Each pattern captures the numeral (``n``) and the rest of the line (``rest``).
STYLES: list[tuple[int, re.Pattern[str]]] = [
    (0, re.compile(rf"^(?P<n>[{CAPITALS}]{{1,2}})\s*[、.．]\s*(?P<rest>.*)$")),
    (1, re.compile(rf"^(?P<n>{NUMERAL})\s*[、.．]\s*(?P<rest>.*)$")),
    (2, re.compile(rf"^[(（]\s*(?P<n>{NUMERAL})\s*[)）]\s*[、.．]?\s*(?P<rest>.*)$")),
    (3, re.compile(r"^(?P<n>\d{1,2})\s*(?:[、．]|\.(?!\d))\s*(?P<rest>.*)$")),
    (4, re.compile(r"^[(（]\s*(?P<n>\d{1,2})\s*[)）]\s*[、.．]?\s*(?P<rest>.*)$")),
]
PARENTHESISED = {2, 4}

# Titles of a recommendations section (建議 / 建議事項 / 心得與建議 …) and of the sections
# that come after it and end it even when they are not numbered.
SECTION_TITLE = re.compile(
    r"^(?:(?:心得|結論|感想|檢討)\s*(?:與|及|和|暨|、)\s*)?(?:具體|政策|改進|改善)?\s*建議(?:事項|意見)?"
    r"(?:\s*(?:與|及|和|暨|、)\s*(?:心得|結論|感想))?$"
    r"|^recommendations?$",
    re.IGNORECASE,
)
TRAILING_HEADINGS = re.compile(r"^(?:附錄|附件|參考(?:資料|文獻|書目)|附表|效益評估)")
# A line of a table of contents: dots or a tab, then a page number.
TOC_LINE = re.compile(r"(?:\.{2,}|…+|\t|\s{2,})\s*\d{1,3}\s*$")
# Where a sentence's first clause ends (a title made from a long numbered line).
CLAUSE_END = r"[，,。；;：:！？]"
# A cover or basic-data field: "服務機關：…".
LABEL = re.compile(r"^[^：:\s]{2,12}[：:]")
SENTENCE_END = "。！？!?：:；;」』）)】.…"


class NoRecommendations(ValueError):
    """The text has no recognisable recommendations section (or an empty one)."""


@dataclass
class Heading:
    rank: int
    number: int
    label: str  # the numeral as written, e.g. "三", "(一)", "2"
    rest: str


@dataclass
class DraftRecommendation:
    section: str
    title: str
    text: str
    source: str  # the verbatim lines of the document this part was taken from

    def as_dict(self) -> dict:
        return {"section": self.section, "title": self.title, "text": self.text}


@dataclass
class DraftReport:
    title: str = ""
    agency: str = ""
    destination: str = ""
    trip_start: date | None = None
    trip_end: date | None = None
    report_date: date | None = None
    section_heading: str = ""
    section_text: str = ""
    recommendations: list[DraftRecommendation] = field(default_factory=list)

    def as_dict(self) -> dict:
        """The shape ``draft-report --json`` prints."""
        return {
            "title": self.title or None,
            "agency": self.agency or None,
            "trip_start": self.trip_start.isoformat() if self.trip_start else None,
            "trip_end": self.trip_end.isoformat() if self.trip_end else None,
            "report_date": self.report_date.isoformat() if self.report_date else None,
            "recommendations": [r.as_dict() for r in self.recommendations],
        }


# --- numbering -------------------------------------------------------------------------------


def normalise(line: str) -> str:
    """Full-width ASCII to half-width (digits, brackets, dots), spaces collapsed; CJK unchanged."""
    out = []
    for ch in line:
        if "\uff01" <= ch <= "\uff5e" and ch not in "（），：；．、":
            ch = unicodedata.normalize("NFKC", ch)
        elif ch == "\u3000" or ch == "\xa0":
            ch = " "
        out.append(ch)
    return re.sub(r"[ \t]+", " ", "".join(out)).strip()


def chinese_number(text: str) -> int | None:
    """一 … 九十九 (and the capitals 壹 … 拾) as an int."""
    text = text.translate(str.maketrans(CAPITALS, "一二三四五六七八九十"))
    if not text:
        return None
    if text == "十":
        return 10
    if "十" in text:
        tens, _, ones = text.partition("十")
        t = DIGITS.get(tens, None) if tens else 1
        o = DIGITS.get(ones, None) if ones else 0
        if t is None or o is None:
            return None
        return t * 10 + o
    if len(text) == 1 and text in DIGITS:
        return DIGITS[text]
    return None


def heading_of(line: str) -> Heading | None:
    """The numbering at the start of ``line``, or None."""
    text = normalise(line)
    for rank, pattern in STYLES:
        match = pattern.match(text)
        if not match:
            continue
        raw = match.group("n")
        number = int(raw) if raw.isdigit() else chinese_number(raw)
        if number is None or number == 0:
            continue
        label = f"({raw})" if rank in PARENTHESISED else raw
        return Heading(rank, number, label, match.group("rest").strip())
    return None


def _section_title(text: str) -> bool:
    bare = re.sub(r"[\s:：]+$", "", text).replace(" ", "")
    return bool(SECTION_TITLE.match(bare))


# --- paragraphs ------------------------------------------------------------------------------


def clean_paragraphs(paragraphs: list[str]) -> list[str]:
    """Non-empty paragraphs, stripped; a paragraph cut by a page break (it does not end a
    sentence and the next one is not numbered) is joined to the next one."""
    lines = [p.strip() for p in paragraphs if p and p.strip()]
    out: list[str] = []
    for line in lines:
        if out and _continues(out[-1], line):
            out[-1] += line
        else:
            out.append(line)
    return out


def _continues(previous: str, line: str) -> bool:
    if not previous or previous[-1] in SENTENCE_END:
        return False
    if heading_of(previous) is not None or heading_of(line) is not None:
        return False
    if TOC_LINE.search(previous) or len(previous) < 40 or LABEL.match(line):
        return False  # short lines are titles, captions or cover fields, not cut sentences
    first = line[0]
    return _is_cjk(previous[-1]) and (_is_cjk(first) or first in "「『（(")


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"
