"""The page benchmark: every everyday page under gunicorn, next to two floors, in one run.

    make bench-pages                                   # 10,000 items, 20 updates each, SQLite and PostgreSQL
    .venv/bin/python bench/pages_bench.py --items 2000 --duration 5 --databases sqlite
    .venv/bin/python bench/pages_bench.py --items 100000 --databases postgres --pages dashboard --no-writes

For each database it generates the data (bench/generate.py; ``--reuse`` keeps a database
generated earlier with the same parameters), then starts, one after the other, gunicorn
with ``--workers`` sync workers serving

* the **bare floor**: a Flask app doing one query per request, nothing else (bench/floor_app.py);
* the **tracker** itself (TRACKER_ENV=production), signed in with a real login.

``wrk`` (``--threads`` threads, ``--connections`` connections, ``--duration`` seconds per
page) measures requests/s and latency percentiles; every page is also timed alone
(sequential requests, median). Each page's requests/s is divided by the bare floor's of the
same run, so the machine's speed cancels out. Then concurrent status-update writes through
the API (``--writers`` clients, each write a new report on a different item), checked
afterwards against the database: every 201 is a stored row, nothing else was written.

Results: bench/results/pages-<database>.json and the results block of docs/performance.md
(between the ``bench:pages`` markers), with the machine, the command and the date.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import secrets
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

VENV_BIN = Path(sys.executable).parent
RESULTS = ROOT / "bench" / "results"
DOC = ROOT / "docs" / "performance.md"
START, END = "<!-- bench:pages:start -->", "<!-- bench:pages:end -->"
PASSWORD = "bench-password-1234"
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_BENCH_DB = "tracker_bench"


# --- servers --------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """gunicorn serving ``app`` on a free loopback port until stopped."""

    def __init__(self, app: str, env: dict[str, str], workers: int, log: Path):
        self.port = free_port()
        self.log = log
        cmd = [
            str(VENV_BIN / "gunicorn"),
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{self.port}",
            "--worker-class",
            "sync",
            "--keep-alive",
            "5",
            "--backlog",
            "2048",
            "--timeout",
            "120",
            "--chdir",
            str(ROOT),
            app,
        ]
        self.proc = subprocess.Popen(
            cmd, env={**os.environ, **env}, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.time() + 180
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn {app} exited; see {log}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.2)
        else:
            self.stop()
            raise RuntimeError(f"gunicorn {app} did not start; see {log}")
        self._wait_for_workers(workers, deadline)

    def _wait_for_workers(self, workers: int, deadline: float) -> None:
        """The socket accepts as soon as the master listens, but each worker still imports
        the app: measure only once every worker answers (several quick answers in a row)."""
        in_a_row = 0
        while in_a_row < 4 * workers:
            if time.time() > deadline or self.proc.poll() is not None:
                self.stop()
                raise RuntimeError(f"gunicorn workers did not become ready; see {self.log}")
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=60) as resp:
                    resp.read()
                quick = time.perf_counter() - started < 0.5
            except OSError:
                quick = False
                time.sleep(0.2)
            in_a_row = in_a_row + 1 if quick else 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)

    def __enter__(self) -> Gunicorn:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


# --- HTTP helpers ---------------------------------------------------------------------------------


def request(
    port: int, method: str, path: str, headers: dict | None = None, body: bytes | None = None
) -> tuple[int, dict, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        return (
            resp.status,
            {k.lower(): v for k, v in resp.getheaders()} | {"set-cookie-all": resp.headers.get_all("Set-Cookie") or []},
            data,
        )
    finally:
        conn.close()


def _cookies(set_cookies: list[str], jar: dict[str, str]) -> dict[str, str]:
    for raw in set_cookies:
        name, _eq, rest = raw.partition("=")
        jar[name.strip()] = rest.split(";", 1)[0]
    return jar


def login(port: int, email: str) -> str:
    """Sign in through the login form (CSRF token and all); returns a Cookie header."""
    status, headers, body = request(port, "GET", "/login")
    jar = _cookies(headers["set-cookie-all"], {})
    token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', body)
    if status != 200 or token is None:
        raise RuntimeError(f"login page: {status}")
    form = urlencode({"csrf_token": token.group(1).decode(), "email": email, "password": PASSWORD, "next": ""})
    cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
    status, headers, _body = request(
        port, "POST", "/login", {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}, form.encode()
    )
    jar = _cookies(headers["set-cookie-all"], jar)
    if status not in (302, 303):
        raise RuntimeError(f"login as {email} failed: {status}")
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def alone(port: int, path: str, headers: dict, n: int = 15) -> float:
    """Median milliseconds of ``n`` sequential requests (one connection, after a warm-up)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    times = []
    try:
        for i in range(n + 2):
            t = time.perf_counter()
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            resp.read()
            if resp.status != 200:
                raise RuntimeError(f"{path}: HTTP {resp.status}")
            if i >= 2:
                times.append((time.perf_counter() - t) * 1000)
    finally:
        conn.close()
    return statistics.median(times)


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(value: str) -> float:
    m = re.fullmatch(r"([0-9.]+)(us|ms|s|m)", value.strip())
    if not m:
        raise ValueError(value)
    return float(m.group(1)) * _UNITS[m.group(2)]


def wrk(url: str, headers: dict, duration: int, threads: int, connections: int) -> dict:
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s", "--latency", "--timeout", "30s"]
    for k, v in headers.items():
        cmd += ["-H", f"{k}: {v}"]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1))
    dist = dict(re.findall(r"^\s*(50|75|90|99)%\s+([0-9.]+(?:us|ms|s|m))\s*$", out, re.M))
    if "50" not in dist or "99" not in dist:
        raise RuntimeError(f"cannot read wrk's output:\n{out}")
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    total = int(re.search(r"(\d+) requests in", out).group(1))
    return {
        "rps": rps,
        "p50_ms": _ms(dist["50"]),
        "p99_ms": _ms(dist["99"]),
        "requests": total,
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": errors.group(0) if errors else "",
    }


# --- data --------------------------------------------------------------------------------------


@dataclass
class Dataset:
    url: str
    kind: str  # sqlite | postgres
    params: dict


def _marker(ds_url: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9]+", "-", ds_url)[-80:]
    return RESULTS / f".dataset-{safe}.json"


def prepare(kind: str, args: argparse.Namespace) -> Dataset:
    params = {
        "items": args.items,
        "reports": args.reports,
        "updates_per_item": args.updates_per_item,
        "departments": args.departments,
        "seed": args.seed,
    }
    if kind == "sqlite":
        path = Path(args.sqlite_path or f"/tmp/tracker-bench-{args.items}.sqlite")
        url = f"sqlite:///{path}"
    else:
        url = args.postgres_url or PG_ADMIN.rsplit("/", 1)[0] + f"/{PG_BENCH_DB}_{args.items}"
    marker = _marker(url)
    if args.reuse and marker.exists() and json.loads(marker.read_text()) == params:
        print(f"[{kind}] reusing {url}", flush=True)
        return Dataset(url, kind, params)
    if kind == "postgres":
        _create_pg_database(url)
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    print(f"[{kind}] generating {args.items:,} items into {url}", flush=True)
    t = time.time()
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "generate.py"),
            "--items",
            str(args.items),
            "--reports",
            str(args.reports),
            "--updates-per-item",
            str(args.updates_per_item),
            "--departments",
            str(args.departments),
            "--seed",
            str(args.seed),
            "--database-url",
            url,
        ],
        check=True,
    )
    print(f"[{kind}] generated in {time.time() - t:.0f} s", flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps(params))
    return Dataset(url, kind, params)


def _create_pg_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0].replace("postgresql+psycopg", "postgresql") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def targets(url: str) -> dict:
    """Ids of the pages to request: found in the generated database."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        q = lambda sql: conn.execute(text(sql)).scalar()  # noqa: E731
        report = q("SELECT id FROM report WHERE code = 'israel-2016'") or q("SELECT min(id) FROM report")
        big_report = (
            q("SELECT report_id FROM action_item GROUP BY report_id ORDER BY count(*) DESC LIMIT 1")
            if _has_column(conn, "action_item", "report_id")
            else q(
                "SELECT r.report_id FROM action_item a JOIN recommendation r ON r.id = a.recommendation_id "
                "GROUP BY r.report_id ORDER BY count(*) DESC LIMIT 1"
            )
        )
        rec = q(f"SELECT min(id) FROM recommendation WHERE report_id = {int(big_report)}")
        item = q("SELECT max(id) FROM action_item")
        editor = conn.execute(
            text(
                "SELECT u.email FROM user_account u JOIN action_item a ON a.lead_department_id = u.department_id "
                "WHERE u.role = 'EDITOR' OR u.role = 'editor' GROUP BY u.email ORDER BY count(*) DESC LIMIT 1"
            )
        ).scalar()
    engine.dispose()
    return {"report": report, "big_report": big_report, "recommendation": rec, "item": item, "editor": editor}


def _has_column(conn, table: str, column: str) -> bool:  # noqa: ANN001
    from sqlalchemy import inspect

    return column in {c["name"] for c in inspect(conn).get_columns(table)}


def pages(t: dict, past: str) -> list[tuple[str, str, str]]:
    """(name, user, path) of every page measured."""
    return [
        ("dashboard", "viewer", "/dashboard/"),
        ("dashboard, past as-of", "viewer", f"/dashboard/?as_of={past}"),
        ("report page", "viewer", f"/reports/{t['big_report']}"),
        ("recommendation page", "viewer", f"/recommendations/{t['recommendation']}"),
        ("action item page", "viewer", f"/action-items/{t['item']}"),
        ("my department", "editor", "/my-department/"),
        ("review queue", "reviewer", "/review/"),
        ("period page", "reviewer", "/periods/"),
        ("summary API", "viewer", "/api/v1/summary"),
        ("item API", "viewer", f"/api/v1/action-items/{t['item']}"),
    ]


# --- writes --------------------------------------------------------------------------------------


def write_targets(url: str, n: int) -> tuple[dict[str, str], list[tuple[int, int, int | None, str]]]:
    """API tokens for the editors, and ``n`` items to write to: (item, version, pending id, editor)."""
    from sqlalchemy import select

    from tracker import create_app
    from tracker.extensions import db
    from tracker.models import ActionItem, ItemPeriod, Role, User
    from tracker.services import tokens

    app = create_app("development", overrides={"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        editors = {u.department_id: u for u in db.session.scalars(select(User).where(User.role == Role.EDITOR))}
        toks = {u.email: tokens.create_token(u, "bench writes")[1] for u in editors.values()}
        db.session.commit()
        latest = select(ItemPeriod.period_end).order_by(ItemPeriod.period_end.desc()).limit(1).scalar_subquery()
        rows = db.session.execute(
            select(ActionItem.id, ActionItem.version, ItemPeriod.pending_update_id, ActionItem.lead_department_id)
            .join(ItemPeriod, (ItemPeriod.item_id == ActionItem.id) & (ItemPeriod.period_end == latest))
            .where(ItemPeriod.released.is_(False))
            .order_by(ActionItem.id)
            .limit(n)
        ).all()
        todo = [
            (r.id, r.version, r.pending_update_id, editors[r.lead_department_id].email)
            for r in rows
            if r.lead_department_id in editors
        ]
    return toks, todo


def count_updates(url: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM status_update")).scalar()
    engine.dispose()
    return int(n)


def write_bench(port: int, url: str, seconds: int, writers: int, rate_guess: int = 400) -> dict:
    toks, todo = write_targets(url, rate_guess * seconds)
    before = count_updates(url)
    lock = threading.Lock()
    queue = list(reversed(todo))
    codes: dict[int, int] = {}
    errors: list[str] = []
    latencies: list[float] = []
    stop_at = time.time() + seconds
    today = date.today().isoformat()

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while time.time() < stop_at:
            with lock:
                if not queue:
                    return
                item_id, version, pending, email = queue.pop()
            body = {
                "status": "in_progress",
                "progress": 50,
                "effective_date": today,
                "narrative": "基準測試：辦理中。",
                "version": version,
            }
            if pending:
                body["replaces_id"] = pending
            t = time.perf_counter()
            try:
                conn.request(
                    "POST",
                    f"/api/v1/action-items/{item_id}/updates",
                    body=json.dumps(body).encode(),
                    headers={"Authorization": f"Bearer {toks[email]}", "Content-Type": "application/json"},
                )
                resp = conn.getresponse()
                data = resp.read()
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                with lock:
                    errors.append(repr(exc))
                continue
            with lock:
                latencies.append((time.perf_counter() - t) * 1000)
                codes[resp.status] = codes.get(resp.status, 0) + 1
                if resp.status != 201 and len(errors) < 20:
                    errors.append(f"{resp.status} {data[:200]!r}")
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(writers)]
    t0 = time.time()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    elapsed = time.time() - t0
    after = count_updates(url)
    created = codes.get(201, 0)
    return {
        "seconds": round(elapsed, 2),
        "writers": writers,
        "created": created,
        "writes_per_s": round(created / elapsed, 1),
        "codes": codes,
        "errors": errors[:10],
        "rows_added": after - before,
        "lost_or_extra": (after - before) - created,
        "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p99_ms": round(sorted(latencies)[int(len(latencies) * 0.99) - 1], 1) if latencies else None,
    }


# --- the run -------------------------------------------------------------------------------------


@dataclass
class PageResult:
    name: str
    path: str
    user: str
    rps: float
    p50_ms: float
    p99_ms: float
    alone_ms: float
    ratio_to_bare: float
    non_2xx: int
    requests: int


@dataclass
class Run:
    database: str
    url: str
    params: dict
    workers: int
    threads: int
    connections: int
    duration: int
    floors: dict = field(default_factory=dict)
    pages: list[PageResult] = field(default_factory=list)
    writes: dict | None = None


def run_database(ds: Dataset, args: argparse.Namespace, logdir: Path) -> Run:
    run = Run(ds.kind, ds.url.split("@")[-1], ds.params, args.workers, args.threads, args.connections, args.duration)
    env_common = {"PYTHONUNBUFFERED": "1"}
    if args.only == "writes":
        return run_writes_only(run, ds, args, logdir, env_common)
    measure = lambda url, headers: wrk(url, headers, args.duration, args.threads, args.connections)  # noqa: E731
    with Gunicorn(
        "bench.floor_app:app",
        {**env_common, "BENCH_DATABASE_URL": ds.url},
        args.workers,
        logdir / f"floor-{ds.kind}.log",
    ) as floor:
        bare = measure(floor.base + "/healthz", {})
        bare_page = measure(floor.base + "/page", {})
    print(f"[{ds.kind}] bare floor: {bare['rps']:.0f} req/s (template page {bare_page['rps']:.0f})", flush=True)
    run.floors["bare"] = bare
    run.floors["bare_page"] = bare_page
    env = {
        **env_common,
        "TRACKER_ENV": "production",
        "DATABASE_URL": ds.url,
        "SECRET_KEY": secrets.token_urlsafe(48),
        "TOTP_REQUIRED_ROLES": "",
        "TRACKER_INSTANCE_PATH": str(logdir / f"instance-{ds.kind}"),
    }
    t = targets(ds.url)
    with Gunicorn("tracker:create_app()", env, args.workers, logdir / f"tracker-{ds.kind}.log") as app:
        floor = measure(app.base + "/healthz", {})
        run.floors["app"] = floor
        print(f"[{ds.kind}] app floor: {floor['rps']:.0f} req/s = {floor['rps'] / bare['rps']:.0%} of bare", flush=True)
        cookies = {
            "viewer": login(app.port, "viewer@bench.example"),
            "reviewer": login(app.port, "reviewer1@bench.example"),
            "editor": login(app.port, t["editor"]),
        }
        past = args.past_as_of
        for name, user, path in pages(t, past):
            if args.pages and not any(p in name for p in args.pages):
                continue
            headers = {"Cookie": cookies[user], "Accept-Language": "zh-TW"}
            one = alone(app.port, path, headers)
            r = measure(app.base + path, headers)
            res = PageResult(
                name,
                path,
                user,
                r["rps"],
                r["p50_ms"],
                r["p99_ms"],
                round(one, 2),
                round(r["rps"] / bare_page["rps"], 4),
                r["non_2xx"],
                r["requests"],
            )
            run.pages.append(res)
            print(
                f"[{ds.kind}] {name:24s} {res.rps:8.1f} req/s  p50 {res.p50_ms:7.1f} ms  p99 {res.p99_ms:7.1f} ms"
                f"  alone {res.alone_ms:7.1f} ms  {res.ratio_to_bare:6.1%} of bare"
                + (f"  NON-2XX {res.non_2xx}" if res.non_2xx else ""),
                flush=True,
            )
        if not args.no_writes:
            run.writes = write_bench(app.port, ds.url, args.write_seconds, args.writers)
            w = run.writes
            print(
                f"[{ds.kind}] writes: {w['writes_per_s']} /s ({w['created']} created in {w['seconds']} s, "
                f"codes {w['codes']}, rows added {w['rows_added']}, lost or extra {w['lost_or_extra']})",
                flush=True,
            )
    return run


def run_writes_only(run: Run, ds: Dataset, args: argparse.Namespace, logdir: Path, env_common: dict) -> Run:
    """``--only writes``: the tracker under gunicorn and the write phase, no floors, no pages."""
    env = {
        **env_common,
        "TRACKER_ENV": "production",
        "DATABASE_URL": ds.url,
        "SECRET_KEY": secrets.token_urlsafe(48),
        "TOTP_REQUIRED_ROLES": "",
        "TRACKER_INSTANCE_PATH": str(logdir / f"instance-{ds.kind}"),
    }
    with Gunicorn("tracker:create_app()", env, args.workers, logdir / f"tracker-{ds.kind}.log") as app:
        run.writes = write_bench(app.port, ds.url, args.write_seconds, args.writers)
    w = run.writes
    print(
        f"[{ds.kind}] writes: {w['writes_per_s']} /s ({w['created']} created in {w['seconds']} s, p50 {w['p50_ms']} ms, "
        f"p99 {w['p99_ms']} ms, codes {w['codes']}, rows added {w['rows_added']}, lost or extra {w['lost_or_extra']})",
        flush=True,
    )
    if w["errors"]:
        print(f"[{ds.kind}] errors: {w['errors']}", flush=True)
    return run


def machine() -> dict:
    cpu = ""
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        pass
    mem = ""
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        mem = f"{kb / 1024 / 1024:.0f} GiB"
    except (OSError, AttributeError):
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": mem,
        "python": platform.python_version(),
        "system": platform.platform(),
        "load_before": os.getloadavg()[0],
    }


def markdown(runs: list[Run], info: dict, command: str) -> str:
    lines = [
        f"Measured {info['date']} on {info['machine']['cpu']} ({info['machine']['cores']} cores, "
        f"{info['machine']['memory']}), Python {info['machine']['python']}, load average "
        f"{info['machine']['load_before']:.1f} before the run.",
        "",
        f"Command: `{command}`",
        "",
    ]
    for run in runs:
        p = run.params
        lines += [
            f"### {run.database}: {p['items']:,} items, {p['reports']} reports, about "
            f"{p['items'] * p['updates_per_item']:,} updates",
            "",
            f"gunicorn {run.workers} sync workers; wrk -t{run.threads} -c{run.connections} -d{run.duration}s, "
            'signed in, loopback. "Alone": median of 15 sequential requests.',
            "",
            "| page | req/s | p50 ms | p99 ms | alone ms | of bare floor |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        bare = run.floors["bare"]
        page = run.floors["bare_page"]
        lines.append(
            f"| bare Flask page: one query, cached template (`/page`) | {page['rps']:.0f} | "
            f"{page['p50_ms']:.2f} | {page['p99_ms']:.2f} | — | 100 % |"
        )
        lines.append(
            f"| bare Flask JSON: one query (`/healthz`) | {bare['rps']:.0f} | {bare['p50_ms']:.2f} | "
            f"{bare['p99_ms']:.2f} | — | — |"
        )
        if "app" in run.floors:
            a = run.floors["app"]
            lines.append(
                f"| the same route in the app (`/healthz`) | {a['rps']:.0f} | {a['p50_ms']:.2f} | "
                f"{a['p99_ms']:.2f} | — | {a['rps'] / bare['rps']:.0%} of the bare JSON route |"
            )
        for r in run.pages:
            lines.append(
                f"| {r.name} (`{r.path}`) | {r.rps:.0f} | {r.p50_ms:.1f} | {r.p99_ms:.1f} | "
                f"{r.alone_ms:.1f} | {r.ratio_to_bare:.0%} |"
            )
        if run.writes:
            w = run.writes
            lines += [
                "",
                f"Writes: {w['writers']} API clients posting status updates for {w['seconds']} s: "
                f"**{w['writes_per_s']} writes/s** ({w['created']} created; p50 {w['p50_ms']} ms, "
                f"p99 {w['p99_ms']} ms; responses {w['codes']}); {w['rows_added']} rows added, "
                f"{w['lost_or_extra']} lost or extra.",
            ]
        lines.append("")
    return "\n".join(lines)


def write_doc(text: str) -> None:
    doc = DOC.read_text(encoding="utf-8") if DOC.exists() else f"# Performance\n\n{START}\n{END}\n"
    if START not in doc:
        doc += f"\n{START}\n{END}\n"
    head, rest = doc.split(START, 1)
    _old, tail = rest.split(END, 1)
    DOC.write_text(f"{head}{START}\n{text}\n{END}{tail}", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--reports", type=int, default=200)
    parser.add_argument("--updates-per-item", type=int, default=20)
    parser.add_argument("--departments", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--databases", default="sqlite,postgres", help="sqlite, postgres or both")
    parser.add_argument("--sqlite-path", default=None)
    parser.add_argument("--postgres-url", default=None)
    parser.add_argument("--reuse", action="store_true", help="keep a database generated with the same parameters")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--duration", type=int, default=10, help="seconds of wrk per page")
    parser.add_argument("--past-as-of", default="2019-12-31", help="the past data date of the dashboard")
    parser.add_argument("--pages", nargs="*", help="only pages whose name contains one of these")
    parser.add_argument("--no-writes", action="store_true")
    parser.add_argument("--write-seconds", type=int, default=10)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--no-doc", action="store_true", help="do not rewrite docs/performance.md")
    parser.add_argument("--only", choices=["writes"], help="writes: only the write phase (no floors, no pages, no doc)")
    args = parser.parse_args()
    if args.only == "writes":
        args.no_doc = True
    elif shutil.which("wrk") is None:
        sys.exit("wrk is not installed: sudo apt-get install -y wrk (or make deps-system)")
    command = "bench/pages_bench.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    info = {"date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "machine": machine()}
    logdir = Path(os.environ.get("BENCH_LOG_DIR", "/tmp/tracker-bench-logs"))
    logdir.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    runs = []
    kinds = ["sqlite", "postgres"] if args.databases == "both" else args.databases.split(",")
    for kind in [k.strip() for k in kinds if k.strip()]:
        ds = prepare(kind, args)
        run = run_database(ds, args, logdir)
        runs.append(run)
        out = RESULTS / f"{args.only or 'pages'}-{kind}-{args.items}.json"
        out.write_text(json.dumps({**info, "command": command, **asdict(run)}, indent=2, default=str))
    if args.only == "writes":
        return
    text = markdown(runs, info, command)
    print("\n" + text)
    if not args.no_doc:
        write_doc(text)


if __name__ == "__main__":
    main()
