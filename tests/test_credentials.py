"""Credentials: a login and a generated password by mail, never stored in plaintext; bulk sending."""

import re

from sqlalchemy import select

from roster import sealing, tasks
from roster.extensions import db
from roster.models import AccountStatus, Student, User
from roster.records import SECRET_PLACEHOLDER, AuditEvent, MailMessage
from roster.services import credentials, mail
from tests import factories
from tests.agent import Agent, find_form, follow
from tests.helpers import Browser, eventually, mail_config

LOOK_ALIKES = set("0Oo1lI|5S2Z8B'\"`")


def test_generated_passwords_are_strong_and_readable():
    seen = {credentials.generate_password() for _ in range(200)}
    assert len(seen) == 200
    for password in seen:
        assert len(password) >= 12
        assert not LOOK_ALIKES & set(password)
        assert re.search("[a-z]", password) and re.search("[A-Z]", password) and re.search("[0-9]", password)


def open_form(user, sid):
    return user.get(f"/admin/students/credentials?id={sid}")


def press_change(user, page):
    return user.submit(page, id="credentials-form", button="change")


def submit(user, sid, **fields):
    """Open the student's Credentials page, fill it in and press Submit."""
    return user.submit(open_form(user, sid), id="credentials-form", **fields)


def forged(browser, sid, **fields):
    """A POST made without the page: for people who cannot open it (another school, a student)."""
    return browser.post(f"/admin/students/credentials?id={sid}", {"id": sid, **fields})


def test_credentials_create_an_account_and_mail_the_password_once(make_app, world, outbox, smtp_port):
    app = make_app(**mail_config(smtp_port))
    admin = Agent(app)
    admin.sign_in("admin@alpha.example")
    with app.app_context():  # a student with an email and no account yet
        sid = factories.student(_school(world), world.platform, last_name="Newman", first_name="Nina",
                                email="nina@alpha.example").id
    page = open_form(admin, sid)
    form = find_form(page, id="credentials-form")
    assert (form["login"].value, form["email"].value) == ("nina@alpha.example",) * 2  # pre-filled
    changed = press_change(admin, page)
    password = find_form(changed, id="credentials-form")["password"].value
    assert len(password) >= 16
    response = admin.submit(changed, id="credentials-form")  # Submit, with what the page now shows
    assert response.status_int == 302
    assert "Credentials sent to nina@alpha.example" in admin.get(response.location).text
    tasks.wait_for_background_work(app)
    (message,) = outbox.wait_for(1)
    assert message["To"] == "nina@alpha.example"
    assert password in message.get_body(("plain",)).get_content()
    with app.app_context():
        student = db.session.get(Student, sid)
        assert student.account_status == AccountStatus.ACTIVE.value
        user = student.user
        assert (user.login, user.email, user.must_change_password) == ("nina@alpha.example",) * 2 + (True,)
        assert password not in user.password_hash
        logged = db.session.scalar(select(MailMessage).where(MailMessage.kind == "credentials"))
        assert logged.status == "sent" and logged.secret is None
        assert password not in logged.body_text + logged.body_html
        assert SECRET_PLACEHOLDER in logged.body_text
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "credentials issued"))
        assert password not in str(event.details) and event.details["account"] == "created"
    # The student signs in with the mailed password and is sent to set a new one.
    student_browser = Browser(app)
    response = student_browser.sign_in("nina@alpha.example", password)
    assert "/settings/security" in response.location
    assert student_browser.get("/account").status_code == 302


def _school(world):
    from roster.models import School

    return db.session.get(School, world.school_a.id)


def test_credentials_update_an_existing_account_and_end_its_sessions(app, world, agent):
    pupil = Browser(app)
    pupil.sign_in("pupil@alpha.example")
    admin = agent("admin_a")
    sid = world.in_section.id
    response = submit(admin, sid, login="ivan.inside", email="inside@alpha.example", password="x" * 14)
    assert response.status_int == 302
    assert pupil.get("/account").status_code == 302  # signed out everywhere
    with app.app_context():
        user = db.session.get(User, world.student_user.id)
        assert (user.login, user.email, user.must_change_password) == ("ivan.inside", "inside@alpha.example", True)
        # No mail server here: the mail is kept as "not sent" and its password is already gone.
        tasks.wait_for_background_work(app)
        db.session.expire_all()
        logged = db.session.scalar(select(MailMessage).where(MailMessage.kind == "credentials"))
        assert logged.status == "not sent" and logged.secret is None and "x" * 14 not in logged.body_text
    Browser(app).sign_in("ivan.inside", "x" * 14)


def test_credentials_validation(app, world, agent):
    admin = agent("admin_a")
    sid = world.out_section.id  # no email
    page = submit(admin, sid, login="", email="", password="").text
    assert "This field is required." in page
    page = submit(admin, sid, login="", email="not-an-address", password="y" * 14).text
    assert "valid email" in page
    page = submit(admin, sid, login="", email="olga@alpha.example", password="short").text
    assert "at least 12 characters" in page
    page = submit(admin, sid, login="", email="admin@beta.example", password="y" * 14).text
    assert "Another account already uses this login or email." in page
    page = submit(admin, sid, login="", email="inside@alpha.example", password="y" * 14).text
    assert "Another student of this school already has this email." in page
    with app.app_context():
        assert db.session.get(Student, sid).user_id is None
        assert db.session.scalar(select(MailMessage).where(MailMessage.kind == "credentials")) is None


def test_credentials_permissions(app, world, as_role, agent):
    teacher = agent("teacher_a")
    assert teacher.get(f"/admin/students/credentials?id={world.in_section.id}").status_int == 200
    assert teacher.get(f"/admin/students/credentials?id={world.out_section.id}").status_int == 404
    # A teacher may send credentials to their students' own address, not move it elsewhere.
    page = submit(teacher, world.in_section.id, login="", email="elsewhere@example.org", password="z" * 14).text
    assert "Only a school admin can give the student another email." in page
    assert forged(as_role("admin_b"), world.in_section.id, login="", email="inside@alpha.example",
                  password="z" * 14).status_code == 404
    assert forged(as_role("student_user"), world.in_section.id, login="", email="inside@alpha.example",
                  password="z" * 14).status_code == 403
    with app.app_context():
        assert db.session.get(User, world.student_user.id).must_change_password is False


def test_bulk_send_credentials_lists_who_was_skipped(app, world, as_role, agent):
    admin = agent("admin_a")
    with app.app_context():
        extra = factories.student(_school(world), world.platform, last_name="Extra", first_name="Eve",
                                  email="eve@alpha.example").id
    ids = [world.in_section.id, world.out_section.id, extra]
    page = follow(admin.bulk_action(admin.get("/admin/students/"), "send_credentials", ids)).text
    assert "Credentials sent to 2 students." in page
    assert "Skipped 1: Outside Olga (no email)" in page
    with app.app_context():
        sent = db.session.scalars(select(MailMessage.to_address).where(MailMessage.kind == "credentials")).all()
        assert sorted(sent) == ["eve@alpha.example", "inside@alpha.example"]
        assert db.session.get(Student, extra).user.must_change_password
    # Forged: another school's student, and a teacher naming a student outside their sections.
    as_role("admin_a").post("/admin/students/action/", {"action": "send_credentials",
                                                        "rowid": [world.b_student.id], "url": "/admin/students/"})
    with app.app_context():
        assert db.session.get(Student, world.b_student.id).user_id is None  # another school's: untouched
    assert as_role("teacher_a").post("/admin/students/action/", {
        "action": "send_credentials", "rowid": [world.out_section.id], "url": "/admin/students/"},
        follow_redirects=True).status_code == 200
    with app.app_context():
        assert db.session.get(Student, world.out_section.id).user_id is None


def test_a_failed_credentials_mail_forgets_its_password_and_is_not_resent(make_app, world):
    from tests.helpers import free_port

    app = make_app(**mail_config(free_port()))  # nobody listens there: every attempt fails
    admin = Agent(app)
    admin.sign_in("admin@alpha.example")
    submit(admin, world.in_section.id, login="", email="inside@alpha.example", password="w" * 14)

    def failed():
        with app.app_context():
            return db.session.scalar(select(MailMessage.status).where(MailMessage.kind == "credentials")) == "failed"

    eventually(failed)  # the retries, made by the housekeeping loop
    with app.app_context():
        logged = db.session.scalar(select(MailMessage).where(MailMessage.kind == "credentials"))
        assert (logged.status, logged.secret, logged.attempts) == ("failed", None, 3)
        message_id = logged.id
    page = follow(admin.bulk_action(admin.get("/admin/mail_log/"), "resend", [message_id]))
    assert "its password is no longer kept" in page.text
    with app.app_context():
        assert db.session.get(MailMessage, message_id).status == "failed"


def test_a_waiting_credentials_mail_keeps_its_password_sealed(ctx, world, monkeypatch):
    """Between the commit and the delivery the password rests only sealed under SECRET_KEY; another key reads
    nothing, and such a mail fails at once with its reason instead of going out without its password."""
    school = db.session.get(Student, world.in_section.id).school
    student = db.session.get(Student, world.in_section.id)
    message = mail.queue("credentials", "inside@alpha.example", "Sign-in", "credentials", school_id=school.id,
                         secret="Kw7#pLm9vT4qRx3z", school=school, student=student, login="inside@alpha.example",
                         sign_in_url="http://roster.test/login")
    db.session.flush()
    stored = db.session.scalar(select(MailMessage.secret).where(MailMessage.id == message.id))
    assert stored and "Kw7#pLm9vT4qRx3z" not in stored and sealing.unseal(stored) == "Kw7#pLm9vT4qRx3z"
    assert "Kw7#pLm9vT4qRx3z" not in message.body_text + message.body_html
    monkeypatch.setitem(ctx.config, "SECRET_KEY", "another key altogether")
    monkeypatch.setitem(ctx.config, "MAIL_SERVER", "127.0.0.1")  # nothing listens: the mail must fail before
    mail.deliver(message.id)
    logged = db.session.get(MailMessage, message.id)
    assert (logged.status, logged.secret) == ("failed", None) and "could not be unsealed" in logged.last_error


def _at_once(*calls):
    """Run the calls in threads released together (two POSTs of one double click); return their answers."""
    import threading

    barrier = threading.Barrier(len(calls))
    answers = [None] * len(calls)

    def run(n, call):
        barrier.wait()
        answers[n] = call()

    threads = [threading.Thread(target=run, args=(n, call)) for n, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return answers


def test_double_clicked_send_credentials_sends_one_mail_and_answers_both(make_app, world, outbox, smtp_port):
    """Two POSTs of the rendered bulk form at the same moment: one account, one password, one mail, two clean
    answers; the second says why it sent nothing. Then the single Credentials form, submitted twice at once."""
    app = make_app(**mail_config(smtp_port))
    admin = Agent(app)
    admin.sign_in("admin@alpha.example")
    with app.app_context():
        sid = factories.student(_school(world), world.platform, last_name="Twice", first_name="Tom",
                                email="tom@alpha.example").id
    page = admin.get("/admin/students/")
    assert page.forms  # parsed once, before the two threads read them
    answers = _at_once(*[lambda: admin.bulk_action(page, "send_credentials", [sid]) for _ in range(2)])
    assert [a.status_int for a in answers] == [302, 302]
    tasks.wait_for_background_work(app)
    (message,) = outbox.wait_for(1)
    assert message["To"] == "tom@alpha.example"
    with app.app_context():
        assert db.session.scalar(select(User.id).where(User.login == "tom@alpha.example")) is not None
        assert len(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "credentials issued")).all()) == 1
        assert len(db.session.scalars(select(MailMessage).where(MailMessage.kind == "credentials")).all()) == 1
    again = follow(admin.bulk_action(admin.get("/admin/students/"), "send_credentials", [sid])).text
    assert "Twice Tom (credentials were sent a moment ago (a double click?)" in again

    with app.app_context():  # a minute later, the single form: a double click sends once
        db.session.get(Student, sid).credentials_sent_at = None
        db.session.commit()
    form_page = press_change(admin, open_form(admin, sid))
    form = find_form(form_page, id="credentials-form")
    answers = _at_once(*[lambda: form.submit(expect_errors=True) for _ in range(2)])
    assert [a.status_int for a in answers] == [302, 302]
    tasks.wait_for_background_work(app)
    assert len(outbox.wait_for(2)) == 2
    with app.app_context():
        assert len(db.session.scalars(select(MailMessage).where(MailMessage.kind == "credentials")).all()) == 2
