"""Every user-visible message exists in zh-TW and in English.

Static checks (the source):
* every msgid in code and templates (e-mail text templates included) has a zh-TW
  translation in the catalog (translations/zh_Hant_TW/LC_MESSAGES/messages.po);
* no Chinese literal is hard-coded outside the translations, the seed and the locale
  tables (tracker/locale.py, tracker/exports/): a Chinese string in code would show in
  the English interface. Allowed: a language's own name (中文), and an official glossary
  term quoted in parentheses after its English term ("Progress report (辦理情形)"),
  which the English interface shows on purpose so partners can match the city's forms;
* flash messages and the messages of domain errors are translated calls, never bare
  strings, and WTForms' own validator messages come out in Traditional Chinese.

Rendered checks (the pages, e-mails and exports as users get them):
* every page of every role in zh-TW: its interface texts (labels, buttons, column
  headers, legends, navigation, descriptions, error messages) are Chinese and no English
  msgid leaks through untranslated; in English none of them contains Chinese;
* the reminder e-mails and the annual summary's CSV in both languages, the same way.
"""

from __future__ import annotations

import ast
import csv
import io
import re
from datetime import date
from pathlib import Path

import pytest

from tests import catalog as cat

ROOT = Path(__file__).resolve().parent.parent
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
CJK_RUN = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]+")
# Files that are locale tables: the 民國 date format, the export documents' typography and titles.
# Formatting and parsing tables of the calendar itself (民國 years, 年/月/日, 上半年, 至).
# The outline of a Chinese trip report (numerals 壹/一/(一), 建議 headings, 民國 dates) that
# tracker/services/splitter/ recognises is such a table too.
LOCALE_TABLES = (
    "tracker/locale.py",
    "tracker/dates.py",
    "tracker/periods.py",
    "tracker/exports/",
    "tracker/services/splitter/",
    "tracker/sections.py",
)
# Languages named in their own language (the language switch, language choices).
ENDONYMS = {"中文", "中文（臺灣）", "繁體中文", "正體中文"}
# The glossary of docs/domain.md: official terms the English interface may quote after the English word.
GLOSSARY = {
    "出國報告",
    "建議事項",
    "國外標竿作法",
    "指標",
    "標竿值",
    "基準值",
    "目標值",
    "量測值",
    "辦理事項",
    "主辦機關",
    "協辦機關",
    "主辦",
    "協辦",
    "辦理情形",
    "審核",
    "核定",
    "退回",
    "列管",
    "列管決定",
    "繼續列管",
    "解除列管",
    "自行列管",
    "年度追蹤辦理情形報告",
    "採行情形",
    "研考會",
    "執行期程",
    "經費規劃",
    "建議事項採行情形追蹤表",
    "擬議",
    "久未更新",
    "列管建議",
    "審核意見",
}


@pytest.fixture(scope="module")
def extracted():
    return cat.extract()


@pytest.fixture(scope="module")
def catalog():
    return cat.read()


# =========================================================================== the source


def test_every_msgid_has_a_translation(extracted, catalog):
    """No msgid without a zh-TW translation, no translation that breaks its placeholders."""
    missing = cat.missing(extracted, catalog)
    assert [m.msgid for m in missing] == []
    assert cat.placeholder_problems(catalog) == []


def test_email_text_templates_are_translated_too(catalog):
    """babel.cfg extracts templates/**.html; the plain-text e-mails (*.txt) must not slip through."""
    from babel.messages.extract import extract_from_file

    missing = []
    for path in sorted((ROOT / "templates").rglob("*.txt")):
        for _lineno, msgid, _comments, context in extract_from_file("jinja2", str(path), keywords=cat.KEYWORDS):
            key = msgid if isinstance(msgid, str) else msgid[0]
            if not cat.translated(catalog.get(msgid, context)):
                missing.append(f"{path.relative_to(ROOT)}: {key!r}")
    assert not missing, "e-mail strings without a zh-TW translation:\n" + "\n".join(missing)


SECTION = r"[一二三四五六七八九十]+(?:[(（][一二三四五六七八九十]+[)）])?"
EXAMPLE_SECTION = re.compile(r"(e\.g\.,?\s*|for example,?\s*)" + SECTION)


def allowed_chinese(text: str) -> bool:
    """Chinese in code or a msgid is fine as a language's own name, as a report section
    given as an example ("e.g. 三(三)"), or as glossary terms quoted in parentheses after
    English words ("Progress report (辦理情形)", "Lead (主辦)")."""
    if text.strip() in ENDONYMS:
        return True
    rest = EXAMPLE_SECTION.sub(lambda m: m.group(1), text)
    for match in re.finditer(r"[(（]([^()（）]*)[)）]", rest):
        inner = match.group(1)
        if CJK.search(inner) and re.search(r"[A-Za-z]", rest[: match.start()]):
            terms = [t for t in re.split(r"[\s,、/;；]+", inner) if t]
            if all(t in GLOSSARY for t in terms):
                rest = rest[: match.start()] + " " * len(match.group(0)) + rest[match.end() :]
    return not CJK.search(rest)


def _docstrings(tree: ast.AST) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                out.add(id(first.value))
    return out


def python_files() -> list[Path]:
    return sorted(p for p in (ROOT / "tracker").rglob("*.py") if "__pycache__" not in p.parts)


def test_no_chinese_literal_in_python_code():
    found = []
    for path in python_files():
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(LOCALE_TABLES):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docs = _docstrings(tree)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docs
                and CJK.search(node.value)
                and not allowed_chinese(node.value)
            ):
                found.append(f"{rel}:{node.lineno}: {node.value[:100]!r}")
    assert not found, (
        "Chinese text hard-coded in code (use an English msgid and translate it in "
        "translations/zh_Hant_TW/LC_MESSAGES/messages.po):\n" + "\n".join(found)
    )


JINJA_COMMENT = re.compile(r"\{#.*?#\}", re.S)
JINJA_EXPR = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)
LOCALE_GUARD = re.compile(r"current_locale\s*==\s*['\"]zh_TW['\"]|current_locale\s*!=\s*['\"]en['\"]")


def test_no_chinese_literal_in_templates():
    """Chinese in a template is allowed inside a translated msgid's glossary parentheses,
    as a language's own name, or in an expression chosen by ``current_locale == "zh_TW"``."""
    found = []
    for path in sorted((ROOT / "templates").rglob("*")):
        if path.suffix not in (".html", ".txt"):
            continue
        source = JINJA_COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), path.read_text(encoding="utf-8"))
        spans = [(m.start(), m.end(), m.group(0)) for m in JINJA_EXPR.finditer(source)]
        for match in CJK_RUN.finditer(source):
            pos = match.start()
            line_no = source.count("\n", 0, pos) + 1
            line = source.splitlines()[line_no - 1]
            expr = next((text for start, end, text in spans if start <= pos < end), None)
            if expr is not None and LOCALE_GUARD.search(expr):
                continue
            strings = re.findall(r"'([^']*)'|\"([^\"]*)\"", expr or "")
            literal = next((a or b for a, b in strings if match.group(0) in (a or b)), None)
            if literal is not None and allowed_chinese(literal):
                continue
            found.append(f"{path.relative_to(ROOT)}:{line_no}: {line.strip()[:140]}")
    assert not found, "Chinese text hard-coded in templates:\n" + "\n".join(found)


def _calls(tree: ast.AST, names: set[str]) -> list[ast.Call]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
            if name in names:
                out.append(node)
    return out


TRANSLATE = {"_", "_l", "gettext", "lazy_gettext", "ngettext", "lazy_ngettext", "pgettext", "lazy_pgettext"}


def _untranslated(arg: ast.AST) -> bool:
    """A bare string (or f-string / concatenation of them) that no gettext call wraps."""
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return bool(arg.value.strip())
    if isinstance(arg, ast.JoinedStr):
        return True
    if isinstance(arg, ast.BinOp):
        return _untranslated(arg.left) or _untranslated(arg.right)
    return False


def test_flash_messages_and_domain_errors_are_translated():
    """flash(...) and DomainError(...) family messages are gettext calls (or values that
    come from one), never bare strings; error dicts in the services likewise."""
    errors_cls = {
        "DomainError",
        "NotFound",
        "PermissionDenied",
        "ConflictError",
        "UploadRefused",
        "ValidationError",
        "StopValidation",
    }
    found = []
    for path in python_files():
        rel = path.relative_to(ROOT).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for call in _calls(tree, {"flash"} | errors_cls):
            if call.args and _untranslated(call.args[0]):
                found.append(f"{rel}:{call.lineno}: {ast.unparse(call)[:120]}")
            for kw in call.keywords:
                if kw.arg == "message" and _untranslated(kw.value):
                    found.append(f"{rel}:{call.lineno}: {ast.unparse(call)[:120]}")
        if "/services/" in rel or "/web/" in rel:
            for node in ast.walk(tree):
                # errors["field"] = "message" in an operation's error collection
                if (
                    isinstance(node, ast.Assign)
                    and len(node.targets) == 1
                    and isinstance(node.targets[0], ast.Subscript)
                    and isinstance(node.targets[0].value, ast.Name)
                    and node.targets[0].value.id == "errors"
                    and _untranslated(node.value)
                ):
                    found.append(f"{rel}:{node.lineno}: {ast.unparse(node)[:120]}")
        # WTForms validators with a custom message
        for call in _calls(
            tree,
            {
                "DataRequired",
                "InputRequired",
                "Length",
                "NumberRange",
                "Email",
                "EqualTo",
                "Regexp",
                "URL",
                "AnyOf",
                "NoneOf",
                "Optional",
            },
        ):
            for kw in call.keywords:
                if kw.arg == "message" and _untranslated(kw.value):
                    found.append(f"{rel}:{call.lineno}: {ast.unparse(call)[:120]}")
            if call.args and call.func.id in ("DataRequired", "InputRequired") and _untranslated(call.args[0]):
                found.append(f"{rel}:{call.lineno}: {ast.unparse(call)[:120]}")
    assert not found, "user-visible messages not wrapped in a gettext call:\n" + "\n".join(found)


def test_wtforms_builtin_messages_are_traditional_chinese(app):
    """Flask-WTF would fall back to WTForms' Simplified "zh" catalog for zh_Hant_TW."""
    from flask_wtf import FlaskForm
    from wtforms import DateField, DecimalField, IntegerField, StringField
    from wtforms.validators import DataRequired, Length, NumberRange

    class Probe(FlaskForm):
        class Meta:
            csrf = False

        required = StringField("required", [DataRequired()])
        short = StringField("short", [Length(min=5)])
        number = IntegerField("number", [NumberRange(min=1, max=3)])
        decimal = DecimalField("decimal")
        day = DateField("day")

    data = {"short": "x", "number": "9", "decimal": "x", "day": "2017-02-30"}
    wtforms_zh = _wtforms_catalog()
    for lang, expect_chinese in (("zh-TW", True), ("en", False)):
        with app.app_context(), app.test_request_context(f"/?lang={lang}", method="POST", data=data):
            app.preprocess_request()
            form = Probe()
            form.validate()
            messages = [m for errs in form.errors.values() for m in errs]
        assert len(messages) == 5, form.errors
        for message in messages:
            if expect_chinese:
                assert CJK.search(message), f"zh-TW shows {message!r}"
                assert not set(message) & SIMPLIFIED_ONLY, f"Simplified Chinese in zh-TW: {message!r}"
            else:
                assert not CJK.search(message), f"English shows {message!r}"
        if expect_chinese:
            assert messages[0] == wtforms_zh.gettext("This field is required.")


# Characters that exist only in Simplified Chinese (their Traditional forms differ).
SIMPLIFIED_ONLY = set("该须数为长个间无这证确认请选择错误输时应项还")


def _wtforms_catalog():
    import gettext as gettext_module

    import wtforms

    locale_dir = Path(wtforms.__file__).parent / "locale"
    return gettext_module.translation("wtforms", str(locale_dir), languages=["zh_TW"])


def test_every_form_in_the_app_refuses_in_the_page_language(app):
    """Submit every form of the app empty: whatever WTForms says is in the page's language."""
    from flask_wtf import FlaskForm

    forms = _app_forms()
    assert len(forms) >= 10, [f.__name__ for f in forms]
    for lang in ("zh-TW", "en"):
        for form_cls in forms:
            with app.app_context(), app.test_request_context(f"/?lang={lang}", method="POST", data={"day": "x"}):
                app.preprocess_request()
                form = form_cls(meta={"csrf": False}) if issubclass(form_cls, FlaskForm) else form_cls()
                form.validate()
                for field, errs in _flatten(form.errors):
                    for message in errs:
                        if lang == "zh-TW":
                            assert CJK.search(str(message)), f"{form_cls.__name__}.{field} in zh-TW: {message!r}"
                        else:
                            assert not CJK.search(str(message)), f"{form_cls.__name__}.{field} in English: {message!r}"


def _flatten(errors, prefix=""):  # noqa: ANN001, ANN202
    """(field path, [messages]) pairs from WTForms' nested errors (FormField, FieldList)."""
    if isinstance(errors, dict):
        for key, value in errors.items():
            yield from _flatten(value, f"{prefix}{key}.")
    elif isinstance(errors, (list, tuple)):
        texts = [e for e in errors if not isinstance(e, (dict, list, tuple))]
        if texts:
            yield prefix.rstrip("."), texts
        for i, value in enumerate(errors):
            if isinstance(value, (dict, list, tuple)):
                yield from _flatten(value, f"{prefix}{i}.")


def _app_forms() -> list[type]:
    import importlib
    import inspect

    from wtforms import Form

    from tracker.web import WEB_MODULES

    found = {}
    for name in ["forms", *WEB_MODULES]:
        module = importlib.import_module(f"tracker.web.{name}")
        for _n, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, Form) and obj.__module__ == module.__name__:
                found[obj.__qualname__] = obj
    return list(found.values())


# =========================================================================== rendered output


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A demo database (seed + 2017–2018 history) on a SQLite file, shared by the module."""
    from argon2 import PasswordHasher
    from sqlalchemy import select

    from seed.demo import load_demo
    from seed.loader import load_seed
    from tracker import create_app
    from tracker.extensions import db
    from tracker.models import ActionItem, Report, User

    tmp = tmp_path_factory.mktemp("bilingual")
    application = create_app(
        "testing",
        overrides={
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'demo.sqlite3'}",
            "UPLOAD_FOLDER": str(tmp / "uploads"),
        },
    )
    with application.app_context():
        db.create_all()
        load_seed(db.session, ROOT / "seed" / "data")
        load_demo(db.session, hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        db.session.commit()
        item = db.session.scalar(select(ActionItem).where(ActionItem.code == "R3-01"))
        users = {u.email.split("@")[0]: u.id for u in db.session.scalars(select(User))}
        ids = {
            "report_id": db.session.scalar(select(Report.id).where(Report.code == "israel-2016")),
            "rec_id": item.recommendation_id,
            "item_id": item.id,
            "user_id": users["viewer"],
            "department_id": item.lead_department_id,
        }
        db.session.remove()
    yield application, ids, users
    with application.app_context():
        db.engine.dispose()


def page_paths(application, ids) -> list[tuple[str, str]]:  # noqa: ANN001
    from flask import url_for

    from tests.e2e.support import page_rules

    out = []
    with application.test_request_context():
        for rule in page_rules(application):
            if set(rule.arguments) <= set(ids):
                out.append((rule.endpoint, url_for(rule.endpoint, **{a: ids[a] for a in rule.arguments})))
    extra = [
        f"/dashboard/?as_of=2017-12-31&report={ids['report_id']}",
        "/dashboard/?as_of=2017-02-30",
        "/no-such-page",
        f"/items/{ids['item_id']}/updates/new",
    ]
    return out + [(p, p) for p in extra]


# The interface's own texts (not data): each must be in the page's language.
CHROME_XPATH = " | ".join(
    [
        "//main//label",
        "//main//button",
        "//main//th[@scope='col']",
        "//main//legend",
        "//main//caption",
        "//main//*[contains(concat(' ', @class, ' '), ' field-desc ')]",
        "//main//*[contains(concat(' ', @class, ' '), ' field-errors ')]",
        "//main//*[contains(concat(' ', @class, ' '), ' stat-label ')]",
        "//main//*[contains(concat(' ', @class, ' '), ' alert-title ')]",
        "//main//summary",
        "//nav[contains(@class, 'main-nav')]//a",
        "//a[contains(@class, 'skip-link')]",
        "//footer",
        "/html/head/title",
    ]
)
# Texts the same in both languages: numbers, codes, dates, units, format names.
NEUTRAL = re.compile(
    r"^[\s\d.,:;%#()/+\-–—·|×÷Σ=<>≤≥]*$|^(ODT|ODS|PDF|DOCX|XLSX|CSV|English|中文|[A-Z]{1,4}\d*(-\d+)?)$"
)


def _text(el) -> str:  # noqa: ANN001
    return " ".join(el.text_content().split())


def _msgid_index(extracted) -> set[str]:
    """English msgids long enough that seeing one on a Chinese page means it was not translated."""
    out = set()
    for message in extracted:
        if not message.id or not isinstance(message.id, str) or "%" in message.id:
            continue
        words = re.findall(r"[A-Za-z]+", message.id)
        if len(words) >= 3:
            out.add(" ".join(message.id.split()))
    return out


@pytest.fixture(scope="module")
def msgids(extracted):
    return _msgid_index(extracted)


def problems_on(html: str, lang: str, msgids: set[str], where: str) -> list[str]:
    from lxml import html as lxml_html

    doc = lxml_html.fromstring(html)
    problems = []
    for el in doc.xpath(CHROME_XPATH):
        if el.xpath("ancestor-or-self::*[contains(@class, 'user-menu') or @lang]") and el.tag != "title":
            continue  # the user's own name, or text marked with its own language
        text = _text(el)
        if not text or NEUTRAL.match(text):
            continue
        if lang == "zh-TW" and not CJK.search(text):
            problems.append(f"{where}: English in the Chinese interface: <{el.tag}> {text[:100]!r}")
        elif lang == "en" and CJK.search(text) and not allowed_chinese(text):
            problems.append(f"{where}: Chinese in the English interface: <{el.tag}> {text[:100]!r}")
    if lang == "zh-TW":
        for bad in doc.xpath("//script | //style"):
            bad.drop_tree()
        visible = " ".join(doc.text_content().split())
        for msgid in msgids:
            if msgid in visible:
                problems.append(f"{where}: untranslated message on a Chinese page: {msgid!r}")
    return problems


def test_the_checks_catch_mixed_languages():
    """The detectors themselves: an English label on a Chinese page, a leaked msgid, Chinese on an English page."""
    page = (
        "<html><head><title>儀表板</title></head><body><main><label for=x>As of</label>"
        "<button>送出</button><p>Every number is shown as it stood on this date</p></main></body></html>"
    )
    found = problems_on(page, "zh-TW", {"Every number is shown as it stood on this date"}, "probe")
    assert any("English in the Chinese interface" in p and "As of" in p for p in found), found
    assert any("untranslated message" in p for p in found), found
    page_en = "<html><head><title>Dashboard</title></head><body><main><th scope=col>狀態</th></main></body></html>"
    assert problems_on(page_en, "en", set(), "probe")
    assert allowed_chinese("Progress report (辦理情形)") and allowed_chinese("Lead (主辦)")
    assert allowed_chinese("Report section it comes from, e.g. 三(三)") and allowed_chinese("中文")
    assert not allowed_chinese("辦理情形") and not allowed_chinese("Status: 辦理中")
    assert not allowed_chinese("Note (這是備註)")


@pytest.mark.parametrize("who", ["editor2", "reviewer", "viewer", "admin"])
def test_every_page_speaks_the_chosen_language(demo, msgids, who):
    from tests.factories import sign_in
    from tracker.extensions import db
    from tracker.models import User

    application, ids, users = demo
    client = application.test_client()
    with application.app_context():
        sign_in(client, db.session.get(User, users[who]))
        db.session.remove()
    problems, seen = [], 0
    for lang in ("zh-TW", "en"):
        client.get(f"/?lang={lang}")
        for label, path in page_paths(application, ids):
            response = client.get(path)
            if response.status_code in (302, 403) or not response.mimetype == "text/html":
                continue
            seen += 1
            problems += problems_on(response.get_data(as_text=True), lang, msgids, f"{lang} {label}")
    assert seen >= 20
    assert not problems, f"{who}:\n" + "\n".join(sorted(set(problems)))


def test_reminder_emails_speak_the_recipients_language(demo, msgids):
    from sqlalchemy import select

    from tracker.extensions import db
    from tracker.models import User
    from tracker.services.reminders import collect_digests, render_digest

    application, _ids, _users = demo
    with application.app_context():
        digests = [d for d in collect_digests(date(2019, 1, 15)) if not d.empty]
        kinds = {d.kind for d in digests}
        assert len(kinds) == 2, kinds  # an editor's digest and a reviewer's
        problems = []
        for digest in [next(d for d in digests if d.kind == k) for k in sorted(kinds)]:
            for locale, lang in (("zh_TW", "zh-TW"), ("en", "en")):
                digest.user.locale = locale
                message = render_digest(digest)
                text = message.get_body(("plain",)).get_content()
                html = message.get_body(("html",)).get_content()
                subject = str(message["Subject"])
                if lang == "en":
                    assert not CJK.search(subject), subject
                    chrome = [line for line in text.splitlines() if not line.startswith("- ")]
                    problems += [
                        f"{digest.kind} en: {line!r}"
                        for line in chrome
                        if CJK.search(line) and not _data_line(line, digest)
                    ]
                else:
                    assert CJK.search(subject), subject
                    visible = " ".join(text.split())
                    problems += [f"{digest.kind} zh-TW: untranslated {m!r}" for m in msgids if m in visible]
                    problems += [
                        f"{digest.kind} zh-TW html: untranslated {m!r}" for m in msgids if m in " ".join(html.split())
                    ]
        db.session.rollback()
        db.session.remove()
        _ = select, User
    assert not problems, "\n".join(problems)


def _data_line(line: str, digest) -> bool:  # noqa: ANN001
    """A line carrying the recipient's name or department (data, in whatever language it is)."""
    names = [digest.user.name or "", getattr(digest.department, "name_zh", "") or ""]
    return any(n and n in line for n in names)


def test_annual_summary_csv_speaks_the_chosen_language(demo):
    """The export's column headers and status words in each language (its data stays as entered)."""
    from tracker.extensions import db

    application, ids, users = demo
    client = application.test_client()
    from tests.factories import sign_in
    from tracker.models import User

    with application.app_context():
        sign_in(client, db.session.get(User, users["viewer"]))
        db.session.remove()
    headers = {}
    for lang in ("zh-TW", "en"):
        response = client.get(
            f"/exports/download?year=2017&as_of=2017-12-31&format=csv&language={lang}&report={ids['report_id']}"
        )
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
        headers[lang] = rows[0]
        if lang == "zh-TW":
            assert all(CJK.search(h) or NEUTRAL.match(h) for h in rows[0]), rows[0]
        else:
            assert not any(CJK.search(h) for h in rows[0]), rows[0]
    assert len(headers["zh-TW"]) == len(headers["en"])


def test_indicator_units_have_an_english_form(demo):
    """`unit` keeps the report's zh-TW wording; the English interface shows unit_en
    (model helper, indicator pages and the annual summary alike)."""
    from sqlalchemy import select

    from tests.factories import sign_in
    from tracker.extensions import db
    from tracker.locale import unit_label
    from tracker.models import Indicator, PracticeFigure, User

    application, ids, users = demo
    with application.app_context():
        objs = [*db.session.scalars(select(Indicator)), *db.session.scalars(select(PracticeFigure))]
        zh_units = {o.unit for o in objs if o.unit and CJK.search(o.unit)}
        en_units = {unit_label(o, "en") for o in objs}
        missing = sorted(f"{type(o).__name__} {o.code}" for o in objs if o.unit and not o.unit_en)
        rec_id = next(o.recommendation_id for o in objs if o.code == "pv-co2-reduction")
        db.session.remove()
    assert {"家", "百萬度", "公噸"} <= zh_units
    assert not missing, missing
    assert not [u for u in en_units if CJK.search(u)], sorted(en_units)
    assert {"companies", "million kWh", "tonnes"} <= en_units

    client = application.test_client()
    with application.app_context():
        sign_in(client, db.session.get(User, users["admin"]))
        db.session.remove()
    for lang, shown, hidden in (("en", "(tonnes,", "(公噸,"), ("zh-TW", "(公噸,", "(tonnes,")):
        client.get(f"/?lang={lang}")
        page = client.get(f"/dashboard/recommendations/{rec_id}/benchmark")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert shown in html and hidden not in html, lang
