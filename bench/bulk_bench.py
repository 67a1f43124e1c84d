"""Bulk Leave, Move to section and a tag added of 10,000 students of the big school, as "Select all N matching"
runs them: roster.services.bulk.start (the form's request: its first chunk) then the background job's run of the
rest, each chunk a transaction, on the generated database; put back afterwards. Prints the request's share and
the whole change, end to end.

    .venv/bin/python bench/generate.py && .venv/bin/python bench/bulk_bench.py
"""

import os
import re
import sys
import time
from datetime import date

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sqlalchemy import delete, select, update  # noqa: E402

from bench.generate import BENCH_ADMIN, BENCH_PASSWORD, BIG_SLUG, bench_app, database_url  # noqa: E402
from roster import tasks  # noqa: E402
from roster.extensions import db  # noqa: E402
from roster.models import (  # noqa: E402
    Movement,
    School,
    Section,
    Status,
    Student,
    Tag,
    User,
    student_section,
    student_tag,
    utcnow,
)
from roster.records import BulkJob  # noqa: E402
from roster.services import bulk, years  # noqa: E402
from tests.helpers import csrf_from  # noqa: E402

COUNT = int(os.environ.get("BENCH_COUNT", "10000"))


def main() -> None:
    app = bench_app()
    with app.app_context():
        school_id = db.session.scalar(select(School.id).where(School.slug == BIG_SLUG))
        admin = db.session.scalar(select(User).where(User.email == BENCH_ADMIN))
        section = db.session.scalar(select(Section).where(Section.school_id == school_id))
        if section is None:
            section = Section(school_id=school_id, year_id=years.current_id(school_id), name="Bench 1A")
            db.session.add(section)
            db.session.commit()
        section_id = section.id
        ids = db.session.scalars(select(Student.id).where(Student.school_id == school_id,
                                                          Student.status == Status.STUDYING.value)
                                 .order_by(Student.id.desc()).limit(COUNT)).all()
        olympiad = db.session.scalar(select(Tag.id).where(Tag.school_id == school_id, Tag.name == "Olympiad"))
        tagged = db.session.scalars(select(student_tag.c.student_id).where(student_tag.c.tag_id == olympiad)).all()
        print(f"{database_url()}  {len(ids):,} students")
        ids = list(dict.fromkeys([*ids, *tagged]))  # put back afterwards: these and the HTTP run's
        ids, http_ids = ids[:COUNT], ids
        links = [tuple(r) for chunk in _chunks(http_ids) for r in db.session.execute(
            select(student_section.c.student_id, student_section.c.section_id)
            .where(student_section.c.student_id.in_(chunk)))]
        started_at = utcnow()
        tag = db.session.scalar(select(Tag).where(Tag.school_id == school_id, Tag.name == "Bench tag"))
        if tag is None:
            tag = Tag(school_id=school_id, name="Bench tag")
            db.session.add(tag)
            db.session.commit()
        tag_id = tag.id
    http_move(app, olympiad, section_id)  # requests of their own, outside this app context
    with app.app_context():
        runs = (("move to section", "move", {"section_id": section_id, "date": date.today()}),
                ("add a tag", "add_link", {"link": "tags", "link_id": tag_id}),
                ("leave", "leave", {"date": date.today(), "reason": "other"}))
        for name, kind, params in runs:
            db.session.remove()  # each form is a request of its own: a fresh session, as there
            admin = db.session.scalar(select(User).where(User.email == BENCH_ADMIN))
            started = time.perf_counter()
            outcome = bulk.start(kind, ids, school_id, params, actor=admin)
            asked = time.perf_counter() - started
            db.session.remove()
            if outcome.job_id is not None:  # what the worker does
                bulk.run_job(outcome.job_id, runner="bench")
            job = db.session.get(BulkJob, outcome.job_id) if outcome.job_id else None
            changed, skipped = (job.changed, job.skipped_count) if job else (len(outcome.changed),
                                                                              len(outcome.skipped))
            print(f"  {name:<16} request {asked:5.2f} s   end to end {time.perf_counter() - started:6.1f} s   "
                  f"({changed:,} done, {skipped:,} skipped)")
    with app.app_context():
        db.session.execute(student_tag.delete().where(student_tag.c.tag_id == tag_id))
        db.session.execute(delete(BulkJob).where(BulkJob.created_at >= started_at))
        # Put the database back as it was: statuses, sections, and no movement or order of this run.
        for chunk in _chunks(http_ids):
            db.session.execute(update(Student).where(Student.id.in_(chunk)).values(
                status=Status.STUDYING.value, dropout_date=None, dropout_reason="", dropout_note=""))
            db.session.execute(student_section.delete().where(student_section.c.student_id.in_(chunk)))
        if links:
            db.session.execute(student_section.insert(), [{"student_id": a, "section_id": b} for a, b in links])
        db.session.execute(delete(Movement).where(Movement.created_at >= started_at))
        db.session.commit()


def http_move(app, tag_id: int, section_id: int) -> None:
    """Move to section of every student with a tag, as a school admin does it (the real app, HTTP): the list
    filtered, "Select all N matching", the Move form, its submit, and the background job to its end."""
    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    assert client.post("/login", data={"login": BENCH_ADMIN, "password": BENCH_PASSWORD,
                                       "csrf_token": token}).status_code == 302
    started = time.perf_counter()
    query = f"flt0_5={tag_id}"
    page = client.get(f"/admin/students/?{query}").get_data(as_text=True)
    first = re.search(r'name="rowid" class="action-checkbox" value="(\d+)"', page).group(1)
    response = client.post("/admin/students/action/", data={"csrf_token": csrf_from(page), "action": "move",
                                                             "rowid": first, "matching": query})
    form_url = response.location
    form = client.get(form_url).get_data(as_text=True)
    shown = time.perf_counter() - started
    response = client.post(form_url, data={"csrf_token": csrf_from(form), "section": str(section_id),
                                           "date": date.today().isoformat()})
    assert "/bulk/" in response.location, response.location
    asked = time.perf_counter() - started
    tasks.wait_for_background_work(app, timeout=600)
    status = client.get(response.location + "/progress").get_json()
    print(f"  HTTP move of all {status['total']:,} matching: form shown {shown:5.2f} s, submitted {asked:5.2f} s, "
          f"end to end {time.perf_counter() - started:6.1f} s   ({status['done']:,} of {status['total']:,}, "
          f"{status['status']})")


def _chunks(ids):
    for start in range(0, len(ids), 1000):
        yield ids[start:start + 1000]


if __name__ == "__main__":
    main()
