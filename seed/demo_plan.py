"""The demo history's plan: what each department reports on which date, what the commission
decides, and the accounts' domain. Every text is invented (and marked 「示範資料」 when written).

``seed.demo`` writes this plan into the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from tracker.models import Status, TrackingChoice

__all__ = ["DECISIONS", "DEMO_DOMAIN", "DEMO_REPORT", "PLAN", "YEAR_END_MEETING", "Step"]

DEMO_DOMAIN = "demo.tainan.example"
EVIDENCE_BASE = f"https://{DEMO_DOMAIN}/evidence/"

# Which report the demo history is written for (the first report when it is missing).
DEMO_REPORT = "israel-2016"


@dataclass(frozen=True)
class Step:
    """One half-yearly status update in the demo plan and what the reviewer does with it."""

    effective: date
    status: Status
    progress: int
    narrative: str
    review: str | None = "approve"  # "approve", "return" (then resubmitted and approved) or None (pending)
    comment: str = ""
    reason: str = ""
    evidence: str = ""
    measurements: tuple[tuple[str, str], ...] = ()  # (indicator code, value)
    resubmission: str = ""  # narrative of the corrected update after a return


H1_2017, H2_2017, H1_2018, H2_2018 = date(2017, 6, 30), date(2017, 12, 31), date(2018, 6, 30), date(2018, 12, 31)
IP, ONGOING, PLANNING = Status.IN_PROGRESS, Status.ONGOING, Status.PLANNING

PLAN: dict[str, tuple[Step, ...]] = {
    "R1-01": (
        Step(H1_2017, IP, 20, "盤點藍曬圖園區、BIG O、BIG O2 及胖地之營運現況，研擬整合輔導資源。"),
        Step(H2_2017, IP, 40, "各基地持續營運，辦理創業輔導及交流活動。"),
        Step(H1_2018, ONGOING, 60, "新創育成已納入年度例行業務，持續辦理。"),
        Step(H2_2018, ONGOING, 70, "持續辦理，並參考以色列新創基地四項目標調整輔導內容。"),
    ),
    "R1-03": (
        Step(H1_2017, PLANNING, 5, "蒐集耶路撒冷影視產業支持措施資料。"),
        Step(H2_2017, Status.ON_HOLD, 5, "配合中央影城規劃期程，暫緩辦理。", reason="示範資料：待中央影城計畫確定。"),
    ),
    "R2-01": (
        Step(H1_2017, IP, 30, "彙整警察局、交通局運用路口監視器影像之情形。"),
        Step(H2_2017, IP, 45, "與災害防救辦公室、工務局研商災情掌握之影像運用。"),
        Step(
            H1_2018,
            IP,
            60,
            "持續推動路口監視器影像跨局處運用。",
            review="return",
            comment="示範資料：請補充各局處實際運用情形。",
            resubmission="已補充交通局、災害防救辦公室及工務局之運用情形。",
        ),
        Step(H2_2018, IP, 75, "跨局處運用機制運作中。"),
    ),
    "R3-01": (
        Step(
            H1_2017,
            ONGOING,
            50,
            "陽光電城計畫持續推動。",
            measurements=(("pv-capacity", "230"), ("pv-generation", "280")),
        ),
        Step(
            H2_2017,
            ONGOING,
            60,
            "持續受理太陽光電設置案件。",
            measurements=(("pv-capacity", "265"), ("pv-generation", "320")),
        ),
        Step(
            H1_2018,
            ONGOING,
            70,
            "持續推動，並宣導低碳城市自治條例。",
            measurements=(("pv-capacity", "300"), ("pv-generation", "365")),
        ),
        Step(
            H2_2018,
            ONGOING,
            80,
            "持續推動陽光電城計畫。",
            review=None,
            measurements=(("pv-capacity", "340"), ("pv-generation", "410")),
        ),
    ),
    "R3-02": (
        Step(H1_2017, PLANNING, 10, "辦理再生水計畫規劃作業。"),
        Step(H2_2017, IP, 30, "再生水計畫推動中。"),
        Step(H1_2018, IP, 50, "再生水計畫持續推動。"),
        Step(H2_2018, IP, 65, "再生水計畫持續推動。"),
    ),
    "R4-01": (
        Step(H2_2017, PLANNING, 10, "研擬長期人才培育規劃，洽詢各級學校合作意願。"),
        Step(H1_2018, IP, 25, "與學校研商綠能及影視相關課程合作。"),
        Step(H2_2018, IP, 35, "持續推動學校合作。"),
    ),
    "R5-01": (
        Step(H2_2017, IP, 20, "與若娜娜市聯繫，研商交流項目。"),
        Step(H1_2018, ONGOING, 40, "姊妹市交流納入年度國際交流業務。"),
        Step(H2_2018, ONGOING, 50, "持續辦理姊妹市交流。"),
    ),
    "R5-03": (
        Step(H1_2017, IP, 40, "已致函若娜娜市，洽詢訪問時程。"),
        Step(H2_2017, Status.COMPLETED, 100, "訪問已完成（示範情境）。", evidence=EVIDENCE_BASE + "R5-03"),
    ),
}

# The commission's year-end reviews (列管建議 and 審核意見 for the year): every item of the
# report for 2017, recorded at the review meeting in January 2018; for 2018 only R2-01 so
# far, so the 2018 summary is still a draft. (item, year, decision, opinion)
YEAR_END_MEETING = {2017: date(2018, 1, 20), 2018: date(2019, 1, 20)}
DECISIONS: tuple[tuple[str, int, TrackingChoice, str], ...] = (
    ("R1-01", 2017, TrackingChoice.CONTINUE, "尚在辦理中，繼續列管。"),
    ("R1-02", 2017, TrackingChoice.CONTINUE, "本年度未提報辦理情形，請主辦機關於下期提報，繼續列管。"),
    ("R1-03", 2017, TrackingChoice.CONTINUE, "配合中央期程暫緩辦理，繼續列管。"),
    ("R2-01", 2017, TrackingChoice.CONTINUE, "跨局處運用推動中，繼續列管。"),
    ("R2-02", 2017, TrackingChoice.CONTINUE, "本年度未提報辦理情形，請主辦機關於下期提報，繼續列管。"),
    ("R3-01", 2017, TrackingChoice.SELF_TRACK, "已納入陽光電城計畫例行推動，改由主辦機關自行列管。"),
    ("R3-02", 2017, TrackingChoice.CONTINUE, "再生水計畫推動中，繼續列管。"),
    ("R3-03", 2017, TrackingChoice.CONTINUE, "本年度未提報辦理情形，請主辦機關於下期提報，繼續列管。"),
    ("R3-04", 2017, TrackingChoice.CONTINUE, "本年度未提報辦理情形，請主辦機關於下期提報，繼續列管。"),
    ("R4-01", 2017, TrackingChoice.CONTINUE, "規劃中，繼續列管。"),
    ("R5-01", 2017, TrackingChoice.CONTINUE, "交流項目研商中，繼續列管。"),
    ("R5-02", 2017, TrackingChoice.CONTINUE, "本年度未提報辦理情形，請主辦機關於下期提報，繼續列管。"),
    ("R5-03", 2017, TrackingChoice.RELEASE, "事項已完成（示範情境），解除列管。"),
    ("R5-04", 2017, TrackingChoice.CONTINUE, "本年度未提報辦理情形，請主辦機關於下期提報，繼續列管。"),
    ("R2-01", 2018, TrackingChoice.CONTINUE, "持續擴充跨局處運用，繼續列管。"),
)
