"""Median time of the Students list in the big school, through the real app (HTTP via the test client).

    .venv/bin/python bench/generate.py && .venv/bin/python bench/list_bench.py
"""

import os
import statistics
import sys
import time
from urllib.parse import urlencode

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.generate import BENCH_ADMIN, BENCH_PASSWORD, bench_app, database_url  # noqa: E402
from roster.extensions import db  # noqa: E402
from roster.models import Student, Tag  # noqa: E402
from tests.helpers import csrf_from  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "30"))
LANGUAGE = os.environ.get("BENCH_LANGUAGE", "en")  # the page's language (Accept-Language): en, ru or kk


def main() -> None:
    app = bench_app()
    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"login": BENCH_ADMIN, "password": BENCH_PASSWORD, "csrf_token": token})
    assert response.status_code == 302, "sign-in failed: run bench/generate.py first"
    with app.app_context():
        tag_id = db.session.scalar(db.select(Tag.id).where(Tag.name == "Olympiad").order_by(Tag.id))
        phone = db.session.scalar(db.select(Student.phone).where(Student.id == 4321))
    cases = {
        "first page, no filter": "/admin/students/",
        "full-name search 'иванов петр'": "/admin/students/?flt0_0=иванов+петр",
        "full-name search 'сейтказ'": "/admin/students/?flt0_0=сейтказ",
        "full-name search 'ан' (two letters)": "/admin/students/?flt0_0=ан",
        "tag filter (Olympiad)": f"/admin/students/?flt0_5={tag_id}",
        "phone search, whole number": "/admin/students/?" + urlencode({"flt0_1": phone}),
        "phone search, part '701 123'": "/admin/students/?flt0_1=701+123",
    }
    print(f"{database_url()}  ({RUNS} runs each, median / p90, pages in {LANGUAGE})")
    for name, url in cases.items():
        times = []
        for _ in range(RUNS + 3):
            started = time.perf_counter()
            response = client.get(url, headers={"Accept-Language": LANGUAGE})
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        times = sorted(times[3:])  # the first runs warm caches
        html = response.get_data(as_text=True)
        count = html.split('id="student-count">(', 1)[1].split(")", 1)[0] if "student-count" in html else "0"
        print(f"  {name:<44} {statistics.median(times):7.1f} ms  {times[int(len(times) * 0.9)]:7.1f} ms"
              f"   ({count} students)")


if __name__ == "__main__":
    main()
