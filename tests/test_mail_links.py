"""Live links are for their addressee only: the Mail log shows reset and set-password mails with "[link hidden]"."""

import re

from sqlalchemy import select

from roster import tasks
from roster.extensions import db
from roster.records import MailMessage
from tests.agent import Agent, follow
from tests.helpers import eventually, free_port, mail_config
from tests.test_password_reset import ask


def shown(user, message_id) -> str:
    page = user.get(f"/admin/mail_log/details/?id={message_id}")
    assert page.status_int == 200
    return page.text


def mail_id(app, kind):
    with app.app_context():
        return db.session.scalar(select(MailMessage.id).where(MailMessage.kind == kind).order_by(MailMessage.id.desc()))


def test_the_mail_log_hides_reset_and_set_password_links(make_app, world, outbox, smtp_port):
    app = make_app(**mail_config(smtp_port))
    ask(app, "admin@alpha.example")
    received = outbox.wait_for(1)[0].get_body(("plain",)).get_content()
    link = re.search(r"(/reset-password/\S+)", received).group(1)  # the addressee gets the live link
    platform = Agent(app)
    platform.sign_in("platform@example.org")
    eventually(lambda: "sent" in shown(platform, mail_id(app, "password reset")))
    page = shown(platform, mail_id(app, "password reset"))
    assert "[link hidden]" in page and link not in page and "/reset-password/" not in page
    # A new staff member's set-password link, in their school admin's Mail log.
    admin = Agent(app)
    admin.sign_in("admin@alpha.example")
    admin.submit(admin.get("/admin/staff/new/"), field="email", email="new.teacher@alpha.example", expect=(302,))
    tasks.wait_for_background_work(app)
    invited = outbox.wait_for(2)[1].get_body(("plain",)).get_content()
    assert re.search(r"/reset-password/\S+", invited)
    page = shown(admin, mail_id(app, "staff invitation"))
    assert "[link hidden]" in page and "/reset-password/" not in page
    with app.app_context():
        stored = db.session.scalars(select(MailMessage)).all()
        assert all("/reset-password/" not in m.body_text + m.body_html for m in stored)
        assert all(m.secret is None for m in stored if m.status == "sent")


def test_resend_of_a_failed_reset_mail_sends_a_new_link(make_app, world, outbox, smtp_port):
    app = make_app(**mail_config(free_port()))  # SMTP down: the mail fails for good and its link is erased
    ask(app, "admin@alpha.example")
    eventually(lambda: mail_status(app) == "failed")
    app.config["MAIL_PORT"] = smtp_port
    platform = Agent(app)
    platform.sign_in("platform@example.org")
    page = follow(platform.bulk_action(platform.get("/admin/mail_log/"), "resend", [mail_id(app, "password reset")]))
    assert page.status_int == 200
    tasks.wait_for_background_work(app)
    body = outbox.wait_for(1)[0].get_body(("plain",)).get_content()
    link = re.search(r"http://127\.0\.0\.1:5000(/reset-password/\S+)", body).group(1)
    assert Agent(app).open(link).status_int == 200  # a live new link


def mail_status(app):
    with app.app_context():
        return db.session.scalar(select(MailMessage.status).where(MailMessage.kind == "password reset"))
