"""Forgot password?: a single-use, expiring link by mail, and the same answer for any address."""

import re
from datetime import timedelta

from sqlalchemy import select

from roster import tasks
from roster.extensions import db
from roster.models import PasswordReset, UserSession, utcnow
from roster.records import MailMessage
from tests.agent import Agent
from tests.helpers import Browser, mail_config

NEW = "a reset passphrase ok"


def ask(app, email):
    """Sign-in page → Forgot password? → the address → Send."""
    user = Agent(app)
    page = user.get("/login").click(href="/forgot-password")
    response = user.submit(page, field="email", email=email)
    assert response.status_int == 302 and response.location.endswith("/login")
    tasks.wait_for_background_work(app)
    return user.get("/login").text


def set_password(user, path, new, confirm=None):
    return user.submit(user.open(path), field="new_password", new_password=new, confirm_password=confirm or new)


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
    b = Agent(app)
    assert b.open(path).status_int == 200 and b.open(path).status_int == 200  # opening consumes nothing
    other_tab = Agent(app)
    page = other_tab.open(path)
    short = set_password(b, path, "short")
    assert "at least 12 characters" in short.text
    done = set_password(b, path, NEW)
    assert done.status_int == 302
    b.sign_in("admin@alpha.example", NEW)
    assert old_session.get("/admin/students/").status_code == 302  # every earlier session ended
    again = Agent(app).open(path)
    assert again.status_int == 404 and "does not work any more" in again.text
    # The form opened before the link was used, sent again: refused too.
    again = other_tab.submit(page, field="new_password", new_password=NEW + "2", confirm_password=NEW + "2",
                     expect=(404,))
    assert "does not work any more" in again.text
    tasks.wait_for_background_work(app)
    assert [m["Subject"] for m in outbox.wait_for(2)][1] == "Your Roster password was changed"


def test_unknown_address_gets_the_same_answer_and_no_mail(app, world):
    assert "If an account uses this address" in ask(app, "nobody@example.org")
    assert "If an account uses this address" in ask(app, "not an address")
    with app.app_context():
        assert db.session.scalars(select(MailMessage)).all() == []
        assert db.session.scalars(select(PasswordReset)).all() == []


def test_expired_and_forged_links_do_not_work(make_app, world, outbox, smtp_port):
    app = make_app(**mail_config(smtp_port))
    ask(app, "admin@alpha.example")
    body = outbox.wait_for(1)[0].get_body(("plain",)).get_content()  # the link is in the mail, and only there
    with app.app_context():
        reset = db.session.scalar(select(PasswordReset))
        reset.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
        sessions = len(db.session.scalars(select(UserSession)).all())
    path = re.search(r"(/reset-password/\S+)", body).group(1)
    for url in (path, "/reset-password/forged-token"):
        assert Agent(app).open(url).status_int == 404  # no form to fill in
        response = Browser(app).post(url, {"new_password": NEW, "confirm_password": NEW})  # forged
        assert response.status_code == 404
    with app.app_context():
        assert len(db.session.scalars(select(UserSession)).all()) == sessions
