"""Finding the recommendations section (建議) and splitting it into its numbered parts, each
with its section number, title and verbatim text.
"""

from __future__ import annotations

import re

from .outline import (
    CLAUSE_END,
    TOC_LINE,
    TRAILING_HEADINGS,
    DraftRecommendation,
    Heading,
    NoRecommendations,
    _section_title,
    heading_of,
    normalise,
)


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
