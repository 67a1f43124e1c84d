"""The movement book of the big school (100,000 students) for a school year with ~20,000 movements: the page and
its CSV and XLSX, through the real app (the Flask test client), median of a few runs.

    .venv/bin/python bench/generate.py && .venv/bin/python bench/movement_book_bench.py

The first run adds the year's movements to the generated big school (arrivals, leavings, returns spread over
September to May); later runs reuse them.
"""

import os
import random
import statistics
import sys
import time
from datetime import date, timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sqlalchemy import func, insert, select, update  # noqa: E402

from bench.generate import BENCH_ADMIN, BENCH_PASSWORD, BIG_SLUG, bench_app, database_url  # noqa: E402
from roster.extensions import db  # noqa: E402
from roster.models import Movement, School, Student  # noqa: E402
from tests.helpers import csrf_from  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "5"))
YEAR_START = date(2025, 9, 1)
REASONS = ["moved in the country", "moved abroad", "expelled", "health", "other"]


def add_movements(app) -> int:
    """~20,000 movements in the big school's 2025/2026: 10,000 arrivals, 8,000 leavings, 2,000 of them back."""
    with app.app_context():
        school_id = db.session.scalar(select(School.id).where(School.slug == BIG_SLUG))
        if db.session.scalar(select(func.count(Movement.id)).where(Movement.school_id == school_id)):
            return school_id
        rng = random.Random(7)
        ids = db.session.scalars(select(Student.id).where(Student.school_id == school_id).order_by(Student.id)).all()
        day = lambda: YEAR_START + timedelta(days=rng.randint(0, 270))  # noqa: E731
        rows, left, back = [], [], []
        for sid in ids[:10_000]:
            rows.append({"school_id": school_id, "student_id": sid, "kind": "arrived", "date": day()})
        for sid in ids[10_000:18_000]:
            when = day()
            rows.append({"school_id": school_id, "student_id": sid, "kind": "left", "date": when,
                         "reason": rng.choice(REASONS)})
            left.append(sid)
            if len(back) < 2_000 and when < date(2026, 4, 1):
                rows.append({"school_id": school_id, "student_id": sid, "kind": "returned",
                             "date": when + timedelta(days=rng.randint(1, 60))})
                back.append(sid)
        db.session.execute(insert(Movement), [{"reason": "", "note": "", **r} for r in rows])
        gone = sorted(set(left) - set(back))
        for start in range(0, len(gone), 1000):
            db.session.execute(update(Student).where(Student.id.in_(gone[start:start + 1000])).values(status="left"))
        db.session.commit()
        print(f"  added {len(rows):,} movements")
        return school_id


def main() -> None:
    app = bench_app()
    add_movements(app)
    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"login": BENCH_ADMIN, "password": BENCH_PASSWORD, "csrf_token": token})
    assert response.status_code == 302, "sign-in failed: run bench/generate.py first"
    period = "start=2025-09-01&end=2026-08-31"
    cases = {"page, the school year": f"/admin/movement-book/?{period}",
             "page, one figure's children (left)": f"/admin/movement-book/?{period}&figure=left",
             "export CSV": f"/admin/movement-book/export?format=csv&{period}",
             "export XLSX": f"/admin/movement-book/export?format=xlsx&{period}"}
    print(f"{database_url()}  ({RUNS} runs each, median)")
    for name, url in cases.items():
        times = []
        for _ in range(RUNS + 1):
            started = time.perf_counter()
            response = client.get(url)
            body = response.get_data()
            times.append(time.perf_counter() - started)
            assert response.status_code == 200, response.status_code
        print(f"  {name:<40} {statistics.median(times[1:]) * 1000:8.0f} ms   ({len(body):,} bytes)")


if __name__ == "__main__":
    main()
