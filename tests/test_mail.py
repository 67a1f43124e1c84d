"""Outgoing mail: logged with its cause, delivered over real SMTP, retried, failed, resent, never lost."""

import os

import pytest
from sqlalchemy import select

from roster import tasks
from roster.extensions import db
from roster.records import MailMessage, MailStatus
from roster.services import mail
from tests.agent import Agent
from tests.factories import PASSWORD
from tests.helpers import CELERY_BROKER, celery_worker, eventually, free_port, mail_config

NEW_PASSWORD = "a brand new passphrase"


def change_password(app, login="admin@alpha.example"):
    """Settings → Security, filled in and sent."""
    user = Agent(app)
    user.sign_in(login)
    user.submit(user.get("/settings/security"), field="new_password", current_password=PASSWORD,
                new_password=NEW_PASSWORD, confirm_password=NEW_PASSWORD, expect=(302,))
    return user


def logged(app):
    with app.app_context():
        return [(m.kind, m.to_address, m.status, m.attempts, m.last_error)
                for m in db.session.scalars(select(MailMessage).order_by(MailMessage.id))]


def test_a_changed_password_is_told_by_mail_over_smtp(make_app, world, outbox, smtp_port):
    app = make_app(**mail_config(smtp_port))
    change_password(app)
    tasks.wait_for_background_work(app)
    [received] = outbox.wait_for(1)
    assert received["To"] == "admin@alpha.example" and received["Subject"] == "Your Roster password was changed"
    assert "http://127.0.0.1:5000/login" in received.get_body(("plain",)).get_content()
    assert NEW_PASSWORD not in received.as_string()
    assert logged(app) == [("password changed", "admin@alpha.example", "sent", 1, "")]


def test_without_a_mail_server_the_mail_is_kept_and_shown_as_not_sent(app, world, as_role):
    change_password(app)
    tasks.wait_for_background_work(app)
    assert logged(app) == [("password changed", "admin@alpha.example", "not sent", 0, "no mail server")]
    page = as_role("platform").get("/admin/mail_log/").get_data(as_text=True)
    assert "not sent: no mail server" in page and "Your Roster password was changed" in page


def test_smtp_down_retries_then_fails_and_resend_delivers_once_it_is_back(make_app, world, outbox, smtp_port):
    app = make_app(**mail_config(free_port()))  # nothing listens there
    change_password(app)  # the change itself succeeds
    eventually(lambda: logged(app)[0][2] == "failed")  # three attempts, 50 ms apart, by the housekeeping loop
    [(kind, to, status, attempts, error)] = logged(app)
    assert (status, attempts) == ("failed", 3) and "ConnectionRefusedError" in error
    assert outbox.messages == []

    app.config["MAIL_PORT"] = smtp_port  # the server is back
    platform = Agent(app)
    platform.sign_in("platform@example.org")
    with app.app_context():
        message_id = db.session.scalar(select(MailMessage.id))
    response = platform.bulk_action(platform.get("/admin/mail_log/"), "resend", [message_id])
    assert response.status_int == 302
    tasks.wait_for_background_work(app)
    outbox.wait_for(1)
    eventually(lambda: logged(app)[0][2] == "sent")
    assert logged(app)[0][2:4] == ("sent", 1)  # its retries started over


def test_a_rolled_back_change_leaves_no_mail(ctx, world):
    mail.queue("password changed", "x@example.org", "Subject", "password_changed",
               user=type("U", (), {"full_name": "X", "login": "x"}), when="now", sign_in_url="/login")
    db.session.flush()
    db.session.rollback()
    assert db.session.scalars(select(MailMessage)).all() == []
    assert mail.PENDING not in db.session.info and mail.UNFLUSHED not in db.session.info


def test_header_injection_in_a_subject_is_flattened(ctx, world):
    message = mail.queue("password changed", "x@example.org", "Hello\r\nBcc: victim@example.org",
                         "password_changed", user=type("U", (), {"full_name": "X", "login": "x"}), when="now",
                         sign_in_url="/login")
    assert message.subject == "Hello Bcc: victim@example.org"
    db.session.rollback()


def test_mail_log_is_scoped_to_the_role(app, world, as_role):
    with app.app_context():
        for school, to in ((world.school_a, "a@example.org"), (world.school_b, "b@example.org")):
            mail.queue("notice", to, "For " + to, "password_changed", school_id=school.id,
                       user=type("U", (), {"full_name": "X", "login": "x"}), when="now", sign_in_url="/login")
        db.session.commit()
        tasks.wait_for_background_work(app)
        ids = dict(db.session.execute(select(MailMessage.to_address, MailMessage.id)).all())
    admin_a = as_role("admin_a")
    page = admin_a.get("/admin/mail_log/").get_data(as_text=True)
    assert "a@example.org" in page and "b@example.org" not in page
    assert admin_a.get(f"/admin/mail_log/details/?id={ids['b@example.org']}").status_code == 404
    assert "For a@example.org" in admin_a.get(f"/admin/mail_log/details/?id={ids['a@example.org']}").get_data(
        as_text=True)
    platform = as_role("platform").get("/admin/mail_log/").get_data(as_text=True)
    assert "a@example.org" in platform and "b@example.org" in platform
    assert as_role("teacher_a").get("/admin/mail_log/").status_code == 403
    assert as_role("student_user").get("/admin/mail_log/").status_code == 403
    # Resend of another school's mail (forged: its row is not on the page) changes nothing.
    admin_a.post("/admin/mail_log/action/", {"action": "resend", "rowid": ids["b@example.org"]})
    with app.app_context():
        assert db.session.get(MailMessage, ids["b@example.org"]).status == MailStatus.NOT_SENT.value


@pytest.mark.skipif(os.environ.get("ROSTER_SKIP_REDIS"), reason="no Redis here")
def test_mail_goes_through_a_real_celery_worker_on_redis(make_app, database_url, world, outbox, smtp_port, tmp_path):
    with celery_worker(database_url, tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=str(smtp_port),
                       ROSTER_MAIL_RETRY_DELAYS="[0.1, 0.1]"):
        app = make_app(**mail_config(smtp_port, CELERY_BROKER_URL=CELERY_BROKER))
        change_password(app)
        [received] = outbox.wait_for(1, timeout=60)
        assert received["To"] == "admin@alpha.example"
        eventually(lambda: logged(app)[0][2] == "sent", every=0.1)
        assert logged(app)[0][2:4] == ("sent", 1)
        assert app.extensions["roster_futures"] == []  # nothing ran in this process
