"""Close the school year of the 100,000-student school with 3,000 sections: the preview (the service, and the page
through the real app), Apply in the background (start + the worker's run), and undo of the whole close. The
sections ("5А-17": grades 1 to 11, 9 and 11 graduate) and the students' links are made first; everything is put
back afterwards.

    .venv/bin/python bench/generate.py && .venv/bin/python bench/year_close_bench.py
"""

import os
import sys
import time
from datetime import date

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import delete, insert, select, update  # noqa: E402

from bench.generate import BENCH_ADMIN, BENCH_PASSWORD, BIG_SLUG, bench_app, database_url  # noqa: E402
from roster.extensions import db  # noqa: E402
from roster.models import (  # noqa: E402
    Movement,
    Order,
    School,
    SchoolYear,
    Section,
    Student,
    User,
    student_section,
    utcnow,
)
from roster.records import YearClose  # noqa: E402
from roster.services import movements, year_close, year_close_undo, years  # noqa: E402
from tests.helpers import csrf_from  # noqa: E402

SECTIONS = int(os.environ.get("BENCH_SECTIONS", "3000"))
LETTERS = "АБВГДЕЖЗИКЛМНОПРСТУФХЦЧШЭЮЯ"


def main() -> None:
    app = bench_app()
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        school_id = db.session.scalar(select(School.id).where(School.slug == BIG_SLUG))
        year = years.current(school_id)
        year_id, title = year.id, year.title
        per_grade = SECTIONS // 11 + 1
        names = [f"{grade}{LETTERS[n % len(LETTERS)]}-{n}" for grade in range(1, 12) for n in range(per_grade)]
        names = names[:SECTIONS]
        db.session.execute(insert(Section), [{"school_id": school_id, "year_id": year.id, "name": n} for n in names])
        section_ids = list(db.session.scalars(select(Section.id).where(Section.year_id == year.id)))
        students = list(db.session.scalars(select(Student.id).where(Student.school_id == school_id)))
        for begin in range(0, len(students), 20000):
            db.session.execute(insert(student_section), [
                {"student_id": sid, "section_id": section_ids[(begin + n) % len(section_ids)]}
                for n, sid in enumerate(students[begin:begin + 20000])])
        db.session.commit()
        started_at = utcnow()
        not_studying = set(db.session.scalars(select(Student.id).where(Student.school_id == school_id,
                                                                        Student.status != "studying")))
        print(f"{database_url()}  {len(students):,} students in {len(section_ids):,} sections of {title}")
        admin = db.session.scalar(select(User).where(User.email == BENCH_ADMIN))
        try:
            began = time.perf_counter()
            close = year_close.draft(school_id, actor=admin)
            plan = year_close.plan(close)
            print(f"  preview (service)     {time.perf_counter() - began:6.2f} s   ({len(plan.steps):,} children, "
                  f"{len(plan.counts()):,} next-year sections, {len(plan.warnings):,} warnings)")
            close_id = close.id
            db.session.remove()
            if os.environ.get("BENCH_SLOW"):  # the statements' time, apply and undo together, by their first words
                slow_statements(db.engine)
            http_preview(app)
            db.session.remove()
            admin = db.session.scalar(select(User).where(User.email == BENCH_ADMIN))
            began = time.perf_counter()
            year_close.start(close_id, school_id, movements.OrderGiven("BENCH-1", date.today()), actor=admin)
            started = time.perf_counter() - began
            db.session.remove()
            if os.environ.get("BENCH_PROFILE"):  # where the run's time goes
                import cProfile
                import pstats

                cProfile.runctx("year_close.run(close_id, runner='bench')", globals(), locals(), "/tmp/close.prof")
                pstats.Stats("/tmp/close.prof").sort_stats("cumulative").print_stats(30)
            else:
                year_close.run(close_id, runner="bench")
            close = db.session.get(YearClose, close_id)
            print(f"  apply                 {time.perf_counter() - began:6.2f} s   (start {started:.2f} s; "
                  f"{close.done:,} children, {close.status})")
            db.session.remove()
            admin = db.session.scalar(select(User).where(User.email == BENCH_ADMIN))
            began = time.perf_counter()
            if os.environ.get("BENCH_PROFILE"):
                import cProfile
                import pstats

                cProfile.runctx("year_close_undo.undo(close_id, school_id, actor=admin)", globals(), locals(),
                                "/tmp/undo.prof")
                pstats.Stats("/tmp/undo.prof").sort_stats("tottime").print_stats(15)
                count = 0
            else:
                count = year_close_undo.undo(close_id, school_id, actor=admin)
            print(f"  undo the whole close  {time.perf_counter() - began:6.2f} s   ({count:,} children)")
        finally:
            db.session.rollback()
            put_back(school_id, year_id, started_at, not_studying)


def slow_statements(engine) -> None:
    from collections import Counter

    from sqlalchemy import event

    spent = Counter()

    @event.listens_for(engine, "before_cursor_execute")
    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info["began"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def after(conn, cursor, statement, parameters, context, executemany):
        spent[" ".join(statement.split())[:110]] += time.perf_counter() - conn.info["began"]

    import atexit

    atexit.register(lambda: print("\n".join(f"  {t:6.2f} s  {s}" for s, t in spent.most_common(8))))


def http_preview(app) -> None:
    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    assert client.post("/login", data={"login": BENCH_ADMIN, "password": BENCH_PASSWORD,
                                       "csrf_token": token}).status_code == 302
    for run in range(2):
        began = time.perf_counter()
        response = client.get("/admin/year-close/preview")
        assert response.status_code == 200, response.status_code
        print(f"  preview (the page) #{run + 1} {time.perf_counter() - began:6.2f} s")


def put_back(school_id: int, year_id: int, started_at, not_studying: set[int]) -> None:
    """The close, its next year and its sections, the bench's sections and links, its movements and order go;
    the students' statuses are as before (the undo put them back; a failed run is put back here)."""
    db.session.execute(delete(YearClose).where(YearClose.school_id == school_id))
    db.session.execute(update(SchoolYear).where(SchoolYear.school_id == school_id).values(is_current=False))
    db.session.execute(update(SchoolYear).where(SchoolYear.id == year_id).values(is_current=True))
    db.session.execute(delete(SchoolYear).where(SchoolYear.school_id == school_id, SchoolYear.id != year_id))
    db.session.execute(delete(Section).where(Section.school_id == school_id))
    db.session.execute(delete(Movement).where(Movement.school_id == school_id, Movement.created_at >= started_at))
    db.session.execute(delete(Order).where(Order.school_id == school_id, Order.number == "BENCH-1"))
    changed = [i for i in db.session.scalars(select(Student.id).where(Student.school_id == school_id,
                                                                      Student.status != "studying"))
               if i not in not_studying]
    for begin in range(0, len(changed), 1000):
        db.session.execute(update(Student).where(Student.id.in_(changed[begin:begin + 1000])).values(
            status="studying", dropout_date=None, dropout_reason="", dropout_note=""))
    db.session.commit()


if __name__ == "__main__":
    main()
