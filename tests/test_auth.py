import pytest
from sqlalchemy import select

from roster import create_app
from roster.config import DEFAULT_SECRET_KEY
from roster.extensions import db
from roster.models import User, UserSession
from roster.records import AuditEvent
from tests.agent import Agent
from tests.factories import PASSWORD
from tests.helpers import Browser


def test_sign_in_with_email_or_login_and_land_in_the_admin(web, world):
    response = web.sign_in("ADMIN@alpha.example ")
    assert response.location == "/admin/"
    assert "Alpha School" in web.get("/admin/students/").get_data(as_text=True)


def sign_in_form(user, login, password, url="/login"):
    """The sign-in page's form, filled in and sent."""
    return user.submit(user.get(url), field="password", login=login, password=password, expect=(200, 302, 429))


def test_wrong_password_says_so_and_opens_nothing(agent, world, app):
    response = sign_in_form(agent("anonymous"), "admin@alpha.example", "wrong password!!")
    assert response.status_code == 200
    assert "do not match an account" in response.text
    with app.app_context():
        assert db.session.scalars(select(UserSession)).all() == []


def test_passwords_are_hashed_with_argon2id(world):
    assert world.admin_a.password_hash.startswith("$argon2id$")
    assert PASSWORD not in world.admin_a.password_hash


def test_post_without_csrf_token_is_refused(web, world):
    response = web.post("/login", {"login": "admin@alpha.example", "password": PASSWORD}, csrf=False)
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)


@pytest.mark.parametrize("target,expected", [
    ("/admin/students/?flt0_0=x", "/admin/students/?flt0_0=x"),
    ("https://evil.example/", "/admin/"),
    ("//evil.example/", "/admin/"),
    ("/\\evil.example", "/admin/"),
])
def test_next_leads_only_to_our_own_paths(agent, world, target, expected):
    user = agent("anonymous")
    page = user.get("/login", params={"next": target})  # where a link to a page behind sign-in lands
    response = user.submit(page, field="password", login="admin@alpha.example", password=PASSWORD)
    assert response.location == expected


def test_session_is_rotated_at_sign_in_and_ended_on_the_server_at_sign_out(app, world):
    b = Browser(app)
    b.get("/login")
    before = b.client.get_cookie("session").value
    b.sign_in("admin@alpha.example")
    cookie = b.client.get_cookie("session")
    assert cookie.value != before
    assert cookie.http_only and cookie.same_site == "Lax"

    # A copy of the signed-in cookie, as a thief would hold it.
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    assert thief.get("/admin/students/").status_code == 200

    b.sign_out()
    assert thief.get("/admin/students/").status_code == 302  # back to sign-in: the session is gone
    with app.app_context():
        assert db.session.scalars(select(UserSession)).all() == []


def test_session_cookie_is_secure_outside_debug(make_app):
    assert make_app(SESSION_COOKIE_SECURE=None).config["SESSION_COOKIE_SECURE"] is True


def test_refuses_to_start_with_the_default_secret_key_outside_debug(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", DEFAULT_SECRET_KEY)
    monkeypatch.setenv("FLASK_DEBUG", "0")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()


def test_students_never_reach_the_admin(web, world):
    web.sign_in("pupil@alpha.example")
    assert web.get("/admin/").status_code == 403
    assert web.get("/admin/students/").status_code == 403
    page = web.get("/account").get_data(as_text=True)
    assert "Alpha School" in page


def test_anonymous_users_are_sent_to_sign_in(web, world):
    response = web.get("/admin/students/")
    assert response.status_code == 302 and response.location.startswith("/login?next=")


def change(user, current, new, confirm=None):
    """Settings → Security, filled in and sent."""
    return user.submit(user.get("/settings/security"), field="new_password", current_password=current,
                       new_password=new, confirm_password=confirm or new)


def test_change_password_checks_every_field(agent, world):
    user = agent("admin_a")
    page = change(user, "wrong", "short").text
    assert "current password is not right" in page and "at least 12 characters" in page
    page = change(user, PASSWORD, "a new long password", "a different one!").text
    assert "differ" in page
    response = change(user, PASSWORD, "a new long password")
    assert response.status_code == 302
    assert "password has been changed" in user.get("/settings/security").text

    other = agent("anonymous")
    assert sign_in_form(other, "admin@alpha.example", PASSWORD).status_code == 200
    other.sign_in("admin@alpha.example", "a new long password")


def test_changing_password_ends_the_users_other_sessions(app, world):
    laptop, phone = Agent(app), Browser(app)
    laptop.sign_in("admin@alpha.example")
    phone.sign_in("admin@alpha.example")
    assert change(laptop, PASSWORD, "a new long password").status_code == 302
    assert laptop.get("/admin/students/").status_code == 200
    assert phone.get("/admin/students/").status_code == 302


def test_user_who_must_change_password_can_do_nothing_else(world, app):
    with app.app_context():
        db.session.get(User, world.admin_a.id).must_change_password = True
        db.session.commit()
    web = Agent(app)
    assert web.sign_in("admin@alpha.example").location.endswith("/settings/security")
    assert web.get("/admin/students/").location.endswith("/settings/security")
    assert web.get("/account").location.endswith("/settings/security")
    assert "must set a new password" in web.get("/settings/security").text
    assert change(web, PASSWORD, "a new long password").status_code == 302
    assert web.get("/admin/students/").status_code == 200
    with app.app_context():
        assert db.session.get(User, world.admin_a.id).must_change_password is False


def test_idle_session_expires_on_the_server(app, world):
    from datetime import timedelta

    b = Browser(app)
    b.sign_in("admin@alpha.example")
    with app.app_context():
        for row in db.session.scalars(select(UserSession)):
            row.last_seen_at -= app.config["SESSION_IDLE_TIMEOUT"] + timedelta(minutes=1)
        db.session.commit()
    assert b.get("/admin/students/").status_code == 302
    with app.app_context():
        assert db.session.scalars(select(UserSession)).all() == []


def test_students_account_page_names_their_school_and_status(app, web, world):
    from roster.models import AccountStatus, Student
    from tests.factories import set_status

    with app.app_context():
        set_status(db.session.get(Student, world.in_section.id), AccountStatus.PENDING)
    web.sign_in("pupil@alpha.example")
    page = web.get("/account").get_data(as_text=True)
    assert "Alpha School has not activated your account yet" in page
    with app.app_context():
        set_status(db.session.get(Student, world.in_section.id), AccountStatus.ACTIVE)
    assert "You are a student of Alpha School" in web.get("/account").get_data(as_text=True)


def test_sign_in_failures_are_limited_per_account_and_address_and_never_lock_the_owner_out(app, world):
    attacker = Agent(app, address="203.0.113.9")
    for _ in range(10):  # SIGN_IN_FAILURES_PER_ACCOUNT: 10 per 15 minutes
        assert sign_in_form(attacker, "admin@alpha.example", "wrong password").status_code == 200
    refused = sign_in_form(attacker, "Admin@Alpha.example", PASSWORD)
    assert refused.status_code == 429 and "Too many attempts" in refused.text
    # The owner, elsewhere, signs in with their password; another account from the attacker's address too.
    Agent(app, address="198.51.100.4").sign_in("admin@alpha.example")
    attacker.sign_in("admin@beta.example")
    with app.app_context():
        actions = [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
        failed = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "sign-in failed")).all()
    assert actions.count("sign-in failed") == 10 and actions.count("sign-in locked") == 1
    assert actions.count("signed in") == 2
    assert {(e.target_id, e.ip_address) for e in failed} == {(world.admin_a.id, "203.0.113.9")}
    assert all("password" not in str(e.details) for e in failed)


def test_right_passwords_refused_by_the_address_limit_do_not_count_against_the_account(make_app, world):
    """45 right passwords from one address: the address limit refuses those over it, and the account keeps no
    count of them: its owner signs in from another address at once."""
    app = make_app(SIGN_IN_LIMIT_PER_ADDRESS="30 per minute")
    busy = Agent(app, address="203.0.113.10")
    codes = [sign_in_form(busy, "admin@alpha.example", PASSWORD).status_code for _ in range(45)]
    assert codes == [302] * 30 + [429] * 15
    assert sign_in_form(Agent(app, address="198.51.100.5"), "admin@alpha.example", PASSWORD).status_code == 302


def test_sign_in_is_limited_per_address(make_app):
    b = Agent(make_app(SIGN_IN_LIMIT_PER_ADDRESS="3 per minute"))
    codes = [sign_in_form(b, f"nobody{i}@example.org", "x").status_code for i in range(4)]
    assert codes == [200, 200, 200, 429]
