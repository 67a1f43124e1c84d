"""Transfers between the platform's schools: asked by one school, accepted or declined by the other's admin (who
is mailed); on acceptance the child's record, parents and account move, the sending record is Transferred out,
and both schools' movements are written."""

import datetime as dt

from sqlalchemy import select

from roster import tasks
from roster.extensions import db
from roster.models import Guardian, Movement, Student
from roster.records import MailMessage
from tests.agent import Agent, find_form
from tests.factories import PASSWORD


def send_from_alpha(admin_a, student_id, school="Beta School", note="family moved"):
    page = admin_a.get(f"/admin/students/details/?id={student_id}")
    form_page = admin_a.get(page.html.select_one("#transfer-link")["href"])
    choice = [o for o in find_form(form_page, id="transfer-form")["to_school"].options if o[2] == school][0][0]
    return admin_a.submit(form_page, id="transfer-form", to_school=choice, note=note, expect=(302,))


def test_a_transfer_asked_by_the_sending_school_accepted_by_the_receiving_one(app, agent, world):
    with app.app_context():
        student = db.session.get(Student, world.in_section.id)
        student.birth_date, student.citizenship, student.personal_file_number = dt.date(2012, 3, 4), "KZ", "A-1"
        student.national_id = "871008401427"
        student.guardians = [Guardian(full_name="Inside Anna", relation="mother", workplace="Clinic")]
        db.session.commit()
    admin_a, admin_b = agent("admin_a"), agent("admin_b")
    send_from_alpha(admin_a, world.in_section.id)
    tasks.wait_for_background_work(app)
    with app.app_context():
        [mail] = db.session.scalars(select(MailMessage).where(MailMessage.kind == "transfer asked")).all()
        assert mail.to_address == "admin@beta.example" and "Alpha School asks Beta School to take Inside Ivan" \
            in mail.body_text and "/admin/transfers/" in mail.body_text
    # Alpha cannot decide on its own request; it may withdraw it.
    page_a = admin_a.get("/admin/transfers/")
    row = page_a.html.select_one("#transfers-table tr.transfer-open")
    assert row.select_one(".withdraw-button") and not row.select_one(".accept-button")
    # Beta's admin accepts it from the Transfers page.
    page_b = admin_b.get("/admin/transfers/")
    row = page_b.html.select_one("#transfers-table tr.transfer-open")
    assert "Inside Ivan" in row.get_text() and "family moved" in row.get_text()
    response = admin_b.submit(page_b, action="/decide", button="accept", expect=(302,)).follow()
    assert "The transfer is accepted" in response.text
    with app.app_context():
        old = db.session.get(Student, world.in_section.id)
        new = db.session.scalar(select(Student).where(Student.school_id == world.school_b.id,
                                                      Student.last_name == "Inside"))
        assert (old.status, old.user_id, old.dropout_note) == ("transferred", None, "Beta School")
        assert (new.status, new.user_id, new.birth_date, new.citizenship, new.source, new.national_id) == (
            "studying", world.student_user.id, dt.date(2012, 3, 4), "KZ", "transfer", "871008401427")
        assert new.personal_file_number is None and new.sections == [] and new.tags == []  # the school's own
        assert [(g.full_name, g.workplace) for g in new.guardians] == [("Inside Anna", "Clinic")]
        kinds = {(m.school_id, m.kind, m.reason) for m in db.session.scalars(select(Movement).where(
            Movement.student_id.in_([old.id, new.id]), Movement.kind != "arrived") )}
        assert kinds == {(world.school_a.id, "left", "transferred")}
        arrived = db.session.scalar(select(Movement).where(Movement.student_id == new.id))
        assert (arrived.kind, arrived.reason, arrived.note) == ("arrived", "from a school of the platform",
                                                                "Alpha School")
    # The student signs in and sees Beta School.
    pupil = Agent(app)
    pupil.sign_in(world.student_user.email, PASSWORD)
    assert "Beta School" in pupil.get("/account").text
    # Alpha's record is read-only, found under Transferred out.
    details = admin_a.get(f"/admin/students/details/?id={world.in_section.id}")
    assert details.html.select_one("#edit-link") is None and details.html.select_one("#transfer-link") is None


def test_a_school_finds_a_child_on_the_platform_and_asks_and_a_declined_request_changes_nothing(app, agent, world):
    with app.app_context():
        db.session.get(Student, world.in_section.id).birth_date = dt.date(2012, 3, 4)
        db.session.commit()
    admin_b = agent("admin_b")
    page = admin_b.get("/admin/transfers/?last_name=inside&birth_date=2012-03-04")
    [row] = page.html.select("#found tr")[1:]
    assert "Inside Ivan" in row.get_text() and "studies at Alpha School" in row.get_text()
    assert "pupil@alpha.example" not in page.text and "inside@alpha.example" not in page.text  # no school data
    assert admin_b.get("/admin/transfers/?last_name=inside&birth_date=2012-03-05").html.select_one("#found-none")
    admin_b.submit(page, action="/ask", field="student_id", note="their parents asked", expect=(302,))
    again = admin_b.get("/admin/transfers/?last_name=inside&birth_date=2012-03-04")
    response = admin_b.submit(again, action="/ask", field="student_id", expect=(302,)).follow()
    assert "already has an open transfer" in response.text
    admin_a = agent("admin_a")
    page_a = admin_a.get("/admin/transfers/")
    admin_a.submit(page_a, action="/decide", button="decline", expect=(302,))
    with app.app_context():
        assert db.session.get(Student, world.in_section.id).status == "studying"
        assert db.session.scalar(select(Student).where(Student.school_id == world.school_b.id,
                                                       Student.last_name == "Inside")) is None


def test_only_the_ends_of_a_transfer_see_or_decide_it(app, agent, world):
    admin_a = agent("admin_a")
    send_from_alpha(admin_a, world.in_section.id)
    with app.app_context():
        from roster.models import Transfer

        transfer_id = db.session.scalar(select(Transfer.id))
    teacher = agent("teacher_a")
    assert teacher.get("/admin/transfers/").status_int == 403
    assert teacher.get(f"/admin/students/transfer?id={world.in_section.id}").status_int == 403
    assert agent("admin_b").get(f"/admin/students/transfer?id={world.in_section.id}").status_int == 404
    platform = agent("platform")
    assert "Inside Ivan" in platform.get("/admin/transfers/").text  # platform admins see every school's
    with app.app_context():
        from roster.models import Transfer

        assert db.session.get(Transfer, transfer_id).state == "open"
