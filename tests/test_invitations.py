"""Invite by email, public sign-up, activation: Flow 1 of design.md through HTTP, with a real SMTP server."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from roster import tasks
from roster.extensions import db
from roster.models import Invitation, School, Student, User
from roster.records import AuditEvent, MailMessage
from roster.services import invitations
from tests.agent import Agent, find_form
from tests.helpers import Browser, eventually, mail_config

PASSWORD = "student passphrase 1"


@pytest.fixture
def mailing_app(make_app, outbox, smtp_port):
    return make_app(**mail_config(smtp_port))


def invite(app, text, admin="admin@alpha.example"):
    """Students → Invite: the addresses typed into the page's form, Send Invitation."""
    user = Agent(app)
    user.sign_in(admin)
    response = user.submit(user.get("/admin/students/").click(href="/admin/invite/"), field="emails", emails=text,
                           expect=(200,))
    tasks.wait_for_background_work(app)
    return response.text


def link_in(message) -> str:
    return re.search(r"http://127\.0\.0\.1:5000(/join/invite/\S+)", message.get_body(("plain",)).get_content()).group(1)


def sign_up(app, path, **fields):
    """Open the sign-up link and fill in its form (an invitation's email is filled in already)."""
    user = Agent(app)
    page = user.open(path)
    data = {"last_name": "Петрова", "first_name": "Алёна", "phone": "8 701 111 22 33",
            "password": PASSWORD, "confirm_password": PASSWORD, "accept_notice": True, **fields}
    return user, user.submit(page, field="password", expect=(200, 302, 429), **data)


def forged_sign_up(app, path, **fields):
    """A sign-up POST to a link that shows no form (it does not work): what a script could send."""
    data = {"last_name": "Петрова", "first_name": "Алёна", "email": "", "password": PASSWORD,
            "confirm_password": PASSWORD, "accept_notice": "y", **fields}
    return Browser(app).post(path, data)


def count(app, model, *where):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_addresses_split_on_any_separator_and_bad_ones_are_named():
    valid, invalid = invitations.parse_addresses("A@x.org, b@x.org;c@x.org\nd@x.org\r\ne@x.org  a@X.org nope @@")
    assert valid == ["a@x.org", "b@x.org", "c@x.org", "d@x.org", "e@x.org"]
    assert invalid == ["nope", "@@"]


def test_invite_mails_each_address_and_reports_the_rest(mailing_app, world, outbox):
    html = invite(mailing_app, "new1@example.org; NEW2@example.org, bad-address")
    assert "2 invitations sent." in html
    assert "Not valid email addresses (1)" in html and "bad-address" in html
    received = outbox.wait_for(2)
    assert {m["To"] for m in received} == {"new1@example.org", "new2@example.org"}
    assert "Alpha School" in received[0]["Subject"]
    # The world's "Inside Ivan" is a student with an account and inside@alpha.example:
    html = invite(mailing_app, "inside@alpha.example new1@example.org")
    assert "Already students of the school (1)" in html and "Re-invited" in html
    assert count(mailing_app, Invitation, Invitation.email == "new1@example.org") == 2
    with mailing_app.app_context():
        first, second = db.session.scalars(select(Invitation).where(Invitation.email == "new1@example.org")
                                           .order_by(Invitation.id)).all()
        assert first.revoked_at is not None and second.status == "pending"


def test_the_address_of_a_child_who_left_is_named_not_invited(app, world):
    with app.app_context():
        db.session.get(Student, world.in_section.id).status = "left"
        db.session.commit()
    html = invite(app, "inside@alpha.example")
    assert "Students who left the school: not invited (Return brings a student back) (1)" in html
    assert "0 invitations sent." in html and "Already students" not in html
    assert count(app, Invitation, Invitation.email == "inside@alpha.example") == 0


def test_more_than_a_thousand_addresses_are_refused_and_nothing_is_sent(app, world):
    html = invite(app, " ".join(f"s{i}@example.org" for i in range(1001)))
    assert "Up to 1,000 addresses at a time; this list has 1,001." in html
    assert count(app, Invitation) == 0 and count(app, MailMessage) == 0


def test_invite_page_shows_the_school_link_and_is_for_staff_only(app, world, as_role):
    page = as_role("admin_a").get("/admin/invite/").get_data(as_text=True)
    with app.app_context():
        token = db.session.get(School, world.school_a.id).signup_token
    assert f"/join/{token}" in page and "Send Invitation" in page
    assert as_role("teacher_a").get("/admin/invite/").status_code == 403
    assert as_role("teacher_a").post("/admin/invite/", {"emails": "x@example.org"}).status_code == 403
    assert count(app, Invitation) == 0


def test_invited_student_signs_up_once_with_a_fixed_email(mailing_app, world, outbox):
    invite(mailing_app, "alena@example.org")
    path = link_in(outbox.wait_for(1)[0])
    anonymous = Browser(mailing_app)
    for _ in range(2):  # opening the link (a mail scanner, a second look) consumes nothing
        page = anonymous.get(path, follow_redirects=True).get_data(as_text=True)
        assert "Alpha School" in page and 'value="alena@example.org" readonly' in page
    # The email field is read-only; a changed value (a tampered form) is ignored.
    b, response = sign_up(mailing_app, path, email="someone-else@example.org")
    assert response.status_int == 302 and response.location.endswith("/login")
    tasks.wait_for_background_work(mailing_app)
    with mailing_app.app_context():
        user = db.session.scalar(select(User).where(User.email == "alena@example.org"))
        student = db.session.scalar(select(Student).where(Student.user_id == user.id))
        assert (student.school_id, student.account_status, student.source) == (world.school_a.id, "pending", "invite")
        assert student.phone_normalized == "+77011112233"
        assert db.session.scalar(select(Invitation)).accepted_at is not None
    welcome = outbox.wait_for(2)[1]
    assert welcome["To"] == "alena@example.org" and "alena@example.org" in welcome.as_string()
    assert PASSWORD not in welcome.as_string()
    # The link worked once.
    again = Agent(mailing_app).open(path)
    assert again.status_int == 404 and "already been used" in again.text
    assert forged_sign_up(mailing_app, path).status_code == 404
    # The student can sign in at once and is told the school has not activated them yet.
    b.sign_in("alena@example.org", PASSWORD)
    assert "Alpha School has not activated your account yet" in b.get("/account").text


def test_school_link_sign_up_joins_a_student_on_the_roster_only_once_the_email_is_confirmed(mail_site, world,
                                                                                              outbox):
    """Typing a roster student's email proves nothing: the account waits, unlinked, and the link mailed to the
    address joins the two (an invitation to the address does it at once: it went to that address)."""
    app, _ = mail_site
    with app.app_context():
        token = db.session.get(School, world.school_a.id).signup_token
        db.session.get(Student, world.out_section.id).email = "olga@example.org"
        db.session.commit()
    before = count(app, Student)
    user, response = sign_up(app, f"/join/{token}", email="Olga@Example.org", last_name="Outside", first_name="Olga")
    assert response.status_int == 302
    assert "will activate you soon" in user.get("/login").text  # the same answer as any sign-up
    assert count(app, Student) == before
    with app.app_context():
        olga = db.session.get(Student, world.out_section.id)
        assert olga.user_id is None and olga.account_status != "pending"  # not claimed by typing the address
    tasks.wait_for_background_work(app)
    (mail,) = outbox.wait_for(1)
    assert mail["To"] == "olga@example.org" and "Confirm" in mail["Subject"]
    path = re.search(r"http://127\.0\.0\.1:\d+(/join/confirm/\S+)", mail.get_body(("plain",)).get_content())[1]
    visitor = Agent(app)
    page = visitor.open(path)  # opening the link (a mail scanner does) changes nothing
    with app.app_context():
        assert db.session.get(Student, world.out_section.id).user_id is None
    assert visitor.submit(page, id="confirm-form", expect=(302,)).status_int == 302
    with app.app_context():
        olga = db.session.get(Student, world.out_section.id)
        assert olga.user_id is not None and olga.account_status == "pending" and olga.source == "manual"
    assert Agent(app).open(path).status_int == 404  # once


def test_an_expired_confirmation_link_says_so_and_joins_nothing(mail_site, world, outbox):
    """The link mailed to a roster student's address works for INVITATION_DAYS; after that its page says it
    does not work (404) and the account stays apart from the student."""
    from roster.models import SignUpClaim

    app, _ = mail_site
    with app.app_context():
        token = db.session.get(School, world.school_a.id).signup_token
        db.session.get(Student, world.out_section.id).email = "olga@example.org"
        db.session.commit()
    sign_up(app, f"/join/{token}", email="olga@example.org", last_name="Outside", first_name="Olga")
    tasks.wait_for_background_work(app)
    (mail,) = outbox.wait_for(1)
    path = re.search(r"http://127\.0\.0\.1:\d+(/join/confirm/\S+)", mail.get_body(("plain",)).get_content())[1]
    with app.app_context():
        for claim in db.session.scalars(select(SignUpClaim)):
            claim.expires_at -= timedelta(days=app.config["INVITATION_DAYS"] + 1)
        db.session.commit()
    page = Agent(app).open(path)
    assert page.status_int == 404 and "does not work any more" in page.text
    with app.app_context():
        assert db.session.get(Student, world.out_section.id).user_id is None


def test_an_email_with_an_account_gets_the_same_answer_and_a_mail_and_nothing_is_created(mail_site, world, outbox):
    app, _ = mail_site
    with app.app_context():
        token = db.session.get(School, world.school_b.id).signup_token
    users = count(app, User)
    b, response = sign_up(app, f"/join/{token}", email="admin@alpha.example")
    assert response.status_int == 302 and response.location.endswith("/login")
    page = b.get("/login").text
    assert "Your account is ready" in page and "already" not in page  # nothing tells the page who has an account
    assert count(app, User) == users and count(app, Student, Student.school_id == world.school_b.id) == 1
    tasks.wait_for_background_work(app)
    (mail,) = outbox.wait_for(1)
    assert mail["To"] == "admin@alpha.example"
    assert "already has a Roster account" in " ".join(mail.get_body(("plain",)).get_content().split())


@pytest.mark.parametrize("how", ["forged", "expired", "revoked", "closed school", "bad school link"])
def test_links_that_do_not_work_show_a_clear_page_and_create_nothing(app, world, how):
    with app.app_context():
        token = "x" * 43
        path = f"/join/invite/{token}"
        if how != "forged":
            db.session.add(Invitation(school_id=world.school_a.id, email="late@example.org",
                                      token_digest=invitations.digest(token),
                                      expires_at=invitations.utcnow() + timedelta(days=1)))
            invitation = db.session.scalar(select(Invitation))
            if how == "expired":
                invitation.expires_at = invitations.utcnow() - timedelta(minutes=1)
            if how == "revoked":
                invitation.revoked_at = invitations.utcnow()
            if how == "closed school":
                db.session.get(School, world.school_a.id).is_active = False
            if how == "bad school link":
                path = "/join/not-a-real-school-token"
            db.session.commit()
    users = count(app, User)
    assert Browser(app).get(path).status_code == 404
    response = forged_sign_up(app, path, email="late@example.org")
    text = response.get_data(as_text=True)
    assert response.status_code == 404 and "This link does not work" in text
    assert count(app, User) == users


def test_sign_up_checks_every_field_and_keeps_names_on_one_line(app, world):
    with app.app_context():
        token = db.session.get(School, world.school_a.id).signup_token
    _, response = sign_up(app, f"/join/{token}", last_name="  ", email="x@@y", phone="12", password="short",
                          confirm_password="short")
    text = response.text
    assert response.status_int == 200
    for message in ("This field is required.", "Enter a valid email address",
                    "Enter a phone number as Kazakhstan writes it",
                    "Use at least 12 characters"):
        assert message in text
    _, response = sign_up(app, f"/join/{token}", email="crlf@example.org", last_name="Evil\r\nBcc: x@y.org")
    assert response.status_int == 302
    with app.app_context():
        assert db.session.scalar(select(User.last_name).where(User.email == "crlf@example.org")) == "Evil Bcc: x@y.org"


def test_sign_up_is_rate_limited_per_email(make_app, world):
    app = make_app(SIGN_UP_LIMIT_PER_EMAIL="2 per hour")
    with app.app_context():
        token = db.session.get(School, world.school_a.id).signup_token
    codes = [sign_up(app, f"/join/{token}", email="same@example.org", password="short",
                     confirm_password="short")[1].status_int for _ in range(3)]
    assert codes == [200, 200, 429]


def test_activate_once_under_double_submit_with_one_mail_and_one_audit_event(mailing_app, world, outbox):
    with mailing_app.app_context():
        token = db.session.get(School, world.school_a.id).signup_token
    student_browser, _ = sign_up(mailing_app, f"/join/{token}", email="act@example.org")
    tasks.wait_for_background_work(mailing_app)
    outbox.wait_for(1)
    with mailing_app.app_context():
        sid = db.session.scalar(select(Student.id).where(Student.email == "act@example.org"))
    admin = Agent(mailing_app)
    admin.sign_in("admin@alpha.example")
    page = admin.get("/admin/students/?page_size=50")
    assert re.search(rf'<tr class="row-pending" data-student-id="{sid}"', page.text)
    assert as_teacher_refused(mailing_app, sid)
    activate = find_form(page, action="/admin/students/activate")
    for _ in range(2):  # a double click
        assert activate.submit().status_int == 302
    assert admin.bulk_action(page, "activate", [sid]).status_int == 302
    tasks.wait_for_background_work(mailing_app)
    with mailing_app.app_context():
        assert db.session.get(Student, sid).account_status == "active"
        assert count(mailing_app, AuditEvent, AuditEvent.action == "student activated") == 1
        assert count(mailing_app, MailMessage, MailMessage.kind == "account activated") == 1
    activated = outbox.wait_for(2)[1]
    assert activated["To"] == "act@example.org" and "activated" in activated["Subject"]
    student_browser.sign_in("act@example.org", PASSWORD)
    assert "You are a student of Alpha School" in student_browser.get("/account").text


def as_teacher_refused(app, sid) -> bool:
    """Forged: a teacher has no Activate button, so these POSTs are made by hand."""
    teacher = Browser(app)
    teacher.sign_in("teacher@alpha.example")
    return (teacher.post("/admin/students/activate", {"id": sid}).status_code == 403
            and teacher.post("/admin/students/action/", {"action": "activate", "rowid": sid}).status_code == 403)


def test_invitations_view_lists_and_revokes(app, world, agent):
    invite(app, "one@example.org two@example.org")
    admin = agent("admin_a")
    page = admin.get("/admin/invitations/").text
    assert "one@example.org" in page and "pending" in page
    assert "one@example.org" not in agent("admin_b").get("/admin/invitations/").text
    with app.app_context():
        ids = db.session.scalars(select(Invitation.id)).all()
    admin.bulk_action(admin.get("/admin/invitations/"), "revoke", [ids[0]])
    assert "revoked" in admin.get("/admin/invitations/").text
    admin.bulk_action(admin.get("/admin/invitations/"), "resend", [ids[0]])
    assert count(app, Invitation) == 3


def test_smtp_down_inviting_still_succeeds_and_resend_delivers_later(make_app, world, outbox, smtp_port):
    from tests.helpers import free_port

    app = make_app(**mail_config(free_port()))  # SMTP is down
    html = invite(app, "late1@example.org late2@example.org")
    assert "2 invitations sent." in html

    def logged():
        with app.app_context():
            return db.session.execute(select(MailMessage.id, MailMessage.status, MailMessage.attempts)).all()

    eventually(lambda: {status for _, status, _ in logged()} == {"failed"})  # after their retries
    rows = logged()
    assert [(status, attempts) for _, status, attempts in rows] == [("failed", 3), ("failed", 3)]
    assert count(app, Invitation) == 2 and outbox.messages == []

    app.config["MAIL_PORT"] = smtp_port  # SMTP is back
    platform = Agent(app)
    platform.sign_in("platform@example.org")
    response = platform.bulk_action(platform.get("/admin/mail_log/"), "resend", [r.id for r in rows])
    assert response.status_int == 302
    tasks.wait_for_background_work(app)
    assert {m["To"] for m in outbox.wait_for(2)} == {"late1@example.org", "late2@example.org"}
    _, response = sign_up(app, link_in(outbox.messages[0]))
    assert response.status_int == 302, re.findall(r'invalid-feedback">([^<]+)', response.text)
    tasks.wait_for_background_work(app)  # the welcome mail goes out before the SMTP server stops
    outbox.wait_for(3)
