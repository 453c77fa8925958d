#!/usr/bin/env python3
"""Screenshots of the main pages on a phone (390 px) and a desktop (1280 px), for the README.

Serves a throwaway demo database (the report seed plus the 2017–2018 demo history) and
photographs, in zh-TW and a few in English: the report overview, a recommendation, an
action item, "my department", the review queue, the dashboard and the annual-summary page.
Each PNG is cut to a fixed height and reduced to a 256-colour palette, which keeps it
under about 300 KB.

Usage: .venv/bin/python scripts/screenshots.py [OUT_DIR]   (default docs/screenshots)
Needs /usr/bin/chromium and fonts-noto-cjk (sudo make deps-system).
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WIDTHS = {"phone": (390, 844, 1500), "desktop": (1280, 900, 1500)}  # viewport width, height, cut at
MAX_BYTES = 300_000


@dataclass(frozen=True)
class Shot:
    name: str
    path: str  # may use {report}, {rec}, {item}
    who: str  # demo account: reviewer, editor2 ...
    langs: tuple[str, ...] = ("zh-TW",)


SHOTS = (
    Shot("report", "/reports/{report}", "reviewer", ("zh-TW", "en")),
    Shot("recommendation", "/recommendations/{rec}", "reviewer"),
    Shot("action-item", "/action-items/{item}", "reviewer", ("zh-TW", "en")),
    Shot("my-department", "/my-department/", "editor2"),
    Shot("review-queue", "/review/", "reviewer"),
    Shot("dashboard", "/dashboard/?report={report}", "reviewer", ("zh-TW", "en")),
    Shot("annual-summary", "/exports/", "reviewer"),
    # Text date inputs with the 民國 echo, and the item's history (file sizes).
    Shot("update-form", "/items/{item}/updates/new", "editor2", ("zh-TW", "en")),
    Shot("item-history", "/items/{item}/history", "editor2"),
    Shot("admin", "/admin/", "admin"),
)


def build_app(tmp: Path):
    """The app on a temporary SQLite file with the seed, the demo history and its accounts."""
    from argon2 import PasswordHasher

    from seed.demo import load_demo
    from seed.loader import load_seed
    from tracker import create_app
    from tracker.extensions import db

    app = create_app(
        "testing",
        overrides={
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'shots.sqlite3'}",
            "UPLOAD_FOLDER": str(tmp / "uploads"),
            "WTF_CSRF_ENABLED": True,
        },
    )
    with app.app_context():
        db.create_all()
        load_seed(db.session, ROOT / "seed" / "data")
        accounts = load_demo(db.session, hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        db.session.commit()
        ids = _ids(db.session)
        db.session.remove()
    passwords = {email.split("@")[0]: (email, password) for _role, email, password in accounts}
    return app, passwords, ids


def _ids(session) -> dict[str, int]:  # noqa: ANN001
    from sqlalchemy import select

    from tracker.models import ActionItem, Report

    # R3-01 (solar city): indicators with measurements, approved and pending updates.
    item = session.scalar(select(ActionItem).where(ActionItem.code == "R3-01"))
    report = session.scalar(select(Report).where(Report.code == "israel-2016"))
    return {"report": report.id, "rec": item.recommendation_id, "item": item.id}


def shrink(png: bytes) -> bytes:
    """A 256-colour palette PNG: text and flat colours survive, the size drops several times."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    quantized = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out = io.BytesIO()
    quantized.save(out, format="PNG", optimize=True)
    return out.getvalue()


def sign_in(context, base: str, email: str, password: str) -> None:  # noqa: ANN001
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    if "/login" in page.url:
        raise SystemExit(f"could not sign in as {email}")
    page.close()


def take(out_dir: Path) -> list[tuple[Path, int]]:
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        app, passwords, ids = build_app(Path(tmp))
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                for device, (width, height, cut) in WIDTHS.items():
                    for who in sorted({s.who for s in SHOTS}):
                        context = browser.new_context(
                            locale="zh-TW",
                            viewport={"width": width, "height": height},
                            device_scale_factor=1,
                            is_mobile=device == "phone",
                            has_touch=device == "phone",
                        )
                        sign_in(context, base, *passwords[who])
                        page = context.new_page()
                        for shot in (s for s in SHOTS if s.who == who):
                            for lang in shot.langs:
                                url = base + shot.path.format(**ids)
                                page.goto(url + ("&" if "?" in url else "?") + f"lang={lang}")
                                page.wait_for_load_state("networkidle")
                                full = page.evaluate("() => document.scrollingElement.scrollHeight")
                                clip = {"x": 0, "y": 0, "width": width, "height": min(full, cut)}
                                data = shrink(page.screenshot(full_page=True, clip=clip))
                                target = out_dir / f"{shot.name}.{lang}.{width}.png"
                                target.write_bytes(data)
                                written.append((target, len(data)))
                        context.close()
                browser.close()
        finally:
            server.shutdown()
    return written


def main(argv: list[str]) -> int:
    out_dir = Path(argv[1]) if len(argv) > 1 else ROOT / "docs" / "screenshots"
    too_big = []
    for path, size in take(out_dir):
        print(f"{size / 1024:7.1f} KB  {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
        if size > MAX_BYTES:
            too_big.append(path.name)
    if too_big:
        print(f"over {MAX_BYTES // 1000} KB: {', '.join(too_big)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
