"""Take the README screenshots: the seeded report overview (with demo history) in zh-TW
and English, rendered by headless Chromium from a throwaway database.

Usage: .venv/bin/python scripts/screenshot.py [OUT_DIR]   (default docs/screenshots)
Needs /usr/bin/chromium and fonts-noto-cjk (sudo make deps-system).
"""
from __future__ import annotations

import os
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
EMAIL = "screenshot.viewer@example.org"
PASSWORD = "screenshot-viewer-password-1"


def build_app(db_path: Path):
    from flask_babel import force_locale
    from seed.demo import load_demo
    from seed.loader import load_seed
    from tracker import create_app
    from tracker.extensions import db
    from tracker.services.accounts import create_user

    app = create_app("development", overrides={
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}",
        "UPLOAD_FOLDER": str(db_path.parent / "uploads"),
        "SECRET_KEY": "screenshot-only-secret-key-0123456789abcdef",
    })
    with app.app_context(), app.test_request_context(), force_locale("en"):
        db.create_all()
        load_seed(db.session, ROOT / "seed" / "data")
        load_demo(db.session)
        create_user(EMAIL, "viewer", PASSWORD, name="市長室", actor_label="screenshot")
        db.session.commit()
    return app


def main(out_dir: Path) -> None:
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        app = build_app(Path(tmp) / "shot.sqlite3")
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page(locale="zh-TW", viewport={"width": 1280, "height": 900},
                                        device_scale_factor=1)
                page.goto(f"{base}/login")
                page.fill("#email", EMAIL)
                page.fill("#password", PASSWORD)
                page.locator("main form button[type=submit]").click()
                page.wait_for_load_state()
                page.goto(f"{base}/")
                page.locator("main a[href*='/reports/']").first.click()
                page.wait_for_load_state("networkidle")
                report_url = page.url.split("?")[0]
                for lang, name in (("zh-TW", "report-overview.zh-TW.png"), ("en", "report-overview.en.png")):
                    page.goto(f"{report_url}?lang={lang}")
                    page.wait_for_load_state("networkidle")
                    # Down to the end of "progress by recommendation": the heart of the page.
                    box = page.locator("section[aria-labelledby='recs-title']").bounding_box()
                    bottom = int(box["y"] + box["height"] + 24) if box else 1500
                    page.screenshot(path=str(out_dir / name), full_page=True,
                                    clip={"x": 0, "y": 0, "width": 1280, "height": bottom})
                    print(out_dir / name)
                browser.close()
        finally:
            server.shutdown()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots")
