"""Duplicate detection in a school of 100,000 students with 1 % planted duplicates: the Add form's check (the
service, and the whole Add request that finds one), and the Duplicates page.

The school is made by importing one file (so its keys are written by the import, as a school's are): 99,000
children, then 1,000 rows that are children of the file written another way (Latin letters, Ё as Е, Kazakh
letters as Russian, first and last name swapped), with the same date of birth. Its own database: bench/out/
duplicates.db, or BENCH_DUPLICATES_DATABASE_URL (a PostgreSQL database this script drops and creates).

    .venv/bin/python bench/duplicates_bench.py
"""

import csv
import io
import os
import random
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.generate import FIRST, LAST, recreate  # noqa: E402
from tests.helpers import csrf_from  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SIZE, PLANTED = 100_000, 1_000
ADMIN, PASSWORD = "dup-admin@roster.example", "bench-password-2026"
LATIN = {"а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "yo", "ж": "zh", "з": "z", "и": "i",
         "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
         "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ы": "y", "э": "e",
         "ю": "yu", "я": "ya", "ь": "", "ъ": ""}


def database_url() -> str:
    return os.environ.get("BENCH_DUPLICATES_DATABASE_URL") or "sqlite:///" + os.path.join(HERE, "out",
                                                                                           "duplicates.db")


def latin(name: str) -> str:
    out = "".join(LATIN.get(c.lower(), c) for c in name)
    return out[:1].upper() + out[1:]


def variant(row: list, rng: random.Random) -> list:
    """The same child written another way."""
    last, first, born, phone = row
    how = rng.randrange(4)
    if how == 0:
        return [latin(last), latin(first), born, ""]
    if how == 1:
        return [last.replace("е", "ё", 1), first, born, phone]
    if how == 2:
        return [first, last, born, ""]  # swapped
    return [last + "а" if not last.endswith("а") else last[:-1], first, born, phone]  # a letter wrong


def rows(rng: random.Random) -> list[list]:
    base = []
    for _n in range(SIZE - PLANTED):
        born = f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.{rng.randint(2008, 2019)}"
        phone = f"870{rng.randint(0, 9)}{rng.randint(1000000, 9999999)}"
        base.append([rng.choice(LAST), rng.choice(FIRST), born, phone])
    return base + [variant(rng.choice(base), rng) for _n in range(PLANTED)]


def bench_app():
    from roster import create_app

    return create_app({"TESTING": False, "DEBUG": False, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI":
                       database_url(), "SESSION_COOKIE_SECURE": False, "TWO_FACTOR_REQUIRED": False})


def timed(function, times: int) -> list[float]:
    out = []
    for _n in range(times):
        started = time.perf_counter()
        function()
        out.append((time.perf_counter() - started) * 1000)
    return out


def figures(label: str, ms: list[float]) -> None:
    ms = sorted(ms)
    print(f"  {label:<52} median {statistics.median(ms):7.1f} ms   p90 {ms[int(len(ms) * 0.9) - 1]:7.1f} ms")


def main() -> None:
    from datetime import datetime

    from flask_migrate import upgrade
    from sqlalchemy import select, text

    from roster import permissions
    from roster.extensions import db
    from roster.models import Membership, Student
    from roster.services import accounts, duplicates, importing, schools

    url = database_url()
    recreate(url)
    app = bench_app()
    rng = random.Random(7)
    data = rows(rng)
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        school_id = schools.create("Duplicates School", actor=permissions.SYSTEM).id
        admin = accounts.create_user(ADMIN, password=PASSWORD)
        db.session.flush()
        db.session.add(Membership(user_id=admin.id, school_id=school_id, role="admin"))
        db.session.commit()
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["Last name", "First name", "Date of birth", "Phone"])
        writer.writerows(data)
        started = time.perf_counter()
        job = importing.run_now(school_id, "planted.csv", buffer.getvalue().encode(), actor=permissions.SYSTEM)
        # Settled, as production's tables are after autovacuum (the visibility map lets the page's scan of the
        # keys read the index alone); measured unsettled, PostgreSQL's page took 1.06 s.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE" if url.startswith("postgresql") else "ANALYZE"))
        print(url)
        print(f"  import of {SIZE:,} rows with {PLANTED:,} planted: {time.perf_counter() - started:.1f} s "
              f"({job.created_count:,} new, {job.report.get('duplicate_count', 0):,} marked possible duplicates)")

        def candidate(row):
            last, first, born, phone = row
            return {"last_name": last, "first_name": first, "phone_normalized": phone and "+7" + phone[1:],
                    "birth_date": datetime.strptime(born, "%d.%m.%Y").date()}

        like = [candidate(variant(rng.choice(data[:SIZE - PLANTED]), rng)) for _n in range(100)]
        fresh = [candidate([rng.choice(LAST) + "ова", rng.choice(FIRST), "01.01.2007", ""]) for _n in range(100)]
        found = sum(1 for c in like if duplicates.find(school_id, c))
        for label, candidates in ((f"Add's check, a child on the list ({found}/100 found)", like),
                                  ("Add's check, a new child", fresh)):
            each = iter(candidates * 3)
            figures(label, timed(lambda each=each: duplicates.find(school_id, next(each)), 300))
        db.session.remove()

    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"login": ADMIN, "password": PASSWORD, "csrf_token": token})
    page = client.get("/admin/duplicates/")
    assert page.status_code == 200, page.status_code
    with app.app_context():
        pairs = duplicates.pairs(school_id, actor=permissions.SYSTEM)
        planted_ids = set(range(SIZE - PLANTED + 1, SIZE + 1))  # the last rows' ids in an empty database
        caught = len({sid for p in pairs for sid in (p.first.id, p.second.id) if sid in planted_ids})
        db.session.remove()
    print(f"  the Duplicates page lists {len(pairs):,} pairs; {caught:,} of the {PLANTED:,} planted rows are in "
          "one")
    figures("the Duplicates page (GET, whole request)", timed(lambda: client.get("/admin/duplicates/"), 5))
    form = client.get("/admin/students/new/").get_data(as_text=True)
    values = {"csrf_token": csrf_from(form), "last_name": latin(data[5][0]), "first_name": latin(data[5][1]),
              "birth_date": datetime.strptime(data[5][2], "%d.%m.%Y").date().isoformat()}
    response = client.post("/admin/students/new/", data=values)
    assert b"possible-duplicates" in response.data, response.status_code
    figures("Add submitted, a possible duplicate shown (whole request)",
            timed(lambda: client.post("/admin/students/new/", data=values), 20))
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Student)) == SIZE  # Add saved none


if __name__ == "__main__":
    main()
