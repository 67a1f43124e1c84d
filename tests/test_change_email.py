"""Change a student's email: checked, the login follows, both addresses told, audited."""

from sqlalchemy import select

from roster import tasks
from roster.extensions import db
from roster.models import Student, User
from roster.records import AuditEvent
from tests.agent import Agent
from tests.helpers import Browser, mail_config


def page_status(browser, sid):
    return browser.get(f"/admin/students/change-email?id={sid}").status_code


def change(user, sid, new, confirm=None):
    """Open the student's Change email page, type the address twice and press Change email."""
    page = user.get(f"/admin/students/change-email?id={sid}")
    return user.submit(page, field="new_email", new_email=new, confirm_email=confirm or new)


def forged(browser, sid, new):
    """A POST made without the page: for people who cannot open it."""
    return browser.post(f"/admin/students/change-email?id={sid}", {"new_email": new, "confirm_email": new})


def test_change_email_moves_the_login_and_tells_both_addresses(make_app, world, outbox, smtp_port):
    app = make_app(**mail_config(smtp_port))
    admin = Agent(app)
    admin.sign_in("admin@alpha.example")
    sid = world.in_section.id
    page = admin.get(f"/admin/students/change-email?id={sid}").text
    assert 'id="current-email">inside@alpha.example' in page
    with app.app_context():  # the world's student account signs in with its email as login
        user = db.session.get(User, world.student_user.id)
        user.email, user.login = "inside@alpha.example", "inside@alpha.example"
        db.session.commit()
    response = change(admin, sid, " Ivan.New@Example.org ", "ivan.new@example.org")
    assert response.status_int == 302
    with app.app_context():
        student = db.session.get(Student, sid)
        assert (student.email, student.user.email, student.user.login) == ("ivan.new@example.org",) * 3
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "email changed"))
        assert event.details == {"from": "inside@alpha.example", "to": "ivan.new@example.org"}
    tasks.wait_for_background_work(app)
    assert {m["To"] for m in outbox.wait_for(2)} == {"ivan.new@example.org", "inside@alpha.example"}
    Browser(app).sign_in("ivan.new@example.org")


def test_change_email_validation(app, agent, world):
    admin = agent("admin_a")
    sid = world.out_section.id
    assert "Enter a valid email address" in change(admin, sid, "nope").text
    assert "The two addresses differ." in change(admin, sid, "a@example.org", "b@example.org").text
    assert "already uses this address" in change(admin, sid, "inside@alpha.example").text
    assert "already uses this address" in change(admin, sid, "admin@beta.example").text
    with app.app_context():
        assert db.session.get(Student, sid).email is None
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "email changed")) is None


def test_only_school_admins_change_emails(app, as_role, world):
    assert page_status(as_role("teacher_a"), world.in_section.id) == 403
    assert forged(as_role("teacher_a"), world.in_section.id, "t@example.org").status_code == 403
    assert forged(as_role("admin_b"), world.in_section.id, "t@example.org").status_code == 404
    with app.app_context():
        assert db.session.get(Student, world.in_section.id).email == "inside@alpha.example"
