"""Erasing a student erases: afterwards no table holds the child's name, email, phone or birth date."""

import datetime as dt
import json

import pytest
from sqlalchemy import select

from roster import tasks
from roster.extensions import db
from roster.models import Invitation, Membership, Student, User
from roster.records import AuditEvent, MailMessage
from tests.agent import Agent, find_form
from tests.factories import PASSWORD
from tests.helpers import school_records

CHILD = {"last_name": "Erasova", "first_name": "Zlata", "middle_name": "Pavlovna", "email": "zlata.old@example.org",
         "phone": "+7 701 555 01 23", "personal_file_number": "ER-777", "birth_date": "2011-04-05",
         "address": "Abai street 17", "extra_phone": "+7 702 555 09 87", "extra_email": "zlata.extra@example.org"}
GUARDIAN = {"full_name": "Erasov Pavel", "relation": "father", "phone": "+7 705 555 44 33",
            "email": "pavel.erasov@example.org", "workplace": "Kazakhtelecom", "position": "engineer"}
NEW_EMAIL = "zlata.new@example.org"
TRACES = ["Erasova", "Zlata", "zlata.old@example.org", NEW_EMAIL, "zlata.extra@example.org", "7015550123",
          "701 555", "2011-04-05", "05.04.2011", "Erasov Pavel", "pavel.erasov@example.org", "7055554433", "ER-777",
          "Abai street"]


def everything_stored(app) -> list[tuple[str, str, str]]:
    """(table, column, text) of every value of every table, as text: JSON as written, binary decoded."""
    found = []
    with app.app_context():
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(select(table)).mappings():
                for column, value in row.items():
                    if value is None:
                        continue
                    if isinstance(value, bytes):
                        text = value.decode("utf-8", errors="replace")
                    elif isinstance(value, (dict, list)):
                        text = json.dumps(value, ensure_ascii=False)
                    elif isinstance(value, (dt.date, dt.datetime)):
                        text = value.isoformat()
                    else:
                        text = str(value)
                    found.append((table.name, column, text))
    return found


def traces_left(app) -> list[tuple[str, str, str]]:
    digits = lambda text: "".join(c for c in text if c.isdigit())  # noqa: E731
    left = []
    for table, column, text in everything_stored(app):
        for trace in TRACES:
            if trace.lower() in text.lower() or (trace.isdigit() and trace in digits(text)):
                left.append((table, column, trace))
    return left


def test_erasing_a_student_leaves_nothing_of_them_in_any_table(app, world, agent):
    admin = agent("admin_a")
    # The child's whole story: added with a guardian, credentials mailed (an account), the email changed (two
    # mails, the old address in the audit), an invitation, an import that matched them and one that failed,
    # signing in (sessions, audit events of their own).
    page = admin.submit(admin.get("/admin/students/new/"), field="last_name", inline={"guardians": [GUARDIAN]},
                        expect=(302,), **CHILD)
    with app.app_context():
        child = db.session.scalar(select(Student).where(Student.last_name == "Erasova"))
        child_id = child.id
    page = admin.get(f"/admin/students/credentials?id={child_id}")
    page = admin.submit(page, id="credentials-form", button="change")
    password = find_form(page, id="credentials-form")["password"].value
    admin.submit(page, id="credentials-form", expect=(302,))
    admin.submit(admin.get(f"/admin/students/change-email?id={child_id}"), field="new_email", new_email=NEW_EMAIL,
                 confirm_email=NEW_EMAIL, expect=(302,))
    admin.submit(admin.get("/admin/invite/"), field="emails", emails="zlata.extra@example.org")
    admin.upload_import("list.csv", (
        b"Last name,First name,Email,Date of birth\nErasova,Zlata,zlata.new@example.org,2011-04-05\n"
        b"Erasova,Zlata,zlata.extra@example.org,2011-13-05\n"))
    tasks.wait_for_background_work(app)
    child_user = Agent(app)
    child_user.sign_in(NEW_EMAIL, password)
    assert traces_left(app), "the story above should have left the child's data in many tables"

    # Delete, from the student's own page: it asks first (data-confirm), then erases.
    details = admin.get(f"/admin/students/details/?id={child_id}")
    assert "removed for good" in details.html.select_one("#delete-button")["data-confirm"]
    page = admin.submit(details, action="/delete/", expect=(302,)).follow()
    assert "Erasova" not in page.text

    assert traces_left(app) == []
    with app.app_context():
        assert db.session.get(Student, child_id) is None
        assert db.session.scalar(select(User).where(User.email == NEW_EMAIL)) is None
        [erased] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "student erased")).all()
        assert (erased.target_id, erased.actor_id) == (child_id, world.admin_a.id)
        assert erased.details == {"account": "erased"}
        kinds = {m.kind for m in db.session.scalars(select(MailMessage).where(MailMessage.to_address == "[erased]"))}
        assert {"credentials", "email changed", "invitation"} <= kinds  # the log keeps that these were sent
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "credentials issued")) is not None
    assert child_user.get("/account").status_int == 302  # its sessions went with the account


def test_an_account_that_is_someone_elses_too_stays_and_only_the_link_goes(app, world, agent):
    with app.app_context():  # the child's account is also a teacher of the other school
        student = db.session.get(Student, world.in_section.id)
        db.session.add(Membership(school_id=world.school_b.id, user_id=student.user_id, role="teacher"))
        db.session.commit()
    admin = agent("admin_a")
    page = admin.get("/admin/students/")
    response = admin.bulk_action(page, "delete", [world.in_section.id])
    assert "Erased 1 student." in response.follow().text
    with app.app_context():
        assert db.session.get(Student, world.in_section.id) is None
        assert db.session.get(User, world.student_user.id) is not None
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "student erased"))
        assert event.details == {"account": "kept"}


def test_teachers_cannot_erase(app, world, agent):
    teacher = agent("teacher_a")
    page = teacher.get("/admin/students/")
    assert 'data-model-action="delete"' not in page.text
    assert teacher.get(f"/admin/students/details/?id={world.in_section.id}").html.select_one("#delete-button") is None
    with app.app_context():
        assert db.session.get(Student, world.in_section.id) is not None


def test_a_signed_in_student_keeps_nothing_after_being_erased(app, world, agent):
    pupil = Agent(app)
    pupil.sign_in(world.student_user.email, PASSWORD)
    admin = agent("admin_a")
    admin.bulk_action(admin.get("/admin/students/"), "delete", [world.in_section.id])
    assert pupil.get("/account").status_int == 302  # signed out: the account is gone


def test_other_events_naming_the_child_in_any_alphabet_lose_those_values(app, world, agent):
    """Events about something else that name the child (JSON keeps Cyrillic as \\uXXXX): found and scrubbed."""
    from roster.services import audit

    with app.app_context():
        child = db.session.get(Student, world.out_section.id)
        child.last_name, child.first_name = "Иванова", "Алёна"
        audit.record("students exported", actor=None, school_id=world.school_a.id,
                     details={"filters": [["Full name", "Иванова Алёна"]], "rows": 1})
        audit.record("students exported", actor=None, school_id=world.school_a.id,
                     details={"filters": [["Full name", "Петров"]], "rows": 3})
        db.session.commit()
    admin = agent("admin_a")
    admin.bulk_action(admin.get("/admin/students/"), "delete", [world.out_section.id])
    with app.app_context():
        exports = [e.details for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "students exported").order_by(AuditEvent.id))]
    assert exports == [{"filters": [["Full name", "[erased]"]], "rows": 1},
                       {"filters": [["Full name", "Петров"]], "rows": 3}]


SHARED = "someone@example.org"  # an address school B invited; school A's admin types it for their own child


def _type_address(admin, child_id: int, where: str) -> None:
    """School A's admin puts the address where an admin can type it: the extra email, a parent's email, or the
    child's email (then changed again, so that it is only in the "email changed" history)."""
    if where == "extra email":
        admin.submit(admin.get(f"/admin/students/edit/?id={child_id}"), field="last_name", extra_email=SHARED,
                     expect=(302,))
    elif where == "guardian's email":
        admin.submit(admin.get(f"/admin/students/edit/?id={child_id}"), field="last_name",
                     inline={"guardians": [{"full_name": "Someone Else", "email": SHARED}]}, expect=(302,))
    else:
        for address in (SHARED, "inside.later@alpha.example"):
            admin.submit(admin.get(f"/admin/students/change-email?id={child_id}"), field="new_email",
                         new_email=address, confirm_email=address, expect=(302,))


@pytest.mark.parametrize("where", ["extra email", "guardian's email", "email changed history"])
def test_erasing_leaves_another_schools_mail_log_invitations_and_audit_as_they_were(app, world, agent, where):
    admin_b, admin_a = agent("admin_b"), agent("admin_a")
    admin_b.submit(admin_b.get("/admin/invite/"), field="emails", emails=SHARED)
    admin_a.submit(admin_a.get("/admin/invite/"), field="emails", emails=SHARED)  # A's own mail to it goes
    child_id = world.in_section.id  # has an account of their own
    _type_address(admin_a, child_id, where)
    tasks.wait_for_background_work(app)
    school_b_before = school_records(app, world.school_b.id)
    assert [m[3] for m in school_b_before["mail_message"]] == [SHARED]  # B's invitation mail, to the address

    admin_a.submit(admin_a.get(f"/admin/students/details/?id={child_id}"), action="/delete/", expect=(302,))

    assert school_records(app, world.school_b.id) == school_b_before
    page = admin_b.get("/admin/mail_log/")
    assert SHARED in page.text and "[erased]" not in page.text
    with app.app_context():
        assert db.session.get(Student, child_id) is None
        assert db.session.get(User, world.student_user.id) is None  # the child's account went
        mails_a = db.session.scalars(select(MailMessage).where(MailMessage.school_id == world.school_a.id)).all()
        assert mails_a and all(m.to_address == "[erased]" and m.body_text == "[erased]" for m in mails_a)
        assert db.session.scalar(select(Invitation).where(Invitation.school_id == world.school_a.id)) is None


def test_the_erased_accounts_own_mails_go_but_another_schools_mails_to_its_address_stay(app, world, agent):
    """A password reset (no school) to the child's own address is the account's: erased. School B's invitation
    to that very address is B's record: kept."""
    admin_b = agent("admin_b")
    admin_b.submit(admin_b.get("/admin/invite/"), field="emails", emails=world.student_user.email)
    anonymous = Agent(app)
    anonymous.submit(anonymous.get("/forgot-password"), field="email", email=world.student_user.email)
    tasks.wait_for_background_work(app)
    school_b_before = school_records(app, world.school_b.id)
    admin_a = agent("admin_a")
    admin_a.submit(admin_a.get(f"/admin/students/details/?id={world.in_section.id}"), action="/delete/",
                   expect=(302,))
    assert school_records(app, world.school_b.id) == school_b_before
    with app.app_context():
        own = db.session.scalars(select(MailMessage).where(MailMessage.school_id.is_(None))).all()
        assert [(m.kind, m.to_address, m.body_text) for m in own] == [("password reset", "[erased]", "[erased]")]
