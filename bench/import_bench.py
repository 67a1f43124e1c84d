"""Import 10,000 and 100,000 rows from CSV and XLSX through the job pipeline: preview, run, the same file again,
and a version of it where every student changes.

Each phase runs in a fresh process (its peak RSS is its own) on its own database, created here:
bench/out/import.db, or BENCH_IMPORT_DATABASE_URL (a PostgreSQL database this script drops and creates).

    .venv/bin/python bench/import_bench.py
    BENCH_IMPORT_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/roster_import_bench \\
        .venv/bin/python bench/import_bench.py
"""

import csv
import io
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.generate import FIRST, LAST, MIDDLE, PROGRAMS, TAGS, recreate  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "out")
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
SIZES = [int(n) for n in os.environ.get("BENCH_SIZES", "10000,100000").split(",")]
# The columns a school's list usually has; 100,000 such rows fit in the 10 MB upload limit.
HEADER = ["Last name", "First name", "Middle name", "Email", "Phone", "Personal file number", "Gender",
          "Date of birth", "Is inclusive", "Programs", "Tags", "Sections"]


def database_url() -> str:
    return os.environ.get("BENCH_IMPORT_DATABASE_URL") or "sqlite:///" + os.path.join(OUT, "import.db")


def rows(count: int, changed: bool = False):
    """The school's list; `changed`: the same students a year on, each with a new phone and section."""
    rng = random.Random(count)
    for n in range(count):
        row = [rng.choice(LAST), rng.choice(FIRST), rng.choice(MIDDLE), f"i{n}@school.kz",
               f"870{rng.randint(0, 9)}{rng.randint(1000000, 9999999)}",
               f"IMP-{n}", rng.choice("mf"), f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}."
               f"{rng.randint(2006, 2018)}", rng.choice(["yes", "no"]), rng.choice(PROGRAMS),
               "; ".join(rng.sample(TAGS, rng.randint(0, 2))), f"{rng.randint(1, 11)}{rng.choice('ABCD')}"]
        if changed:
            row[4] = f"8777{n:07d}"
            row[11] = f"{int(row[11][:-1]) % 11 + 1}{row[11][-1]}"
        yield row


def file_for(fmt: str, count: int, changed: bool = False) -> str:
    path = os.path.join(OUT, f"import-{count}{'-changed' if changed else ''}.{fmt}")
    if os.path.exists(path):
        return path
    os.makedirs(OUT, exist_ok=True)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";")  # as a Russian-locale spreadsheet saves it
        writer.writerow(HEADER)
        writer.writerows(rows(count, changed))
        with open(path, "wb") as f:
            f.write(buffer.getvalue().encode("cp1251", errors="replace"))
    else:
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet("Students")
        sheet.append(HEADER)
        for row in rows(count, changed):
            day, month, year = row[7].split(".")
            sheet.append(row[:7] + [__import__("datetime").date(int(year), int(month), int(day))] + row[8:])
        book.save(path)
    return path


def bench_app():
    from roster import create_app

    return create_app({"TESTING": False, "DEBUG": False, "SECRET_KEY": "bench",
                       "SQLALCHEMY_DATABASE_URI": database_url(), "SESSION_COOKIE_SECURE": False})


def child(phase: str, path: str, school_slug: str) -> None:
    """One phase: preview (a dry run on an empty school), run (the real import), rerun (the same file again),
    update (every student with a new phone and section)."""
    from sqlalchemy import select, update

    from roster import permissions
    from roster.extensions import db
    from roster.models import School
    from roster.records import ImportJob
    from roster.services import importing, schools

    app = bench_app()
    with app.app_context():
        school = db.session.scalar(select(School).where(School.slug == school_slug))
        if school is None:
            school_id = schools.create(school_slug, actor=permissions.SYSTEM).id
            db.session.execute(update(School).where(School.id == school_id).values(slug=school_slug))
            db.session.commit()
        else:
            school_id = school.id
        with open(path, "rb") as f:
            data = f.read()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        if phase == "preview":
            job_id = importing.create_job(school_id, os.path.basename(path), data, actor=permissions.SYSTEM)
            importing.run_job(job_id, dry_run=True)
            job = db.session.get(ImportJob, job_id)
        else:
            job = importing.run_now(school_id, os.path.basename(path), data, actor=permissions.SYSTEM)
        elapsed = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(json.dumps({"seconds": elapsed, "peak_mb": peak / 1024, "grew_mb": (peak - before) / 1024,
                          "status": job.status, "created": job.created_count, "updated": job.updated_count,
                          "unchanged": job.unchanged_count, "errors": job.error_count}))


def run_child(*args) -> dict:
    out = subprocess.run([sys.executable, __file__, "child", *args], capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    from flask_migrate import upgrade

    url = database_url()
    recreate(url)
    app = bench_app()
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
    print(url, f"- median of {RUNS} runs; each phase in a fresh process")
    for count in SIZES:
        for fmt in os.environ.get("BENCH_FORMATS", "csv,xlsx").split(","):
            path = file_for(fmt, count)
            changed = file_for(fmt, count, changed=True)
            results: dict[str, list] = {"preview": [], "run": [], "rerun": [], "update": []}
            for attempt in range(RUNS):
                slug = f"bench-{fmt}-{count}-{attempt}-{time.time_ns()}"
                for phase in results:
                    results[phase].append(run_child(phase, changed if phase == "update" else path, slug))
            for phase, found in results.items():
                last = found[-1]
                print(f"  {count:>7,} {fmt:<4} {phase:<8} {statistics.median(r['seconds'] for r in found):6.1f} s   "
                      f"peak RSS {statistics.median(r['peak_mb'] for r in found):5.0f} MB   "
                      f"{last['status']}: {last['created']:,} new, {last['updated']:,} updated, "
                      f"{last['unchanged']:,} unchanged, {last['errors']:,} errors")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "child":
        child(*sys.argv[2:5])
    else:
        main()
