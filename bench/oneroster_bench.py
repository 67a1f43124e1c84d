"""OneRoster out at the big school (100,000 students): the zip export beside the CSV export of the same list, and
pages of 1,000 users and enrollments of the REST API, through the app.

The first run gives the big school 40 sections of this year (2,500 students each, a teacher each) if it has none,
so that classes, teachers and enrollments are there to write. Each export runs in a fresh process (its peak memory
is its own), CSV and zip taking turns. Needs bench/generate.py first.

    .venv/bin/python bench/oneroster_bench.py          # SQLite; BENCH_DATABASE_URL=... for PostgreSQL
"""

import json
import os
import resource
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

RUNS = int(os.environ.get("BENCH_RUNS", "3"))
PAGE_RUNS = int(os.environ.get("BENCH_PAGE_RUNS", "20"))
SECTIONS = 40
EXPORTS = {"csv": "/admin/students/export?format=csv",
           "oneroster": "/admin/students/export/oneroster?download=1&demographics=1"}


def prepare() -> None:
    """Sections, teachers and links for the big school, once."""
    from sqlalchemy import insert, select

    from bench.generate import BIG_SLUG, bench_app
    from roster.extensions import db
    from roster.models import Membership, School, Section, Student, section_teacher, student_section
    from roster.services import accounts, years

    app = bench_app()
    with app.app_context():
        school = db.session.scalar(select(School).where(School.slug == BIG_SLUG))
        year = years.current_id(school.id)
        if db.session.scalar(select(Section.id).where(Section.school_id == school.id).limit(1)):
            return
        ids = db.session.scalars(select(Student.id).where(Student.school_id == school.id).order_by(Student.id)).all()
        for n in range(SECTIONS):
            section = Section(school_id=school.id, year_id=year, name=f"{n // 4 + 1}{'ABCD'[n % 4]}")
            teacher = accounts.create_user(f"teacher{n}@big.example", password=None)
            db.session.add(section)
            db.session.flush()
            db.session.add(Membership(user_id=teacher.id, school_id=school.id, role="teacher"))
            db.session.execute(insert(section_teacher).values(section_id=section.id, user_id=teacher.id))
            db.session.execute(insert(student_section), [{"student_id": i, "section_id": section.id}
                                                         for i in ids[n::SECTIONS]])
        db.session.commit()
        print(f"  the big school now has {SECTIONS} sections and teachers", flush=True)


def signed_in(app):
    from bench.generate import BENCH_ADMIN, BENCH_PASSWORD
    from tests.helpers import csrf_from

    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"login": BENCH_ADMIN, "password": BENCH_PASSWORD, "csrf_token": token})
    return client


def export_child(kind: str) -> None:
    from bench.generate import bench_app

    client = signed_in(bench_app())
    client.get("/admin/students/")  # warm up, then measure the export alone
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    response = client.get(EXPORTS[kind])
    assert response.status_code == 200, response.status_code
    size = sum(len(block) for block in response.response)  # read the stream as a browser would
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": elapsed, "peak_mb": peak / 1024, "grew_mb": (peak - before) / 1024, "bytes": size}))


def api_pages() -> None:
    """Pages of 1,000 records of the REST API, each its whole request (token check, query, JSON, audit)."""
    from sqlalchemy import select

    from bench.generate import BIG_SLUG, bench_app
    from roster import permissions
    from roster.extensions import db
    from roster.models import School
    from roster.services import integrations

    app = bench_app()
    with app.app_context():
        school = db.session.scalar(select(School).where(School.slug == BIG_SLUG))
        client, secret = integrations.create([school.id], "bench", actor=permissions.SYSTEM)
        client_id = client.client_id
    app.config["ONEROSTER_RATE_LIMIT"] = "100000 per minute"
    web = app.test_client()
    token = web.post("/ims/oneroster/token", data={"grant_type": "client_credentials"},
                     auth=(client_id, secret)).get_json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    base = "/ims/oneroster/rostering/v1p2"
    cases = {"users, first page": f"{base}/users?limit=1000",
             "users, offset 50,000": f"{base}/users?limit=1000&offset=50000",
             "users, last page": f"{base}/users?limit=1000&offset=99000",
             "users sorted by familyName, offset 50,000": f"{base}/users?limit=1000&sort=familyName&offset=50000",
             "students sorted by familyName": f"{base}/students?limit=1000&sort=familyName",
             "users changed since (delta, none)":
                 f"{base}/users?limit=1000&filter=dateLastModified>'2030-01-01T00:00:00Z'",
             "enrollments, first page": f"{base}/enrollments?limit=1000",
             "enrollments, offset 50,000": f"{base}/enrollments?limit=1000&offset=50000"}
    for name, url in cases.items():
        times = []
        for _ in range(PAGE_RUNS):
            started = time.perf_counter()
            response = web.get(url, headers=headers)
            body = response.get_data()
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (response.status_code, body[:300])
        times.sort()
        records = len(next(v for k, v in json.loads(body).items() if k != "imsx_statusInfo"))
        print(f"  {name:<42} median {statistics.median(times):6.0f} ms   p90 {times[int(len(times) * 0.9) - 1]:6.0f} ms"
              f"   {records} records, total {response.headers['X-Total-Count']}", flush=True)


def main() -> None:
    print(os.environ.get("BENCH_DATABASE_URL") or "sqlite (bench/out/bench.db)", f"- median of {RUNS} runs")
    prepare()
    results = {kind: [] for kind in EXPORTS}
    for _ in range(RUNS):
        for kind in EXPORTS:  # in turn, so that both see the same machine
            out = subprocess.run([sys.executable, __file__, "export", kind], capture_output=True, text=True,
                                 check=True).stdout
            results[kind].append(json.loads(out.strip().splitlines()[-1]))
    for kind, runs in results.items():
        print(f"  export {kind:<10} 100,000 students {statistics.median(r['seconds'] for r in runs):6.1f} s   "
              f"peak {statistics.median(r['peak_mb'] for r in runs):5.0f} MB "
              f"(+{statistics.median(r['grew_mb'] for r in runs):4.0f} MB during the export)   "
              f"{runs[0]['bytes'] / 1e6:.1f} MB file")
    ratio = statistics.median(r["seconds"] for r in results["oneroster"]) / statistics.median(
        r["seconds"] for r in results["csv"])
    print(f"  OneRoster zip / CSV: {ratio:.2f}")
    print(f"REST pages (median and p90 of {PAGE_RUNS})")
    subprocess.run([sys.executable, __file__, "api"], check=True)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "export":
        export_child(sys.argv[2])
    elif len(sys.argv) > 1 and sys.argv[1] == "api":
        api_pages()
    else:
        main()
