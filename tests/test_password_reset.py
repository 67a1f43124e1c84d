"""Forgot password?: a single-use, expiring link by mail, and the same answer for any address."""

import re
from datetime import timedelta

from sqlalchemy import select

from roster import tasks
from roster.extensions import db
from roster.models import MailMessage, PasswordReset, UserSession, utcnow
from tests.conftest import Browser, mail_config

NEW = "a reset passphrase ok"


def ask(app, email):
    b = Browser(app)
    response = b.post("/forgot-password", {"email": email})
    assert response.status_code == 302 and response.location == "/login"
    tasks.wait_for_background_work(app)
    return b.get("/login").get_data(as_text=True)


def test_reset_by_mail_then_sign_in_and_the_link_works_once(make_app, world, outbox, smtp_port):
    app = make_app(**mail_config(smtp_port))
    assert "Forgot password?" in Browser(app).get("/login").get_data(as_text=True)
    old_session = Browser(app)
    old_session.sign_in("admin@alpha.example")
    answer = ask(app, "Admin@Alpha.example")
    assert "If an account uses this address" in answer
    [received] = outbox.wait_for(1)
    path = re.search(r"http://127\.0\.0\.1:5000(/reset-password/\S+)", received.get_body(("plain",)).get_content()
                     ).group(1)
    b = Browser(app)
    assert b.get(path).status_code == 200 and b.get(path).status_code == 200  # opening consumes nothing
    short = b.post(path, {"new_password": "short", "confirm_password": "short"})
    assert "at least 12 characters" in short.get_data(as_text=True)
    done = b.post(path, {"new_password": NEW, "confirm_password": NEW})
    assert done.status_code == 302
    b.sign_in("admin@alpha.example", NEW)
    assert old_session.get("/admin/students/").status_code == 302  # every earlier session ended
    again = Browser(app).post(path, {"new_password": NEW + "2", "confirm_password": NEW + "2"})
    assert again.status_code == 404 and "does not work any more" in again.get_data(as_text=True)
    tasks.wait_for_background_work(app)
    assert [m["Subject"] for m in outbox.wait_for(2)][1] == "Your Roster password was changed"


def test_unknown_address_gets_the_same_answer_and_no_mail(app, world):
    assert "If an account uses this address" in ask(app, "nobody@example.org")
    assert "If an account uses this address" in ask(app, "not an address")
    with app.app_context():
        assert db.session.scalars(select(MailMessage)).all() == []
        assert db.session.scalars(select(PasswordReset)).all() == []


def test_expired_and_forged_links_do_not_work(app, world):
    ask(app, "admin@alpha.example")
    with app.app_context():
        reset = db.session.scalar(select(PasswordReset))
        reset.expires_at = utcnow() - timedelta(seconds=1)
        body = db.session.scalar(select(MailMessage.body_text))
        db.session.commit()
        sessions = len(db.session.scalars(select(UserSession)).all())
    path = re.search(r"(/reset-password/\S+)", body).group(1)
    for url in (path, "/reset-password/forged-token"):
        response = Browser(app).post(url, {"new_password": NEW, "confirm_password": NEW})
        assert response.status_code == 404
    with app.app_context():
        assert len(db.session.scalars(select(UserSession)).all()) == sessions
