"""Issue 29's table in one sitting: Roster beside the peers of ../shared/anchors, on this machine, medians.

    .venv/bin/python bench/side_by_side.py            # about 15 minutes; BENCH_ONLY=import,export,list for a part

Needs, once per machine: bench/generate.py (the 100,000-student school of a 1.1-million-student platform), and the
anchors' venv and data (as ../shared/anchors/README.md says):

    python3 -m venv /tmp/anchors-venv && /tmp/anchors-venv/bin/pip install -r ../shared/anchors/requirements.txt
    /tmp/anchors-venv/bin/python ../shared/anchors/gen_students.py 10000 /tmp/anchors-data/students_10000.csv
    /tmp/anchors-venv/bin/python ../shared/anchors/gen_students.py 100000 /tmp/anchors-data/students_100000.csv
    (cd ../shared/anchors/flask_app && /tmp/anchors-venv/bin/python populate_db.py 100000 \\
        && /tmp/anchors-venv/bin/python populate_db.py 1000000)

Import: whole processes in turn (../shared/anchors/ab.py): Roster's CLI import into a fresh copy of a database with
one school, against django-import-export's best (bulk, skip_diff, cached loader) and against the limit (sqlite3
executemany of already parsed rows). Export: the request and its whole streamed body, timed inside each process
(Roster: bench/export_bench.py's child; stock Flask-Admin: the anchors' bench_export.py), in turn. List: the median
and p90 of bench/list_bench.py (English and Russian) against the median of stock Flask-Admin's first page of
1,000,000 rows (bench_list.py).
"""

import json
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
ANCHORS = os.path.normpath(os.path.join(ROOT, "..", "shared", "anchors"))
VENV = os.environ.get("ANCHORS_VENV", "/tmp/anchors-venv")
DATA = os.environ.get("ANCHORS_DATA", "/tmp/anchors-data")
PY = sys.executable
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
ONLY = set(os.environ.get("BENCH_ONLY", "import,export,list").split(","))
SECRET = "side-by-side-secret-key-side-by-side-secret-key"


def run(argv, **kw) -> str:
    return subprocess.run(argv, capture_output=True, text=True, check=True, **kw).stdout


def ab(a: str, b: str, n: int) -> dict:
    """ab.py's medians: {"A": {"wall", "peak_mb"}, "B": ..., "ratio"}."""
    out = run(["python3", os.path.join(ANCHORS, "ab.py"), "-n", str(n), "--a", a, "--b", b])
    found = {"ratio": float(re.search(r"A/B wall\s+([\d.]+)", out)[1])}
    for side in "AB":
        found[side] = {key: float(re.search(rf"{side} {key}\s+([\d.]+)", out)[1]) for key in ("wall", "peak_mb")}
    return found


def import_rows(work: str) -> list[str]:
    flask = [PY, "-m", "flask", "--app", os.path.join(ROOT, "app")]
    env = {**os.environ, "SECRET_KEY": SECRET, "DATABASE_URL": f"sqlite:///{work}/template.db"}
    run([*flask, "db", "upgrade"], env=env, cwd=ROOT)
    run([*flask, "roster", "demo", "--students", "1"], env=env, cwd=ROOT)
    school = sqlite3.connect(f"{work}/template.db").execute("SELECT slug FROM school ORDER BY id").fetchone()[0]
    with open(f"{work}/roster_import.sh", "w") as f:
        f.write(f"""#!/bin/sh
cp {work}/template.db {work}/run.db && rm -f {work}/run.db-journal
cd {ROOT} && SECRET_KEY={SECRET} DATABASE_URL=sqlite:///{work}/run.db ROSTER_IMPORT_MAX_BYTES=50000000 \\
  exec {PY} -m flask --app {ROOT}/app roster import "$1" --school {school}
""")
    with open(f"{work}/die_import.sh", "w") as f:
        f.write(f"#!/bin/sh\ncd {ANCHORS}/django_proj && exec {VENV}/bin/python bench_import.py cached_tuned "
                f"\"$1\" fresh\n")
    for name in ("roster_import.sh", "die_import.sh"):
        os.chmod(f"{work}/{name}", 0o755)
    lines = []
    for n, runs in ((10_000, 5), (100_000, 3)):
        source = f"{DATA}/students_{n}.csv"
        ours = f"{work}/roster_{n}.csv"  # Roster's plural headers: program -> programs, section -> sections
        with open(source, encoding="utf-8") as f, open(ours, "w", encoding="utf-8") as out:
            header = f.readline()
            out.write(re.sub(r"\bprogram\b", "programs", re.sub(r"\bsection\b", "sections", header)))
            shutil.copyfileobj(f, out)
        found = ab(f"{work}/roster_import.sh {ours}", f"{work}/die_import.sh {source}", runs)
        lines.append(f"| import {n:,} rows (CLI, fresh SQLite) | {found['A']['wall']:.2f} s, "
                     f"{found['A']['peak_mb']:.0f} MB "
                     f"| django-import-export best {found['B']['wall']:.2f} s, {found['B']['peak_mb']:.0f} MB "
                     f"| **{found['ratio']:.2f}** |")
        print(lines[-1], flush=True)
    found = ab(f"{work}/roster_import.sh {work}/roster_100000.csv",
               f"{VENV}/bin/python {ANCHORS}/bench_physical.py sqlite_executemany {DATA}/students_100000.csv "
               f"{work}/physical.db", 3)
    lines.append(f"| import 100,000 rows | {found['A']['wall']:.2f} s | the limit, sqlite3 executemany of parsed rows "
                 f"{found['B']['wall']:.2f} s | **{found['ratio']:.2f}** |")
    print(lines[-1], flush=True)
    return lines


def export_rows() -> list[str]:
    times = {"csv": [], "xlsx": [], "peer": []}
    peaks = {"csv": [], "xlsx": []}
    for _ in range(RUNS):
        for fmt in ("csv", "xlsx"):
            result = json.loads(run([PY, os.path.join(HERE, "export_bench.py"), "child", fmt, ""]).splitlines()[-1])
            times[fmt].append(result["seconds"])
            peaks[fmt].append(result["peak_mb"])
        out = run([f"{VENV}/bin/python", "bench_export.py", "100000"], cwd=os.path.join(ANCHORS, "flask_app"))
        times["peer"].append(json.loads(out.split("RESULT ", 1)[1])["total_s"])
    csv_s, xlsx_s, peer_s = (statistics.median(times[k]) for k in ("csv", "xlsx", "peer"))
    lines = [f"| export CSV, 100,000 rows | {csv_s:.2f} s, {statistics.median(peaks['csv']):.0f} MB peak "
             f"| stock Flask-Admin {peer_s:.2f} s | **{csv_s / peer_s:.2f}** ({peer_s / csv_s:.1f}x faster) |",
             f"| export XLSX, 100,000 rows | {xlsx_s:.2f} s, {statistics.median(peaks['xlsx']):.0f} MB peak "
             f"| Roster's own CSV {csv_s:.2f} s | **{xlsx_s / csv_s:.2f}** |"]
    print("\n".join(lines), flush=True)
    return lines


def list_rows() -> list[str]:
    out = run([f"{VENV}/bin/python", "bench_list.py", "1000000", "20"], cwd=os.path.join(ANCHORS, "flask_app"))
    urls = json.loads(out.split("RESULT ", 1)[1])["urls"]
    first, searched = urls["first_page"]["median_ms"], urls["filtered_searched"]["median_ms"]
    lines = [f"| stock Flask-Admin, 1,000,000 rows | first page {first:.1f} ms, searched page {searched:.1f} ms | | |"]
    for language in ("en", "ru"):
        out = run([PY, os.path.join(HERE, "list_bench.py")], env={**os.environ, "BENCH_LANGUAGE": language})
        for line in out.splitlines()[1:]:
            name, median, p90 = re.match(r"\s+(.+?)\s{2,}([\d.]+) ms\s+([\d.]+) ms", line).groups()
            lines.append(f"| list ({language}), {name} | {median} ms (p90 {p90} ms) | first page {first:.1f} ms "
                         f"| **{float(p90) / first:.2f}** |")
    print("\n".join(lines), flush=True)
    return lines


def main() -> None:
    print("| work | Roster | peer | ratio (Roster / peer) |\n|---|---|---|---|", flush=True)
    work = tempfile.mkdtemp()
    try:
        if "import" in ONLY:
            import_rows(work)
        if "export" in ONLY:
            export_rows()
        if "list" in ONLY:
            list_rows()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
