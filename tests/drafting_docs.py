"""TEST DATA ONLY: made-up trip reports in other layouts, generated in the tests.

None of these reports exists; names, places, dates and texts are invented to exercise the
section splitter (tracker/services/splitter/) on layouts other than the Israel report.
They are never seeded into the product.
"""

from __future__ import annotations

import io

from tracker.exports.pdf import find_font

# Layout A: 壹、貳、… chapters; basic-data page with labels; the recommendations start on
# the numbered line itself (一、建議…。); 民國 dates with the year repeated.
LAYOUT_A = [
    "【測試資料 TEST DATA：虛構報告】",
    "臺南市政府及所屬各機關出國報告（出國類別：研習）",
    "赴日本考察雨水貯留與再生水利用 出國報告",
    "計畫名稱：赴日本考察雨水貯留與再生水利用",
    "服務機關：臺南市政府水利局",
    "派赴國家/地區：日本（東京、福岡）",
    "出國期間：民國112年3月5日至112年3月12日",
    "報告日期：112年4月20日",
    "目次",
    "壹、目的........3",
    "貳、過程........4",
    "伍、建議事項........12",
    "壹、目的",
    "瞭解日本都市雨水貯留及再生水利用之制度與設施。",
    "貳、過程",
    "一、參訪東京都下水道局",
    "東京都下水道局說明再生水供應大樓沖廁之作法。",
    "二、參訪福岡市水道局",
    "福岡市說明節水型城市之推動經驗。",
    "參、心得",
    "日本城市對水資源循環利用之制度相當完整。",
    "伍、建議事項",
    "一、建議本市新建公有建築物設置雨水貯留設施，並訂定設置基準，以提高雨水利用率。",
    "二、建議擴大再生水供應工業區使用，優先推動永康及安平再生水廠之供水管線建設。",
    "三、建議參考福岡市節水型城市經驗，推動家戶節水器材補助。",
    "陸、附錄",
    "附錄一：參訪照片",
]

# Layout B: 一、二、… chapters; 三、心得與建議 split into (一)心得 and (二)建議 with 1. 2. 3.
LAYOUT_B = [
    "測試資料 TEST DATA（虛構報告）",
    "出國報告（出國類別：考察）",
    "赴新加坡考察智慧交通 出國報告書",
    "服務機關：臺南市政府交通局",
    "派赴國家：新加坡",
    "出國期間：108年10月1日至5日",
    "報告日期：108年11月15日",
    "一、目的",
    "考察新加坡智慧交通之管理。",
    "二、過程",
    "（一）參訪陸路交通管理局",
    "說明電子道路收費系統。",
    "三、心得與建議",
    "（一）心得",
    "1. 新加坡以價制量之交通管理相當有效。",
    "2. 公共運輸轉乘便利。",
    "（二）建議",
    "1. 推動公車動態資訊整合",
    "整合本市公車動態資訊與轉乘資訊，提供市民單一查詢平台。",
    "2. 研議尖峰時段停車差別費率",
    "參考新加坡以價制量之作法，研議市中心尖峰時段停車差別費率。",
    "3. 強化路口號誌智慧控制",
    "於主要幹道路口導入適應性號誌控制系統。",
    "四、附件",
    "行程表",
]

# Layout C: arabic chapters (1. 2. …), an unlabelled 4. 建議 with (1) (2) parts, Gregorian dates.
LAYOUT_C = [
    "TEST DATA — a made-up report for the tests",
    "荷蘭循環經濟考察報告",
    "出國機關：臺南市政府環境保護局",
    "前往國家：荷蘭",
    "出國期間：2019/06/10-2019/06/16",
    "報告日期：2019年7月30日",
    "1. 目的",
    "瞭解荷蘭循環經濟政策。",
    "2. 過程",
    "參訪阿姆斯特丹市政府。",
    "3. 心得",
    "荷蘭政府與企業合作推動資源循環。",
    "4. 建議",
    "(1) 建立營建廢棄物再利用平台：",
    "參考阿姆斯特丹作法，建立本市營建剩餘資源媒合平台。",
    "(2) 推動公部門循環採購：",
    "於本府採購規範納入循環經濟條款。",
]

# No recommendations section at all.
NO_RECOMMENDATIONS = [
    "TEST DATA — a made-up report without recommendations",
    "赴韓國參加研討會 出國報告",
    "服務機關：臺南市政府文化局",
    "一、目的",
    "參加研討會。",
    "二、過程",
    "發表論文。",
    "三、心得",
    "收穫良多。",
]


def as_text(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


def as_docx(lines: list[str]) -> bytes:
    import docx

    document = docx.Document()
    for line in lines:
        document.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def as_odt(lines: list[str]) -> bytes:
    from odfdo import Document, Paragraph

    document = Document("text")
    body = document.body
    body.clear()
    for line in lines:
        body.append(Paragraph(line))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _pdf():
    from fpdf import FPDF

    pdf = FPDF()
    path, index = find_font("")
    pdf.add_font("cjk", fname=path, collection_font_number=index)
    pdf.set_font("cjk", size=11)
    return pdf


def as_pdf(lines: list[str], *, password: str | None = None) -> bytes:
    pdf = _pdf()
    if password:
        pdf.set_encryption(owner_password=password + "-owner", user_password=password)
    pdf.add_page()
    for line in lines:
        pdf.multi_cell(0, 7, line, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
    return bytes(pdf.output())


def scanned_pdf() -> bytes:
    """A PDF whose pages are pictures only (like a scan): shapes, no text layer."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    for i in range(20):
        pdf.rect(20, 20 + i * 12, 150, 6, style="F")
    return bytes(pdf.output())
