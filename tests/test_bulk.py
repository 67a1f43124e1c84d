"""Bulk actions on everyone a filter matches, not only the page: a tag or program added and removed, Send
credentials, Activate, Export; the confirmation states the count and the filter; a big change runs in the
background with its progress and ends with a report; a job whose process died goes on where it stopped."""

import csv
import io

import pytest
from sqlalchemy import func, select

from roster import tasks
from roster.extensions import db
from roster.models import Movement, Student, User, student_section, student_tag
from roster.records import BulkJob, MailMessage
from roster.services import bulk, erasure
from roster.services import students as student_service
from tests.helpers import filter_arg


def add_students(app, world, count, *, prefix="Many", section=None, **values):
    with app.app_context():
        admin = db.session.get(User, world.admin_a.id)
        return [student_service.create(world.school_a.id, {
            "last_name": f"{prefix}{n:03}", "first_name": "M", "section_ids": [(section or world.section_a2).id],
            **({k: v.format(n=n) for k, v in values.items()})}, actor=admin) for n in range(count)]


def section_page(admin, section):
    sections = filter_arg(admin.get("/admin/students/").text, "Sections")
    return admin.get(f"/admin/students/?{sections}={section.id}")


def tagged(app, tag_id) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(student_tag).where(student_tag.c.tag_id == tag_id))


def test_add_then_remove_a_tag_for_every_student_a_filter_matches(app, agent, world):
    add_students(app, world, 30)
    admin = agent("admin_a")
    page = section_page(admin, world.section_a2)  # 31 match (Outside Olga too), 20 shown
    first = int(page.html.select_one("input.action-checkbox")["value"])
    form_page = admin.bulk_action(page, "add_link", [first], matching=True).follow()
    assert "Add a tag or program: 31 students" in form_page.text
    note = form_page.html.select_one("#all-matching-note").get_text(" ", strip=True)
    assert "Status equals Studying" in note and "Sections any of 2A" in note  # the filter, in words
    options = [o.get_text() for o in form_page.html.select("#link option")]
    assert world.tag_a.name in options and world.program_a.name in options
    done = admin.submit(form_page, id="links-form", link=f"tags:{world.tag_a.id}", expect=(302,)).follow()
    assert "31 students have it now." in done.text
    assert tagged(app, world.tag_a.id) == 31
    # Again: all of them have it already, each is named as skipped with the reason.
    form_page = admin.bulk_action(section_page(admin, world.section_a2), "add_link", [first], matching=True).follow()
    again = admin.submit(form_page, id="links-form", link=f"tags:{world.tag_a.id}", expect=(302,)).follow()
    assert f"Skipped 31: Many000 M (already has {world.tag_a.name})" in again.text
    # Removed from the ticked row only, then from everyone the filter matches.
    form_page = admin.bulk_action(section_page(admin, world.section_a2), "remove_link", [first]).follow()
    admin.submit(form_page, id="links-form", link=f"tags:{world.tag_a.id}", expect=(302,))
    assert tagged(app, world.tag_a.id) == 30
    form_page = admin.bulk_action(section_page(admin, world.section_a2), "remove_link", [first],
                                  matching=True).follow()
    done = admin.submit(form_page, id="links-form", link=f"tags:{world.tag_a.id}", expect=(302,)).follow()
    assert "30 students no longer have it." in done.text and "does not have" in done.text
    assert tagged(app, world.tag_a.id) == 0


def test_a_tag_of_another_school_a_typed_value_or_an_odd_id_is_refused_never_a_500(app, agent, as_role, world):
    admin = agent("admin_a")
    for url in ("/admin/students/links?how=add&id=abc", f"/admin/students/links?id={world.b_student.id}",
                "/admin/students/confirm?action=delete&matching=1", "/admin/students/confirm?action=activate&id=x",
                "/admin/students/bulk/999999", "/admin/students/bulk/999999/progress"):
        assert admin.get(url).status_int == 404, url
    forged = as_role("admin_a")  # values no page of Roster offers: the form says so, nothing changes
    for typed in (f"tags:{world.tag_a.id + 1000}", "tags:x", "sections:1", "", "tags:"):
        response = forged.post("/admin/students/links?how=add", {"id": world.in_section.id, "link": typed})
        assert response.status_code == 200 and "invalid-feedback" in response.get_data(as_text=True), typed
    assert tagged(app, world.tag_a.id) == 0


def test_send_credentials_to_every_student_a_filter_matches_after_a_confirmation(app, agent, world):
    add_students(app, world, 25, email="many{n}@alpha.example")
    admin = agent("admin_a")
    page = section_page(admin, world.section_a2)
    first = int(page.html.select_one("input.action-checkbox")["value"])
    confirm = admin.bulk_action(page, "send_credentials", [first], matching=True).follow()
    assert "Send credentials: 26 students" in confirm.text  # the count, the filter, and nothing sent yet
    assert "Sections any of 2A" in confirm.html.select_one("#all-matching-note").get_text()
    with app.app_context():
        assert not db.session.scalar(select(func.count()).select_from(MailMessage).where(
            MailMessage.kind == "credentials"))
    done = admin.submit(confirm, id="confirm-form", expect=(302,)).follow()
    assert "Credentials sent to 25 students." in done.text and "Skipped 1: Outside Olga (no email)" in done.text
    tasks.wait_for_background_work(app)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(MailMessage).where(
            MailMessage.kind == "credentials")) == 25


def test_export_and_delete_with_all_matching(app, agent, world):
    add_students(app, world, 25)
    admin = agent("admin_a")
    page = section_page(admin, world.section_a2)
    first = int(page.html.select_one("input.action-checkbox")["value"])
    exported = admin.bulk_action(page, "export", [first], matching=True).follow()
    rows = list(csv.reader(io.StringIO(exported.body.decode("utf-8-sig"))))
    assert len(rows) == 1 + 26  # the header and every student the filter matches
    # Delete never erases every match: it says so and erases nothing.
    refused = admin.bulk_action(section_page(admin, world.section_a2), "delete", [first], matching=True).follow()
    assert "nothing was erased" in refused.text
    with app.app_context():
        assert db.session.scalar(select(func.count(Student.id))) == 3 + 25  # the world's three and the 25


@pytest.fixture
def small_chunks(monkeypatch):
    """A "big" change of a few dozen students: chunks of ten, so that the background job does the rest."""
    monkeypatch.setattr(bulk, "CHUNK", 10)


def test_a_big_move_runs_in_the_background_with_progress_and_ends_with_a_report(app, agent, world, small_chunks):
    add_students(app, world, 34)
    admin = agent("admin_a")
    with app.app_context():  # one of them has left: skipped, with the reason
        db.session.execute(db.update(Student).where(Student.last_name == "Many033").values(status="left"))
        db.session.commit()
    page = section_page(admin, world.section_a2)  # 34 studying match (Outside Olga too, Many033 has left)
    first = int(page.html.select_one("input.action-checkbox")["value"])
    form_page = admin.bulk_action(page, "move", [first], matching=True).follow()
    response = admin.submit(form_page, id="move-form", section=str(world.section_a1.id), order_number="17-ш",
                            expect=(302,))
    assert "/admin/students/bulk/" in response.location
    tasks.wait_for_background_work(app)
    job_page = response.follow()
    assert job_page.html.select_one("#job-status").get_text() == "Completed"
    assert job_page.html.select_one("#total-changed").get_text() == "34"
    assert "Sections any of 2A" in job_page.html.select_one("#job-filters").get_text()
    progress = admin.get(job_page.request.path + "/progress").json
    assert progress == {"status": "completed", "done": 34, "total": 34, "working": False}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(student_section).where(
            student_section.c.section_id == world.section_a2.id)) == 1  # Many033, who left, stays in 2A
        assert db.session.scalar(select(func.count()).select_from(Movement).where(Movement.kind == "moved")) == 34
        job = db.session.scalar(select(BulkJob))
        assert job.student_ids == [] and job.changed == 34  # the work list goes when the job ends


def test_a_big_leave_reports_each_skipped_student_and_its_reason(app, agent, world, small_chunks):
    add_students(app, world, 24)
    with app.app_context():
        db.session.execute(db.update(Student).where(Student.last_name.in_(["Many005", "Many015"]))
                           .values(status="left"))
        db.session.commit()
    admin = agent("admin_a")
    status = filter_arg(admin.get("/admin/students/").text, "Status")
    page = admin.get(f"/admin/students/?{status}=all")
    first = int(page.html.select_one("input.action-checkbox")["value"])
    form_page = admin.bulk_action(page, "leave", [first], matching=True).follow()
    assert "Status equals any status" in form_page.html.select_one("#all-matching-note").get_text()
    response = admin.submit(form_page, id="leave-form", reason="moved abroad", expect=(302,))
    tasks.wait_for_background_work(app)
    report = response.follow()
    reasons = report.html.select_one("#skipped-reasons").get_text(" ", strip=True)
    assert "not studying (2): Many005 M, Many015 M" in reasons
    with app.app_context():
        assert db.session.scalar(select(func.count(Student.id)).where(
            Student.school_id == world.school_a.id, Student.status == "left")) == 24 + 2
        # Erasing a child takes their name out of the report; the count stays.
        erasure.erase([db.session.scalar(select(Student.id).where(Student.last_name == "Many005"))],
                      world.school_a.id, actor=db.session.get(User, world.admin_a.id))
    reasons = admin.get(report.request.path).html.select_one("#skipped-reasons").get_text(" ", strip=True)
    assert "not studying (2): Many015 M and 1 more" in reasons


def test_a_bulk_job_whose_process_died_goes_on_where_it_stopped(app, world, small_chunks):
    ids = add_students(app, world, 35)
    with app.app_context():
        admin = db.session.get(User, world.admin_a.id)
        outcome = bulk.start("add_link", ids, world.school_a.id, {"link": "tags", "link_id": world.tag_a.id},
                             actor=admin)
        assert outcome.job_id and len(outcome.changed) == 10  # the first chunk, at once
        # Its process died after one more chunk: the job says Running, its runner is gone.
        job = db.session.get(BulkJob, outcome.job_id)
        bulk._apply("add_link", ids[10:20], world.school_a.id, job.params, admin)
        job = db.session.get(BulkJob, outcome.job_id)
        job.done, job.changed, job.runner = 20, 20, "nowhere:999999"
        job.progress_at = job.created_at.replace(year=2000)
        db.session.commit()
    with app.app_context():
        tasks.housekeeping(app, first=True)  # any Roster process's housekeeping takes it up
    tasks.wait_for_background_work(app)
    with app.app_context():
        job = db.session.get(BulkJob, outcome.job_id)
        assert (job.status, job.done, job.changed, job.skipped) == ("completed", 35, 35, {})
    assert tagged(app, world.tag_a.id) == 35


def test_a_running_jobs_page_shows_its_progress_and_polls_for_it(app, agent, world):
    with app.app_context():
        job = BulkJob(school_id=world.school_a.id, created_by_id=world.admin_a.id, kind="move", total=3000, done=1000,
                      student_ids=[], status="running")
        db.session.add(job)
        db.session.commit()
        job_id = job.id
    page = agent("admin_a").get(f"/admin/students/bulk/{job_id}")
    assert page.html.select_one("#progress-text").get_text() == "1,000 of 3,000 students"
    assert page.html.select_one("#progress-bar")["style"] == "width: 33%"
    assert page.html.select_one("#job-progress")["data-url"].endswith(f"/bulk/{job_id}/progress")
