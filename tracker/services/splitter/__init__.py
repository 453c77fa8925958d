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

The package: ``outline`` (numbering styles, headings, the draft types, paragraph cleaning),
``sections`` (the recommendations section and its parts) and ``cover`` (the cover data);
``split_report`` puts them together.
"""

from .cover import COVER_LABELS, extract_cover, parse_roc_date, parse_trip
from .outline import (
    CLAUSE_END,
    LABEL,
    SENTENCE_END,
    DraftRecommendation,
    DraftReport,
    Heading,
    NoRecommendations,
    chinese_number,
    clean_paragraphs,
    heading_of,
    normalise,
)
from .sections import split_recommendations


def split_report(paragraphs: list[str]) -> DraftReport:
    """The draft of a report from its paragraphs. Raises NoRecommendations."""
    lines = clean_paragraphs(paragraphs)
    heading, section_text, recs = split_recommendations(lines)
    return DraftReport(**extract_cover(lines), section_heading=heading, section_text=section_text, recommendations=recs)


__all__ = [
    "CLAUSE_END",
    "COVER_LABELS",
    "LABEL",
    "SENTENCE_END",
    "DraftRecommendation",
    "DraftReport",
    "Heading",
    "NoRecommendations",
    "chinese_number",
    "clean_paragraphs",
    "extract_cover",
    "heading_of",
    "normalise",
    "parse_roc_date",
    "parse_trip",
    "split_recommendations",
    "split_report",
]
