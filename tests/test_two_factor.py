"""Two-factor sign-in: admins cannot reach Roster with a password alone; each code and recovery code works once."""

import re
import time

import pyotp
from sqlalchemy import select

from roster.extensions import db
from roster.models import RecoveryCode, User
from roster.records import AuditEvent
from tests.agent import Agent
from tests.factories import PASSWORD


def set_up(user: Agent, page=None):
    """Settings → Two-factor sign-in: the key under the QR code into an app, its code back. Returns the app
    (a pyotp.TOTP standing in for the phone) and the recovery codes shown."""
    page = page or user.get("/settings/two-factor")
    key = re.search(r'id="totp-key">([A-Z2-7]+)<', page.text)[1]
    assert "<svg" in page.text  # the QR code, drawn by Roster itself
    phone = pyotp.TOTP(key)
    wrong = user.submit(page, id="two-factor-form", code="000000" if phone.now() != "000000" else "111111")
    assert wrong.status_int == 200 and "not the one your app shows now" in wrong.text
    phone.set_up_at = time.time()  # the codes below are reckoned from this moment, whatever the clock does next
    shown = user.submit(page, id="two-factor-form", code=phone.at(phone.set_up_at), expect=(200,))
    codes = re.findall(r"<li>([a-z2-9]{5}-[a-z2-9]{5})</li>", shown.text)
    assert len(codes) == 10
    return phone, codes


def second_step(user: Agent, code, *, expect=(302,)):
    page = user.get("/login/code")
    return user.submit(page, id="code-form", code=code, expect=expect)


def later_code(phone, steps=1):
    """The code the app shows `steps` periods after the set-up's: within the one-step drift a sign-in allows
    (a test crossing a 30-second boundary sees the same codes)."""
    return phone.at(phone.set_up_at + 30 * steps)


def test_an_admin_needs_a_second_factor_and_each_code_works_once(make_app, world):
    app = make_app(TWO_FACTOR_REQUIRED=True)
    admin = Agent(app)
    signed = admin.sign_in("admin@alpha.example")
    assert signed.location.endswith("/settings/two-factor")
    assert admin.get("/admin/students/").location.endswith("/settings/two-factor")  # the password alone: no
    page = admin.get("/settings/two-factor")
    assert "Your role needs two-factor sign-in" in page.text
    phone, codes = set_up(admin, page)
    assert admin.get("/admin/students/").status_int == 200
    admin.sign_out()

    # Next sign-in: the password is the first step only.
    assert admin.sign_in("admin@alpha.example").location.endswith("/login/code")
    assert admin.get("/admin/students/").location.startswith("/login")
    used = second_step(admin, phone.at(phone.set_up_at), expect=(200,))  # the code that turned it on: used
    assert "This code does not work" in used.text
    assert second_step(admin, later_code(phone)).location == "/admin/"
    assert admin.get("/admin/students/").status_int == 200
    admin.sign_out()
    admin.sign_in("admin@alpha.example")
    assert "This code does not work" in second_step(admin, later_code(phone), expect=(200,)).text  # once only
    assert second_step(admin, codes[0].upper().replace("-", " ")).location == "/admin/"  # a recovery code
    admin.sign_out()
    admin.sign_in("admin@alpha.example")
    assert "This code does not work" in second_step(admin, codes[0], expect=(200,)).text  # once only
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "admin@alpha.example"))
        assert codes[0].replace("-", "") not in str(db.session.scalars(select(RecoveryCode.code_digest)).all())
        assert phone.secret not in (user.totp_secret or "")  # sealed
        actions = [e.action for e in db.session.scalars(select(AuditEvent).where(AuditEvent.target_id == user.id,
                                                                                 AuditEvent.target_type == "user"))]
    assert actions.count("two-factor turned on") == 1 and actions.count("two-factor passed") == 2
    assert actions.count("two-factor failed") == 3
    # The second step is limited like a password: guessing codes is refused after ten tries.
    answers = [second_step(admin, "123456", expect=(200, 429)).status_int for _ in range(11)]
    assert answers[-1] == 429


def test_a_required_admin_cannot_turn_it_off_a_teacher_may_and_a_reset_starts_over(make_app, world):
    app = make_app(TWO_FACTOR_REQUIRED=True)
    teacher = Agent(app)
    assert teacher.sign_in("teacher@alpha.example").location == "/admin/"  # not required of teachers
    page = teacher.get("/settings/security").click(href="/settings/two-factor")
    phone, _ = set_up(teacher, page)
    page = teacher.get("/settings/two-factor")
    assert "Two-factor sign-in is" in page.text and "10 of your recovery codes are unused" in page.text
    form = page.forms["two-factor-change"]  # two buttons: New recovery codes, Turn off
    form["current_password"] = PASSWORD
    renewed = form.submit("action", index=0)
    assert len(re.findall(r"<li>([a-z2-9]{5}-[a-z2-9]{5})</li>", renewed.text)) == 10
    form = teacher.get("/settings/two-factor").forms["two-factor-change"]
    form["current_password"] = PASSWORD
    assert form.submit("action", index=1).status_int == 302
    assert "Off: your password alone signs you in." in teacher.get("/settings/security").text

    admin = Agent(app)
    admin.sign_in("admin@alpha.example")
    phone, _ = set_up(admin)
    page = admin.get("/settings/two-factor")
    assert "Turn off" not in page.text
    runner = app.test_cli_runner()
    unknown = runner.invoke(args=["roster", "reset-two-factor", "nobody@alpha.example"])
    assert unknown.exit_code != 0 and "No account with the email or login 'nobody@alpha.example'" in unknown.output
    result = runner.invoke(args=["roster", "reset-two-factor", "admin@alpha.example"])
    assert result.exit_code == 0, result.output
    again = Agent(app)
    assert again.sign_in("admin@alpha.example").location.endswith("/settings/two-factor")
    with app.app_context():
        assert "two-factor reset" in [e.action for e in db.session.scalars(select(AuditEvent))]
