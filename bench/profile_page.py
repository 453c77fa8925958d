"""Profile one page in-process (cProfile over the Flask test client), for docs/performance.md.

    .venv/bin/python bench/profile_page.py /dashboard/ viewer@bench.example [--db sqlite:////tmp/bench10k.sqlite]
    .venv/bin/python bench/profile_page.py /my-department/ editor      # the first generated department editor

The database is one made by bench/generate.py. Prints the time per request and the top functions.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import secrets
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("email", help="a user of the generated data, or 'editor'")
    parser.add_argument("--db", default="sqlite:////tmp/bench10k.sqlite")
    parser.add_argument("--requests", type=int, default=5)
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(48))
    from sqlalchemy import select

    from tests.factories import sign_in
    from tracker import create_app
    from tracker.extensions import db
    from tracker.models import User

    app = create_app("testing", overrides={"SQLALCHEMY_DATABASE_URI": args.db})
    with app.app_context():
        email = args.email
        if email == "editor":
            email = db.session.scalar(select(User.email).where(User.email.like("editor-%")).order_by(User.id))
        user = db.session.scalar(select(User).where(User.email == email))
        client = app.test_client()
        sign_in(client, user)
    # Requests outside that app context: each gets one of its own (its own `g` and session),
    # as under a server.
    for _ in range(3):
        resp = client.get(args.path)
    started = time.perf_counter()
    for _ in range(args.requests):
        client.get(args.path)
    per = (time.perf_counter() - started) / args.requests * 1000
    print(f"{args.path}: {resp.status_code}, {len(resp.data):,} bytes, {per:.1f} ms a request")
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(args.requests):
        client.get(args.path)
    profile.disable()
    pstats.Stats(profile).sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
