"""The section splitter on the Israel report's own text and on made-up layouts (test data)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from tests import drafting_docs as docs
from tracker.services.splitter import (
    NoRecommendations,
    chinese_number,
    clean_paragraphs,
    heading_of,
    parse_roc_date,
    parse_trip,
    split_report,
)

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "seed" / "source" / "israel-2016-trip-report.zh-TW.txt"
SEED_RECS = ROOT / "seed" / "data" / "reports" / "israel-2016" / "recommendations.yaml"


def israel_lines() -> list[str]:
    # The text file keeps Word's bold markers (**); the readers drop them (doctext._txt).
    return SOURCE.read_text(encoding="utf-8").replace("**", "").split("\n")


def test_israel_report_gives_its_five_recommendations_verbatim():
    draft = split_report(israel_lines())
    seed = yaml.safe_load(SEED_RECS.read_text(encoding="utf-8"))["recommendations"]
    assert [r.section for r in draft.recommendations] == ["三(一)", "三(二)", "三(三)", "三(四)", "三(五)"]
    assert [r.title for r in draft.recommendations] == [s["title_zh"] for s in seed]
    # The seed's texts were copied from the report by hand; the splitter finds the same,
    # including 三(三), whose paragraph a page break cut in the middle of a sentence.
    assert [r.text for r in draft.recommendations] == [s["text_zh"] for s in seed]


def test_israel_cover_page_gives_title_agency_destination_and_dates():
    draft = split_report(israel_lines())
    assert draft.title == "赴以色列出席第31屆世界市長會議 出國報告書"
    assert draft.agency == "臺南市政府"
    assert draft.destination == "以色列"
    assert (draft.trip_start, draft.trip_end) == (date(2016, 11, 12), date(2016, 11, 19))
    assert draft.report_date == date(2016, 12, 23)


def test_table_of_contents_and_the_preamble_are_not_recommendations():
    draft = split_report(israel_lines())
    assert draft.section_heading == "三、心得與建議"  # not the TOC line "三、 心得與建議\t21"
    assert draft.section_text.startswith("三、心得與建議\n\n本次赴以色列參加世界市長會議")
    assert all("本次赴以色列參加世界市長會議" not in r.text for r in draft.recommendations)
    assert "效益評估" not in draft.section_text  # section 四 ends it
    assert draft.recommendations[0].source.startswith("(一) 結合產官學研力量，積極扶持新創：")


def test_layout_a_capital_chapters_and_recommendations_on_the_numbered_line():
    draft = split_report(docs.LAYOUT_A)
    assert draft.as_dict() == {
        "title": "赴日本考察雨水貯留與再生水利用",
        "agency": "臺南市政府水利局",
        "trip_start": "2023-03-05",
        "trip_end": "2023-03-12",
        "report_date": "2023-04-20",
        "recommendations": [
            {
                "section": "伍.一",
                "title": "建議本市新建公有建築物設置雨水貯留設施",
                "text": "建議本市新建公有建築物設置雨水貯留設施，並訂定設置基準，以提高雨水利用率。",
            },
            {
                "section": "伍.二",
                "title": "建議擴大再生水供應工業區使用",
                "text": "建議擴大再生水供應工業區使用，優先推動永康及安平再生水廠之供水管線建設。",
            },
            {
                "section": "伍.三",
                "title": "建議參考福岡市節水型城市經驗",
                "text": "建議參考福岡市節水型城市經驗，推動家戶節水器材補助。",
            },
        ],
    }
    assert draft.destination == "日本（東京、福岡）"
    assert "附錄" not in draft.section_text


def test_layout_b_reflections_and_recommendations_split_into_two_parts():
    draft = split_report(docs.LAYOUT_B)
    assert draft.title == "赴新加坡考察智慧交通 出國報告書"
    assert (draft.trip_start, draft.trip_end, draft.report_date) == (
        date(2019, 10, 1),
        date(2019, 10, 5),
        date(2019, 11, 15),
    )
    assert [(r.section, r.title) for r in draft.recommendations] == [
        ("三(二)1", "推動公車動態資訊整合"),
        ("三(二)2", "研議尖峰時段停車差別費率"),
        ("三(二)3", "強化路口號誌智慧控制"),
    ]
    assert draft.recommendations[1].text == "參考新加坡以價制量之作法，研議市中心尖峰時段停車差別費率。"
    assert all("心得" not in r.title for r in draft.recommendations)


def test_layout_c_arabic_numbering_and_gregorian_dates():
    draft = split_report(docs.LAYOUT_C)
    assert draft.as_dict() == {
        "title": "荷蘭循環經濟考察報告",
        "agency": "臺南市政府環境保護局",
        "trip_start": "2019-06-10",
        "trip_end": "2019-06-16",
        "report_date": "2019-07-30",
        "recommendations": [
            {
                "section": "4(1)",
                "title": "建立營建廢棄物再利用平台",
                "text": "參考阿姆斯特丹作法，建立本市營建剩餘資源媒合平台。",
            },
            {"section": "4(2)", "title": "推動公部門循環採購", "text": "於本府採購規範納入循環經濟條款。"},
        ],
    }


def test_no_recommendations_section_is_refused():
    with pytest.raises(NoRecommendations):
        split_report(docs.NO_RECOMMENDATIONS)


def test_a_recommendations_heading_with_nothing_under_it_is_refused():
    with pytest.raises(NoRecommendations):
        split_report(["一、目的", "說明。", "二、建議"])


def test_unnumbered_section_text_becomes_one_recommendation_to_split():
    draft = split_report(["一、目的", "說明。", "二、建議", "應加強跨局處合作。", "另應編列預算。"])
    assert len(draft.recommendations) == 1
    assert draft.recommendations[0].text == "應加強跨局處合作。\n\n另應編列預算。"


def test_a_numbered_list_out_of_sequence_stays_in_the_text():
    draft = split_report(
        ["一、建議", "(一) 第一項", "內容一，引用(三)之說明。", "(三) 誤植的編號", "(二) 第二項", "內容二。"]
    )
    assert [r.section for r in draft.recommendations] == ["一(一)", "一(二)"]
    assert "(三) 誤植的編號" in draft.recommendations[0].text


@pytest.mark.parametrize(
    "line,rank,number",
    [
        ("壹、前言", 0, 1),
        ("拾、附錄", 0, 10),
        ("三、心得與建議", 1, 3),
        ("十二、其他", 1, 12),
        ("(一) 結合", 2, 1),
        ("（二十）其他", 2, 20),
        ("1. 目的", 3, 1),
        ("１．目的", 3, 1),
        ("2、過程", 3, 2),
        ("(3) 小項", 4, 3),
        ("（４）小項", 4, 4),
    ],
)
def test_numbering_styles(line, rank, number):
    head = heading_of(line)
    assert (head.rank, head.number) == (rank, number)


@pytest.mark.parametrize("line", ["2016 年的論壇", "1.5 倍", "三月份", "(如:專門針對生技業)", "一般而言"])
def test_lines_that_are_not_numbered(line):
    assert heading_of(line) is None


def test_chinese_numbers():
    assert [chinese_number(t) for t in ("一", "九", "十", "十一", "二十", "二十三", "伍", "拾")] == [
        1,
        9,
        10,
        11,
        20,
        23,
        5,
        10,
    ]
    assert chinese_number("百") is None


@pytest.mark.parametrize(
    "text,expected",
    [
        ("105年11月12日至19日", (date(2016, 11, 12), date(2016, 11, 19))),
        ("民國112年3月5日至112年3月12日", (date(2023, 3, 5), date(2023, 3, 12))),
        ("112年12月28日至1月3日", (date(2023, 12, 28), None)),  # end before start: not guessed
        ("2019/06/10-2019/06/16", (date(2019, 6, 10), date(2019, 6, 16))),
        ("108年10月1日至11月2日", (date(2019, 10, 1), date(2019, 11, 2))),
        ("未填", (None, None)),
    ],
)
def test_trip_dates(text, expected):
    start, end = parse_trip(text)
    if end is not None and end < start:
        end = None
    assert (start, end) == expected


def test_filing_dates():
    assert parse_roc_date("105年12月23日") == date(2016, 12, 23)
    assert parse_roc_date("中華民國 106 年 1 月 5 日") == date(2017, 1, 5)
    assert parse_roc_date("2019年7月30日") == date(2019, 7, 30)
    assert parse_roc_date("105年13月40日") is None


def test_page_breaks_inside_a_sentence_are_joined_but_titles_are_not():
    long_start = "臺南市近年戮力推動低碳、綠能，並善用臺南日照長及產業鏈完整的優勢，推動計畫，此行益發證明臺南"
    assert clean_paragraphs([long_start, "市的發展方向正確。", "短標題", "下一段。"]) == [
        long_start + "市的發展方向正確。",
        "短標題",
        "下一段。",
    ]
