"""Bulk Leave and Move to section of 10,000 students of the big school, as "Select all N matching" runs them
(the services the forms call, one transaction each), on the generated database; rolled back afterwards.

    .venv/bin/python bench/generate.py && .venv/bin/python bench/bulk_bench.py
"""

import os
import sys
import time
from datetime import date

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sqlalchemy import delete, select, update  # noqa: E402

from bench.generate import BENCH_ADMIN, BIG_SLUG, bench_app, database_url  # noqa: E402
from roster.extensions import db  # noqa: E402
from roster.models import (  # noqa: E402
    Movement,
    School,
    Section,
    Status,
    Student,
    User,
    student_section,
    utcnow,
)
from roster.services import movements  # noqa: E402

COUNT = int(os.environ.get("BENCH_COUNT", "10000"))


def main() -> None:
    app = bench_app()
    with app.app_context():
        school_id = db.session.scalar(select(School.id).where(School.slug == BIG_SLUG))
        admin = db.session.scalar(select(User).where(User.email == BENCH_ADMIN))
        section = db.session.scalar(select(Section).where(Section.school_id == school_id))
        if section is None:
            section = Section(school_id=school_id, name="Bench 1A")
            db.session.add(section)
            db.session.commit()
        section_id = section.id
        ids = db.session.scalars(select(Student.id).where(Student.school_id == school_id,
                                                          Student.status == Status.STUDYING.value)
                                 .order_by(Student.id.desc()).limit(COUNT)).all()
        print(f"{database_url()}  {len(ids):,} students")
        links = [tuple(r) for chunk in _chunks(ids) for r in db.session.execute(
            select(student_section.c.student_id, student_section.c.section_id)
            .where(student_section.c.student_id.in_(chunk)))]
        started_at = utcnow()
        runs = (("move to section", lambda actor: movements.move_to_section(
                    ids, school_id, section_id, on=date.today(), actor=actor)),
                ("leave", lambda actor: movements.leave(ids, school_id, on=date.today(), reason="other",
                                                        actor=actor)))
        for name, run in runs:
            db.session.remove()  # each form is a request of its own: a fresh session, as there
            admin = db.session.scalar(select(User).where(User.email == BENCH_ADMIN))
            started = time.perf_counter()
            done, skipped = run(admin)
            print(f"  {name:<16} {time.perf_counter() - started:6.1f} s   "
                  f"({len(done):,} done, {len(skipped):,} skipped)")
        # Put the database back as it was: statuses, sections, and no movement or order of this run.
        for chunk in _chunks(ids):
            db.session.execute(update(Student).where(Student.id.in_(chunk)).values(
                status=Status.STUDYING.value, dropout_date=None, dropout_reason="", dropout_note=""))
            db.session.execute(student_section.delete().where(student_section.c.student_id.in_(chunk)))
        if links:
            db.session.execute(student_section.insert(), [{"student_id": a, "section_id": b} for a, b in links])
        db.session.execute(delete(Movement).where(Movement.created_at >= started_at))
        db.session.commit()


def _chunks(ids):
    for start in range(0, len(ids), 1000):
        yield ids[start:start + 1000]


if __name__ == "__main__":
    main()
