"""Find a trip report's recommendations in its own text (pure functions, no database).

Trip reports follow a standard outline (目的, 過程, 心得, 建議). ``split_report`` takes the
report's paragraphs (from ``doctext``) and returns the cover data it can find (title,
agency, destination, trip dates, filing date; 民國 dates understood) and the
recommendations section split into its numbered parts, each with its section number,
title and verbatim text. docs/drafting.md describes the rules with examples.

Numbering styles, from the highest level down (a report may start at any of them):

====  ==========================  ===================
rank  style                       example
====  ==========================  ===================
0     capital numerals            壹、 貳、 參、
1     numerals                    一、 二、 三、
2     numerals in parentheses     (一) （二）
3     arabic numerals             1. 2、 ３．
4     arabic in parentheses       (1) （2）
====  ==========================  ===================
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


# --- the recommendations section ---------------------------------------------------------------


def _find_section(lines: list[str]) -> tuple[int, Heading | None] | None:
    """Index and numbering of the recommendations heading (the last one that is not a
    table-of-contents line and has text under it)."""
    found = None
    for i, line in enumerate(lines):
        if TOC_LINE.search(line):
            continue
        head = heading_of(line)
        title = head.rest if head else normalise(line)
        if len(title) > 20 or not _section_title(title):
            continue
        if i + 1 < len(lines):
            found = (i, head)
    return found


def _section_end(lines: list[str], start: int, head: Heading | None, item_rank: int | None) -> int:
    for j in range(start + 1, len(lines)):
        line = normalise(lines[j])
        if TRAILING_HEADINGS.match(line) and len(line) <= 20:
            return j
        h = heading_of(line)
        if h is None:
            continue
        if head is not None and h.rank <= head.rank:
            return j
        if head is None and item_rank is not None and h.rank < item_rank:
            return j
    return len(lines)


def _first_item_rank(lines: list[str], head: Heading | None) -> int | None:
    floor = head.rank if head is not None else -1
    for line in lines:
        h = heading_of(line)
        if h is not None and h.rank > floor and h.number == 1:
            return h.rank
    return None


def _split_items(body: list[str], item_rank: int) -> tuple[list[str], list[tuple[Heading, list[str], str]]]:
    """Preamble lines and the items: (heading, text lines, source lines)."""
    preamble: list[str] = []
    items: list[tuple[Heading, list[str], list[str]]] = []
    expected = 1
    for line in body:
        h = heading_of(line)
        if h is not None and h.rank == item_rank and h.number == expected:
            items.append((h, [], [line]))
            expected += 1
            continue
        if items:
            items[-1][1].append(line)
            items[-1][2].append(line)
        else:
            preamble.append(line)
    return preamble, [(h, text, "\n\n".join(src)) for h, text, src in items]


def _title_and_text(rest: str, lines: list[str]) -> tuple[str, str]:
    """A short heading is the title and the lines under it the text; a long one (the
    recommendation itself starts on the numbered line) gives its first clause as title."""
    rest = rest.strip()
    short = len(rest) <= 60 and "。" not in rest.rstrip("。")
    if short and lines:
        return rest.rstrip("：:").strip(), "\n\n".join(lines)
    text = "\n\n".join([rest, *lines]) if rest else "\n\n".join(lines)
    first = re.split(CLAUSE_END, rest, maxsplit=1)[0].strip() if rest else ""
    if len(first) > 40:
        first = first[:40] + "…"
    return first, text


def _join(prefix: str, label: str) -> str:
    """Section number of a part: 三 + (一) = 三(一); 三(二) + 1 = 三(二)1; 伍 + 一 = 伍.一."""
    if not prefix or label.startswith("(") or prefix.endswith(")"):
        return f"{prefix}{label}"
    return f"{prefix}.{label}"


def _parent_label(lines: list[str], start: int, head: Heading) -> str:
    """The label of the heading that encloses a nested recommendations heading, e.g. 三 for
    (二)建議 under 三、心得與建議 ("" at the top level)."""
    for j in range(start - 1, -1, -1):
        if TOC_LINE.search(lines[j]):
            return ""
        h = heading_of(lines[j])
        if h is not None and h.rank < head.rank:
            return h.label
    return ""


def split_recommendations(lines: list[str]) -> tuple[str, str, list[DraftRecommendation]]:
    """(section heading, section text, recommendations) of the cleaned paragraphs."""
    found = _find_section(lines)
    if found is None:
        raise NoRecommendations("no recommendations section (建議 / 建議事項 / 心得與建議) was found")
    start, head = found
    end_guess = _section_end(lines, start, head, None)
    item_rank = _first_item_rank(lines[start + 1 : end_guess], head)
    end = _section_end(lines, start, head, item_rank) if head is None else end_guess
    body = lines[start + 1 : end]
    if not body:
        raise NoRecommendations("the recommendations section is empty")
    heading_line = lines[start]
    section_text = "\n\n".join([heading_line, *body])
    prefix = _parent_label(lines, start, head) + head.label if head is not None else ""

    if item_rank is None:
        # No numbered parts: the whole section is one recommendation for the admin to split.
        title = head.rest if head else normalise(heading_line)
        return (
            heading_line,
            section_text,
            [DraftRecommendation(prefix, re.sub(r"[\s:：]+$", "", title), "\n\n".join(body), "\n\n".join(body))],
        )

    preamble, items = _split_items(body, item_rank)
    # 心得與建議 split into (一)心得 and (二)建議: the recommendations are the 建議 part.
    for h, text_lines, _src in items:
        if _section_title(h.rest) and "心得" not in h.rest and text_lines:
            sub_rank = _first_item_rank(text_lines, h)
            if sub_rank is not None:
                _pre, sub_items = _split_items(text_lines, sub_rank)
                prefix = _join(prefix, h.label)
                items = sub_items
                break
    recs = []
    for h, text_lines, src in items:
        title, text = _title_and_text(h.rest, text_lines)
        recs.append(DraftRecommendation(_join(prefix, h.label), title, text, src))
    if not recs:
        raise NoRecommendations("the recommendations section has no numbered parts")
    return heading_line, section_text, recs


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


def split_report(paragraphs: list[str]) -> DraftReport:
    """The draft of a report from its paragraphs. Raises NoRecommendations."""
    lines = clean_paragraphs(paragraphs)
    heading, section_text, recs = split_recommendations(lines)
    return DraftReport(**extract_cover(lines), section_heading=heading, section_text=section_text, recommendations=recs)
