"""A school changes only accounts that are its student's alone: no takeover of another school's admin."""

from sqlalchemy import select

from roster import tasks
from roster.extensions import db
from roster.models import School, Section, Student, User
from roster.records import AuditEvent, MailMessage
from roster.services.accounts import NOT_THEIRS
from tests.agent import Agent, follow
from tests.test_change_email import change
from tests.test_credentials import submit
from tests.test_invitations import sign_up

CHOSEN = "chosen by school A's admin"


def dual_account(app, world, agent):
    """A person signs up through school A's link; school B's admin then adds the same email as a school admin
    (the Staff form finds the existing account). Returns (student id, account id)."""
    with app.app_context():
        token = db.session.get(School, world.school_a.id).signup_token
    _, response = sign_up(app, f"/join/{token}", email="dual@person.example")
    assert response.status_int == 302
    tasks.wait_for_background_work(app)
    admin_b = agent("admin_b")
    admin_b.submit(admin_b.get("/admin/staff/new/"), field="email", email="dual@person.example", role="admin",
                   expect=(302,))
    with app.app_context():
        student = db.session.scalar(select(Student).where(Student.email == "dual@person.example"))
        student.sections = [db.session.get(Section, world.section_a1.id)]  # the teacher of 1A sees them
        db.session.commit()
        return student.id, student.user_id


def account(app, user_id):
    with app.app_context():
        user = db.session.get(User, user_id)
        return user.login, user.email, user.password_hash


def test_credentials_refuse_an_account_that_is_another_schools_admin(app, world, agent):
    sid, user_id = dual_account(app, world, agent)
    before = account(app, user_id)
    for name in ("admin_a", "teacher_a"):
        staff = agent(name)
        page = submit(staff, sid, login="", email="dual@person.example", password=CHOSEN, expect=(200,))
        assert NOT_THEIRS in page.text
        assert account(app, user_id) == before
    # The bulk action skips them, and says why.
    admin_a = agent("admin_a")
    page = follow(admin_a.bulk_action(admin_a.get("/admin/students/"), "send_credentials", [sid])).text
    assert "their address belongs to an account Roster cannot change from here" in page
    assert account(app, user_id) == before
    with app.app_context():
        assert db.session.scalar(select(MailMessage.id).where(MailMessage.kind == "credentials")) is None
        assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "credentials issued")) is None
    # Nobody of school A signs in with a password of their choosing and reaches school B.
    intruder = Agent(app)
    page = intruder.submit(intruder.get("/login"), field="password", login="dual@person.example", password=CHOSEN)
    assert page.status_int == 200 and "do not match an account" in page.text


def test_change_email_refuses_an_account_that_is_another_schools_admin(app, world, agent):
    sid, user_id = dual_account(app, world, agent)
    before = account(app, user_id)
    page = change(agent("admin_a"), sid, "admin.a.own@alpha.example")
    assert page.status_int == 200 and NOT_THEIRS in page.text
    assert account(app, user_id) == before
    with app.app_context():
        assert db.session.get(Student, sid).email == "dual@person.example"


def test_a_students_own_account_is_still_changed(app, world, agent):
    """The rule stops nothing else: a student whose account is theirs alone gets credentials and a new email."""
    with app.app_context():
        token = db.session.get(School, world.school_a.id).signup_token
    sign_up(app, f"/join/{token}", email="only@pupil.example")
    tasks.wait_for_background_work(app)
    with app.app_context():
        sid = db.session.scalar(select(Student.id).where(Student.email == "only@pupil.example"))
    admin_a = agent("admin_a")
    assert submit(admin_a, sid, login="", email="only@pupil.example", password=CHOSEN).status_int == 302
    assert change(admin_a, sid, "only.new@pupil.example").status_int == 302
