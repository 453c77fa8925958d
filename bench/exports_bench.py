"""Export timing targets of issue 11: the annual summary of 10,000 items in every format.

Targets per format (wall time of the export inside a fresh process; peak RSS of that
process, interpreter and app included): CSV ≤ 1 s, XLSX and ODS ≤ 3 s, ODT and DOCX ≤ 5 s,
PDF ≤ 8 s, peak memory ≤ 200 MB. Each format runs in its own subprocess
(bench/export_bench.run_one), the fastest of ``--repeat`` runs is kept.

    .venv/bin/python bench/exports_bench.py                   # 10,000 items, zh-TW
    .venv/bin/python bench/exports_bench.py --items 2000 --reuse --formats csv pdf

Writes bench/results/exports-<items>.json and the section between
<!-- bench:exports:start --> and <!-- bench:exports:end --> in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGETS = {"csv": 1.0, "xlsx": 3.0, "ods": 3.0, "odt": 5.0, "docx": 5.0, "pdf": 8.0}
TARGET_MB = 200.0
START, END = "<!-- bench:exports:start -->", "<!-- bench:exports:end -->"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--db", default="/tmp/tracker-exports-bench.sqlite")
    parser.add_argument("--formats", nargs="+", default=list(TARGETS), choices=list(TARGETS))
    parser.add_argument("--lang", default="zh-TW", choices=["zh-TW", "en"])
    parser.add_argument("--year", type=int, default=2018)
    parser.add_argument("--out", default="/tmp/tracker-exports-bench")
    parser.add_argument("--reuse", action="store_true", help="reuse the database if it exists")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite docs/benchmarks.md")
    args = parser.parse_args()
    url = args.db if "://" in args.db else f"sqlite:///{Path(args.db).resolve()}"
    Path(args.out).mkdir(parents=True, exist_ok=True)

    db_file = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None
    if not (args.reuse and db_file is not None and db_file.exists()):
        from bench.generate import create_database

        if db_file is not None:
            db_file.unlink(missing_ok=True)
        _, stats = create_database(url, args.items)
        print(f"generated: {stats.describe()}", flush=True)

    results = []
    for fmt in args.formats:
        runs = []
        for _ in range(max(1, args.repeat)):
            proc = subprocess.run(
                [
                    sys.executable,
                    str(ROOT / "bench" / "export_bench.py"),
                    "--db",
                    url,
                    "--one",
                    f"{fmt}:{args.lang}",
                    "--year",
                    str(args.year),
                    "--out",
                    args.out,
                ],
                capture_output=True,
                text=True,
                cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
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
        "items": args.items,
        "year": args.year,
        "lang": args.lang,
        "python": platform.python_version(),
        "load_average": [round(x, 1) for x in os.getloadavg()],
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "date": date.today().isoformat(),
        "command": "bench/exports_bench.py " + " ".join(sys.argv[1:]),
    }
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    out = ROOT / "bench" / "results" / f"exports-{args.items}.json"
    out.write_text(json.dumps({"meta": meta, "results": results}, indent=2) + "\n", encoding="utf-8")
    table = render(meta, results)
    print(table)
    if not args.no_docs:
        write_docs(table)


def render(meta: dict, results: list[dict]) -> str:
    lines = [
        f"Annual summary of {meta['items']:,} items ({meta['lang']}), measured {meta['date']} on "
        f"{meta['cpus']} CPUs ({meta['machine']}, Python {meta['python']}, load average "
        f"{meta['load_average'][0]}); `{meta['command'].strip()}`.",
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
