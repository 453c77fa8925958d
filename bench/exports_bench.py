"""Export benchmark of issue 11: the annual summary of 10,000 items in every format.

Targets per format (wall time of one export inside a fresh process, the database read
included, interpreter start-up and imports excluded; peak resident memory of that process,
interpreter and application included): CSV ≤ 1 s, XLSX and ODS ≤ 3 s, ODT and DOCX ≤ 5 s,
PDF ≤ 8 s, peak memory ≤ 200 MB. Each format runs in its own subprocess so that
``ru_maxrss`` belongs to that format alone; the fastest of ``--repeat`` runs is kept (a
shared machine slows some runs), and CPU time is reported beside wall time (the export is
single-threaded: on a busy machine its wall time also counts waiting for a CPU).

The summary covers every report (``--report`` narrows it to one), 2018 as of 2018-12-31,
known today: the read-model path of ``tracker.exports.render_summary``.

    .venv/bin/python bench/generate.py --items 10000 --reports 200 --departments 40 \
        --updates-per-item 20 --db /tmp/exports10k.sqlite
    .venv/bin/python bench/exports_bench.py --db /tmp/exports10k.sqlite
    .venv/bin/python bench/exports_bench.py --db /tmp/exports10k.sqlite --formats csv pdf --repeat 3

Without ``--db`` (or when the file is missing) the database is generated first with those
parameters. Writes bench/results/exports-<items>.json and the section between
<!-- bench:exports:start --> and <!-- bench:exports:end --> in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TARGETS = {"csv": 1.0, "xlsx": 3.0, "ods": 3.0, "odt": 5.0, "docx": 5.0, "pdf": 8.0}
TARGET_MB = 200.0
START, END = "<!-- bench:exports:start -->", "<!-- bench:exports:end -->"
DEFAULT_DB = "/tmp/tracker-exports-bench.sqlite"


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_one(url: str, fmt: str, lang: str, year: int, report: str | None, out_dir: Path) -> dict:
    """Inside the subprocess: one export, timed, written to ``out_dir``."""
    from tracker import create_app
    from tracker.exports import render_summary, resolve_options, writer

    app = create_app("development", overrides={"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        writer(fmt)  # the writer's libraries are imported before the clock starts
        rss_before = _peak_mb()
        cpu_before = _cpu()
        started = time.perf_counter()
        options = resolve_options(year=year, as_of=None, fmt=fmt, lang=lang, report=report, today=date.today())
        data = render_summary(options)
        seconds = time.perf_counter() - started
        cpu = _cpu() - cpu_before
        path = out_dir / options.filename
        path.write_bytes(data)
    return {
        "format": fmt,
        "lang": lang,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "peak_rss_mb": round(_peak_mb(), 1),
        "rss_before_mb": round(rss_before, 1),
        "bytes": len(data),
        "file": str(path),
    }


def generate(db_file: Path, args: argparse.Namespace) -> None:
    cmd = [
        sys.executable,
        str(ROOT / "bench" / "generate.py"),
        "--items",
        str(args.items),
        "--reports",
        str(args.reports),
        "--departments",
        str(args.departments),
        "--updates-per-item",
        str(args.updates_per_item),
        "--db",
        str(db_file),
    ]
    print("generating:", " ".join(cmd[1:]), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=DEFAULT_DB, help="SQLite file or database URL")
    parser.add_argument("--items", type=int, default=10_000, help="when generating")
    parser.add_argument("--reports", type=int, default=200, help="when generating")
    parser.add_argument("--departments", type=int, default=40, help="when generating")
    parser.add_argument("--updates-per-item", type=int, default=20, help="when generating")
    parser.add_argument("--formats", nargs="+", default=list(TARGETS), choices=list(TARGETS))
    parser.add_argument("--lang", default="zh-TW", choices=["zh-TW", "en"])
    parser.add_argument("--year", type=int, default=2018)
    parser.add_argument("--report", default=None, help="one report's id or code (default: every report)")
    parser.add_argument("--out", default="/tmp/tracker-exports-bench")
    parser.add_argument("--repeat", type=int, default=1, help="runs per format; the fastest is kept")
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite docs/benchmarks.md")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # subprocess mode: FORMAT
    args = parser.parse_args()
    url = args.db if "://" in args.db else f"sqlite:///{Path(args.db).resolve()}"
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)

    if args.one:
        print(json.dumps(run_one(url, args.one, args.lang, args.year, args.report, out_dir)))
        return

    db_file = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None
    if db_file is not None and not db_file.exists():
        generate(db_file, args)

    results = []
    for fmt in args.formats:
        runs = []
        for _ in range(max(1, args.repeat)):
            cmd = [sys.executable, __file__, "--db", url, "--one", fmt, "--lang", args.lang]
            cmd += ["--year", str(args.year), "--out", str(out_dir)]
            if args.report:
                cmd += ["--report", args.report]
            proc = subprocess.run(
                cmd, capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}
            )
            if proc.returncode != 0:
                print(proc.stderr, file=sys.stderr)
                raise SystemExit(f"{fmt} failed")
            runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        r = min(runs, key=lambda x: x["seconds"])
        r["peak_rss_mb"] = max(x["peak_rss_mb"] for x in runs)
        r["target_seconds"] = TARGETS[fmt]
        r["time_ok"] = r["seconds"] <= TARGETS[fmt]
        r["memory_ok"] = r["peak_rss_mb"] <= TARGET_MB
        results.append(r)
        print(
            f"{fmt:5} {r['seconds']:6.2f} s (cpu {r['cpu_seconds']:6.2f} s, target {TARGETS[fmt]:.0f} s)  "
            f"peak {r['peak_rss_mb']:6.1f} MB  {'ok' if r['time_ok'] and r['memory_ok'] else 'MISSED'}",
            flush=True,
        )

    meta = {
        "db": url,
        "year": args.year,
        "lang": args.lang,
        "report": args.report or "every report",
        "python": platform.python_version(),
        "load_average": [round(x, 1) for x in os.getloadavg()],
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}",
        "date": date.today().isoformat(),
        "command": "bench/exports_bench.py " + " ".join(sys.argv[1:]),
        "items": _count_items(url),
    }
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    out = ROOT / "bench" / "results" / f"exports-{meta['items']}.json"
    out.write_text(json.dumps({"meta": meta, "results": results}, indent=2) + "\n", encoding="utf-8")
    table = render(meta, results)
    print(table)
    if not args.no_docs:
        write_docs(table)


def _count_items(url: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM action_item")).scalar_one()
    engine.dispose()
    return int(n)


def render(meta: dict, results: list[dict]) -> str:
    lines = [
        f"Annual summary {meta['year']} of {meta['items']:,} items ({meta['report']}, {meta['lang']}), measured "
        f"{meta['date']} on {meta['machine']}, Python {meta['python']}, load average {meta['load_average'][0]} "
        f"at the end; command `{meta['command'].strip()}`.",
        "",
        "| format | wall time (s) | CPU time (s) | target (s) | peak RSS (MB, ≤ 200) | file (MB) | met |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        met = "yes" if r["time_ok"] and r["memory_ok"] else "no"
        lines.append(
            f"| {r['format']} | {r['seconds']:.2f} | {r['cpu_seconds']:.2f} | {r['target_seconds']:.0f} | "
            f"{r['peak_rss_mb']:.0f} | {r['bytes'] / 1e6:.2f} | {met} |"
        )
    return "\n".join(lines)


def write_docs(table: str) -> None:
    path = ROOT / "docs" / "benchmarks.md"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    block = f"{START}\n{table}\n{END}"
    if START in text and END in text:
        text = text[: text.index(START)] + block + text[text.index(END) + len(END) :]
    else:
        text = text.rstrip() + "\n\n## Annual summary exports (issue 11 targets)\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
