"""Translation pipeline (scripts/i18n.py) and language choice on the pages.

``test_every_msgid_has_a_zh_tw_translation`` fails while any engineer's string lacks a
translation in their translations/src/<area>.po fragment: that is its purpose.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from flask_babel import force_locale, gettext

from tracker.extensions import db
from tracker.models import Adoption, Status, TrackingChoice
from tracker.services.labels import FLAG, ON_TRACK, label

ROOT = Path(__file__).resolve().parent.parent
# Files whose strings the core (pages/design/i18n) fragment must cover.
CORE_FILES = (
    "templates/base.html",
    "templates/_macros/",
    "templates/errors/",
    "templates/reports/",
    "tracker/services/labels.py",
    "tracker/web/nav.py",
    "tracker/web/reports.py",
)


@pytest.fixture(scope="module")
def i18n():
    spec = importlib.util.spec_from_file_location("i18n_script", ROOT / "scripts" / "i18n.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def extracted(i18n):
    return i18n.extract_catalog()


# --------------------------------------------------------------------------- pipeline


def test_catalog_compiles_without_conflicts(i18n):
    result = i18n.compile_catalog(allow_conflicts=True, quiet=True)
    assert [p.message for p in result.problems] == []
    mo = i18n.CATALOG_DIR / "messages.mo"
    assert mo.is_file() and mo.stat().st_size > 0
    # Babel looks zh_TW up as zh_Hant_TW: the alias must lead to the same catalog.
    alias = i18n.TRANSLATIONS / "zh_Hant_TW" / "LC_MESSAGES" / "messages.mo"
    assert alias.is_file()


def test_compiled_catalog_is_used_at_run_time(app):
    with app.test_request_context("/"):
        with force_locale("zh_TW"):
            assert gettext("Reports") == "出國報告"
            assert label(Status.ON_HOLD) == "暫緩辦理"
        with force_locale("en"):
            assert gettext("Reports") == "Reports"


def test_core_strings_are_translated(i18n, extracted):
    merged = i18n.merge_fragments().catalog
    missing = [
        m for m in i18n.missing_translations(extracted, merged) if any(f.startswith(CORE_FILES) for f, _ in m.locations)
    ]
    assert [m.msgid for m in missing] == []


def test_every_msgid_has_a_zh_tw_translation(i18n, extracted):
    missing = i18n.missing_translations(extracted)
    assert not missing, "untranslated msgids (python scripts/i18n.py check --po prints stubs):\n" + "\n".join(
        f"  {m.msgid!r}  [{', '.join(f'{f}:{n}' for f, n in m.locations[:2])}]" for m in missing
    )


def test_check_command_reports_missing_and_exits_1(i18n, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(i18n, "SRC", tmp_path)  # no fragments at all: everything is missing
    assert i18n.main(["check"]) == 1
    out = capsys.readouterr().out
    assert "missing: 'Reports'" in out


def test_extract_writes_the_template(i18n, tmp_path, monkeypatch):
    monkeypatch.setattr(i18n, "POT", tmp_path / "messages.pot")
    assert i18n.main(["extract"]) == 0
    pot = (tmp_path / "messages.pot").read_text(encoding="utf-8")
    assert 'msgid "Skip to main content"' in pot and "templates/base.html" in pot
    assert 'msgid "Not started"' in pot  # lazy_gettext (_l) is extracted too


def _write(path: Path, entries: dict[str, str]) -> None:
    body = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
    body += "".join(f'msgid "{k}"\nmsgstr "{v}"\n\n' for k, v in entries.items())
    path.write_text(body, encoding="utf-8")


def test_merge_reports_conflicts_instead_of_overriding(i18n, tmp_path):
    _write(tmp_path / "a.po", {"Reports": "出國報告", "Save": "儲存"})
    _write(tmp_path / "b.po", {"Reports": "報告", "Save": "儲存", "Cancel": "取消"})
    result = i18n.merge_fragments(tmp_path)
    assert [p.kind for p in result.problems] == ["conflict"]
    assert "a.po" in result.problems[0].message and "b.po" in result.problems[0].message
    assert result.catalog.get("Reports").string == "出國報告"  # the first fragment is kept
    assert result.catalog.get("Cancel").string == "取消"


def test_merge_rejects_placeholder_mismatch_and_duplicates(i18n, tmp_path):
    _write(tmp_path / "a.po", {"Page %(page)s of %(pages)s": "第 %(page)s 頁，共 %(total)s 頁"})
    (tmp_path / "b.po").write_text('msgid "Save"\nmsgstr "儲存"\n\nmsgid "Save"\nmsgstr "存檔"\n', encoding="utf-8")
    result = i18n.merge_fragments(tmp_path)
    kinds = sorted(p.kind for p in result.problems)
    assert kinds == ["duplicate", "placeholder"]
    assert result.catalog.get("Page %(page)s of %(pages)s") is None  # never compiled into the catalog


def test_empty_or_fuzzy_translations_count_as_missing(i18n, tmp_path):
    (tmp_path / "a.po").write_text(
        'msgid "Reports"\nmsgstr ""\n\n#, fuzzy\nmsgid "Save"\nmsgstr "儲存"\n', encoding="utf-8"
    )
    merged = i18n.merge_fragments(tmp_path).catalog
    from babel.messages.catalog import Catalog

    wanted = Catalog()
    wanted.add("Reports")
    wanted.add("Save")
    assert sorted(m.msgid for m in i18n.missing_translations(wanted, merged)) == ["Reports", "Save"]


@pytest.mark.parametrize("enum_member", [*Status, *Adoption, *TrackingChoice])
def test_every_enum_label_has_a_translation(app, enum_member):
    with app.test_request_context("/"), force_locale("zh_TW"):
        text = label(enum_member)
        assert text and text.isascii() is False, f"{enum_member!r} shows {text!r} in zh-TW"


def test_flag_and_on_track_labels_are_translated(app):
    with app.test_request_context("/"), force_locale("zh_TW"):
        assert [label(k) for k in FLAG] == ["逾期", "即將到期", "久未更新"]
        assert all(not label(k).isascii() for k in ON_TRACK)


# --------------------------------------------------------------------------- language on the pages


@pytest.fixture
def viewer(factory, login):
    user = factory.user("viewer")
    db.session.commit()
    return login(user)


def test_pages_are_zh_tw_by_default(client, viewer):
    html = client.get("/reports").get_data(as_text=True)
    assert '<html lang="zh-TW">' in html
    assert ">出國報告</a>" in html  # the Chinese nav label
    assert "跳到主要內容" in html
    assert 'lang="en" hreflang="en"' in html and ">English<" in html  # the switch offers English


def test_lang_switch_is_remembered_in_the_session(client, viewer):
    html = client.get("/reports?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in html and ">Reports</a>" in html and "Skip to main content" in html
    html = client.get("/reports").get_data(as_text=True)  # no ?lang: remembered
    assert '<html lang="en">' in html and ">Reports</a>" in html
    assert ">中文<" in html
    html = client.get("/reports?lang=zh-TW").get_data(as_text=True)
    assert '<html lang="zh-TW">' in html
    assert '<html lang="zh-TW">' in client.get("/reports").get_data(as_text=True)


def test_lang_switch_link_keeps_the_page_and_its_query(client, factory, viewer):
    rep = factory.report()
    db.session.commit()
    html = client.get(f"/reports/{rep.id}?as_of=2017-12-31").get_data(as_text=True)
    assert f'href="/reports/{rep.id}?as_of=2017-12-31&amp;lang=en"' in html


def test_error_pages_follow_the_language(client, viewer):
    assert "Page not found" in client.get("/no-such-page?lang=en").get_data(as_text=True)
    assert "找不到頁面" in client.get("/no-such-page?lang=zh-TW").get_data(as_text=True)
