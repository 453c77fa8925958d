"""The translation catalog (one gettext catalog, Babel's tools) and language choice on the pages.

``test_every_msgid_has_a_zh_tw_translation`` fails while a string in code or templates lacks
a translation in translations/zh_Hant_TW/LC_MESSAGES/messages.po: that is its purpose
(``make i18n-update`` adds the new msgids to the catalog, untranslated).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel import Locale
from flask_babel import force_locale, gettext

from tests import catalog as cat
from tracker.extensions import db
from tracker.models import Adoption, Status, TrackingChoice
from tracker.services.labels import FLAG, ON_TRACK, label

ROOT = Path(__file__).resolve().parent.parent
# Files whose strings must always be translated (the frame of every page).
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
def extracted():
    return cat.extract()


@pytest.fixture(scope="module")
def catalog():
    return cat.read()


# --------------------------------------------------------------------------- the catalog


def test_there_is_one_catalog_where_flask_babel_looks():
    """Babel turns the locale zh_TW into zh_Hant_TW; the one catalog lives under that name."""
    assert str(Locale.parse("zh_TW")) == cat.CATALOG_LOCALE
    catalogs = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "translations").rglob("*.po"))
    assert catalogs == ["translations/zh_Hant_TW/LC_MESSAGES/messages.po"]
    assert not (ROOT / "translations" / "zh_TW").exists()  # no alias, no second copy


def test_compiled_catalog_is_used_at_run_time(app):
    with app.test_request_context("/"):
        with force_locale("zh_TW"):
            assert gettext("Reports") == "出國報告"
            assert label(Status.ON_HOLD) == "暫緩辦理"
        with force_locale("en"):
            assert gettext("Reports") == "Reports"


def test_core_strings_are_translated(extracted, catalog):
    missing = [m for m in cat.missing(extracted, catalog) if any(f.startswith(CORE_FILES) for f, _ in m.locations)]
    assert [m.msgid for m in missing] == []


def test_every_msgid_has_a_zh_tw_translation(extracted, catalog):
    missing = cat.missing(extracted, catalog)
    assert not missing, "untranslated msgids (make i18n-update, then translate them in messages.po):\n" + "\n".join(
        f"  {m.msgid!r}  [{', '.join(f'{f}:{n}' for f, n in m.locations[:2])}]" for m in missing
    )


def test_messages_pot_lists_every_msgid(extracted):
    """translations/messages.pot is committed: it must be what `make i18n-extract` writes."""
    pot = cat.read(cat.POT)
    stale = [m.id for m in extracted if m.id and pot.get(m.id, m.context) is None]
    assert stale == [], "messages.pot is out of date (make i18n-update): " + repr(stale[:10])


def test_no_translation_breaks_its_placeholders(catalog):
    assert cat.placeholder_problems(catalog) == []


def test_the_checks_find_what_is_missing_fuzzy_or_broken(tmp_path):
    """The checks above can fail: an empty, a fuzzy and a misplaced-placeholder translation."""
    po = tmp_path / "messages.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Reports"\nmsgstr ""\n\n'
        '#, fuzzy\nmsgid "Save"\nmsgstr "儲存"\n\n'
        'msgid "Cancel"\nmsgstr "取消"\n\n'
        'msgid "Page %(page)s of %(pages)s"\nmsgstr "第 %(page)s 頁，共 %(total)s 頁"\n',
        encoding="utf-8",
    )
    broken = cat.read(po)
    from babel.messages.catalog import Catalog

    wanted = Catalog()
    for msgid in ("Reports", "Save", "Cancel", "Help"):
        wanted.add(msgid)
    assert sorted(m.msgid for m in cat.missing(wanted, broken)) == ["Help", "Reports", "Save"]
    assert len(cat.placeholder_problems(broken)) == 1


def test_extraction_keywords_are_the_makefiles():
    """tests/catalog.py extracts with the same keywords and directories as `make i18n-extract`."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    line = re.search(r"^I18N_KEYWORDS\s*:=(.*)$", makefile, re.M).group(1)
    assert sorted(re.findall(r"-k (\S+?)(?::\S+)?(?=\s|$)", line)) == sorted(cat.EXTRA_KEYWORDS)
    ignored = re.search(r'--ignore-dirs "([^"]*)"', makefile).group(1).split()
    assert set(ignored) == {".*", *cat.IGNORED_DIRS}


def test_pybabel_compiles_the_catalog(tmp_path):
    """`make translations` is `pybabel compile`: it accepts the catalog as committed."""
    tree = tmp_path / "translations" / cat.CATALOG_LOCALE / "LC_MESSAGES"
    tree.mkdir(parents=True)
    (tree / "messages.po").write_bytes(cat.PO.read_bytes())
    pybabel = Path(sys.executable).with_name("pybabel")
    done = subprocess.run(
        [str(pybabel), "compile", "-d", str(tmp_path / "translations")], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert (tree / "messages.mo").stat().st_size > 100_000


def test_fold_adds_and_replaces_translations_and_nothing_else(tmp_path):
    """`make i18n-fold F=translations/src/x.po` (scripts/i18n_fold.py) merges a fragment into the catalog."""
    target = tmp_path / "messages.po"
    target.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        '#: a.py:1\nmsgid "Reports"\nmsgstr "出國報告"\n\n'
        'msgid "Save"\nmsgstr "存檔"\n\n'
        '#~ msgid "Old"\n#~ msgstr "舊"\n',
        encoding="utf-8",
    )
    fragment = tmp_path / "pages.po"
    fragment.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Save"\nmsgstr "儲存"\n\n'
        'msgid "New page"\nmsgstr "新頁面"\n\n'
        'msgid "Old"\nmsgstr "舊的"\n\n'
        'msgid "Untranslated"\nmsgstr ""\n\n'
        'msgid "%(n)s items"\nmsgstr "%(count)s 項"\n',
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "i18n_fold.py"), str(fragment), str(target)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1  # the placeholder mismatch is refused (and reported)
    assert "refused" in done.stderr and "1 added, 1 changed, 1 revived" in done.stdout
    folded = cat.read(target)
    assert {m.id: m.string for m in folded if m.id} == {
        "Reports": "出國報告",
        "Save": "儲存",
        "New page": "新頁面",
        "Old": "舊的",
    }
    assert folded.get("Reports").locations == [("a.py", 1)]


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
