"""Outgoing mail: written to the mail log with the change that causes it, delivered after the commit.

queue() adds a MailMessage to the caller's transaction and notes its id in the session; once that transaction
commits, roster.tasks takes the ids (committed()) and dispatches them (a Celery worker, or a thread of this
process): this module records what is due, it never starts work itself. deliver() claims a mail, makes one attempt
and records it: sent, or queued again with the time of its next attempt (MAIL_RETRY_DELAYS), or failed after
the last one. Nobody sleeps between attempts: due_mails() is swept periodically by every Roster process, so a
retry, or a first attempt whose process died, is made by whichever process is up. A rolled-back change leaves
no mail behind, and a mail is never lost: it stays in the log as queued, sending, sent, failed (Resend) or
"not sent" when no mail server is configured.
"""

import logging
import smtplib
from datetime import timedelta

import flask_mail
from flask import current_app
from flask_babel import gettext as _
from markupsafe import escape
from sqlalchemy import event, or_, select, update
from sqlalchemy.orm import Session

from roster import i18n, permissions, sealing
from roster.errors import NotFound, RosterError
from roster.extensions import db
from roster.i18n import N_
from roster.models import utcnow
from roster.records import LINK_PLACEHOLDER, SECRET_PLACEHOLDER, MailMessage, MailStatus
from roster.services import audit

log = logging.getLogger(__name__)
PENDING = "roster_mail_pending"  # ids of committed-to-be mails, dispatched after the commit
UNFLUSHED = "roster_mail_unflushed"


def queue(kind: str, to: str, subject, template: str, *, language: str | None = None, school_id: int | None = None,
          secret: str | None = None, hidden_link: tuple[str, str] | None = None, **context) -> MailMessage:
    """Render templates/email/<template>.txt and .html and add the mail to the current transaction.

    A `secret` (a password) is rendered as a placeholder, kept aside sealed (encrypted) and put in only when the
    mail goes out: the log never shows it, and it is erased once delivery is over.

    Rendered straight from the Jinja environment: a mail depends only on its own context (never on the request
    that caused it), and an invitation of 1,000 addresses renders 2,000 of them. Subject and bodies are made in
    `language` (the recipient's, see roster.i18n.for_recipient); the subject may be a lazy string.
    """
    env = current_app.jinja_env
    if secret is not None:
        context["secret"] = SECRET_PLACEHOLDER
    elif hidden_link is not None:  # (its name in the template, the link): kept sealed as the mail's secret
        name, secret = hidden_link
        context[name] = LINK_PLACEHOLDER
    with i18n.speaking(language):
        subject = " ".join(str(subject).split())  # never a line break in a header
        body_text = env.get_template(f"email/{template}.txt").render(context)
        body_html = env.get_template(f"email/{template}.html").render(context)
    message = MailMessage(
        kind=kind,
        to_address=to,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        school_id=school_id,
        status=MailStatus.QUEUED.value,
        # Its dispatcher tries it at once; should that process die first, the sweep takes it after this.
        next_attempt_at=utcnow() + timedelta(seconds=current_app.config["MAIL_DISPATCH_GRACE"]),
        secret=sealing.seal(secret) if secret is not None else None,
    )
    db.session.add(message)
    db.session.info.setdefault(UNFLUSHED, []).append(message)
    return message


@event.listens_for(Session, "after_flush_postexec")
def _note_ids_after_flush(session, flush_context):
    # Ids exist once the INSERT ran; many mails of one change go in one flush, never one flush each.
    unflushed = session.info.get(UNFLUSHED)
    if unflushed:
        session.info.setdefault(PENDING, []).extend(m.id for m in unflushed if m.id is not None)
        session.info[UNFLUSHED] = [m for m in unflushed if m.id is None]


def committed(session) -> list[int]:
    """The ids of the mails a commit of this session has just made due (once): roster.tasks sends them."""
    return session.info.pop(PENDING, None) or []


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session):
    session.info.pop(PENDING, None)
    session.info.pop(UNFLUSHED, None)


class _TimedConnection(flask_mail.Connection):
    """Flask-Mail's SMTP connection, with a timeout: a silent server must not hold a worker forever.

    It always connects: whether mail goes out is decided by MAIL_SERVER, never by a silent MAIL_SUPPRESS_SEND
    that would log a mail as sent.
    """

    def __enter__(self):
        self.host = self.configure_host()
        self.num_emails = 0
        return self

    def configure_host(self):
        cfg = current_app.config  # read at each connection, not frozen at start-up
        cls = smtplib.SMTP_SSL if cfg["MAIL_USE_SSL"] else smtplib.SMTP
        host = cls(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=cfg["MAIL_TIMEOUT"])
        if cfg["MAIL_USE_TLS"]:
            host.starttls()
        if cfg["MAIL_USERNAME"] and cfg["MAIL_PASSWORD"]:
            host.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"])
        return host


def keep_unsent(message_ids: list[int]) -> None:
    """Without a mail server, mark queued mails "not sent" in one statement and print them to the log."""
    messages = db.session.scalars(select(MailMessage).where(
        MailMessage.id.in_(message_ids), MailMessage.status == MailStatus.QUEUED.value)).all()
    for message in messages:
        message.status = MailStatus.NOT_SENT.value
        message.last_error = N_("no mail server")  # the log's words are kept in English; its page translates them
        message.secret = None
        log.info("Mail not sent (no MAIL_SERVER): to %s, subject %r\n%s",
                 message.to_address, message.subject, message.body_text)
    db.session.commit()


def deliver(message_id: int) -> None:
    """Claim the mail (queued -> sending) and make one attempt, unless another process has it or it is done.

    A failed attempt queues it again for its next attempt, MAIL_RETRY_DELAYS later; after the last one it is
    failed, with its error, and waits for Resend.
    """
    cfg = current_app.config
    if not cfg.get("MAIL_SERVER"):
        keep_unsent([message_id])
        return
    lease = utcnow() + timedelta(seconds=3 * cfg["MAIL_TIMEOUT"] + 30)  # an attempt that died is taken back then
    claimed = db.session.execute(
        update(MailMessage).where(MailMessage.id == message_id, MailMessage.status == MailStatus.QUEUED.value)
        .values(status=MailStatus.SENDING.value, next_attempt_at=lease, attempts=MailMessage.attempts + 1)
        .execution_options(synchronize_session=False))
    db.session.commit()
    if claimed.rowcount != 1:
        return
    message = db.session.get(MailMessage, message_id)
    try:
        body_text, body_html = _with_secret(message)
    except sealing.Unreadable:
        message.status, message.secret, message.next_attempt_at = MailStatus.FAILED.value, None, None
        message.last_error = N_("Its password could not be unsealed (SECRET_KEY changed): send new credentials.")
        db.session.commit()
        return
    try:
        envelope = flask_mail.Message(
            subject=message.subject, recipients=[message.to_address], body=body_text,
            html=body_html or None, sender=cfg["MAIL_DEFAULT_SENDER"],
        )
        with _TimedConnection(current_app.extensions["mail"]) as connection:
            connection.send(envelope)
    except (TimeoutError, OSError, smtplib.SMTPException) as exc:
        delays = cfg["MAIL_RETRY_DELAYS"]
        message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if message.attempts > len(delays):
            message.status, message.secret, message.next_attempt_at = MailStatus.FAILED.value, None, None
        else:
            message.status = MailStatus.QUEUED.value
            message.next_attempt_at = utcnow() + timedelta(seconds=delays[message.attempts - 1])
        db.session.commit()
        log.warning("Mail %s to %s failed (attempt %s): %s", message.id, message.to_address,
                    message.attempts, message.last_error)
        return
    message.status = MailStatus.SENT.value
    message.sent_at = utcnow()
    message.last_error = ""
    message.secret = message.next_attempt_at = None
    db.session.commit()


def due_mails(limit: int = 1000) -> list[int]:
    """The mails whose next attempt is due (a retry, or a first attempt its dispatcher never made), marked as
    taken for MAIL_DISPATCH_GRACE so that the next sweep does not take them again; attempts whose process died
    mid-send (their lease ran out) are queued again first. The caller dispatches the ids."""
    now = utcnow()
    db.session.execute(
        update(MailMessage).where(MailMessage.status == MailStatus.SENDING.value, MailMessage.next_attempt_at < now)
        .values(status=MailStatus.QUEUED.value, next_attempt_at=now)
        .execution_options(synchronize_session=False))
    due = db.session.scalars(
        select(MailMessage.id).where(MailMessage.status == MailStatus.QUEUED.value,
                                     or_(MailMessage.next_attempt_at.is_(None), MailMessage.next_attempt_at <= now))
        .order_by(MailMessage.id).limit(limit)).all()
    if due:
        db.session.execute(
            update(MailMessage).where(MailMessage.id.in_(due))
            .values(next_attempt_at=now + timedelta(seconds=current_app.config["MAIL_DISPATCH_GRACE"]))
            .execution_options(synchronize_session=False))
    db.session.commit()
    return list(due)


def _with_secret(message: MailMessage) -> tuple[str, str]:
    if message.secret is None:
        return message.body_text, message.body_html
    secret = sealing.unseal(message.secret)
    placeholder = LINK_PLACEHOLDER if LINK_PLACEHOLDER in message.body_text else SECRET_PLACEHOLDER
    return (message.body_text.replace(placeholder, secret),
            message.body_html.replace(placeholder, str(escape(secret))))


def resend(message_ids: list[int], school_id: int | None, *, actor, renew_link=None) -> int:
    """Queue failed (or unsent) mails again; they go out after the commit. Returns how many.

    A mail whose live link is gone (sent, or failed for good) cannot go again as it is: renew_link(message) mails
    a new one instead (accounts.mail_new_link; handed in, as accounts mails through this module).
    """
    role = permissions.require(actor, school_id, "logs.view")
    query = select(MailMessage).where(
        *permissions.visible_log(MailMessage, school_id, role),
        MailMessage.id.in_([int(i) for i in message_ids]),
        MailMessage.status.in_([MailStatus.FAILED.value, MailStatus.NOT_SENT.value, MailStatus.QUEUED.value]),
    )
    messages = db.session.scalars(query).all()
    if not messages:
        raise NotFound(_("No failed or waiting mail among those chosen."))
    if any(m.secret_erased and m.kind == "credentials" for m in messages):
        raise RosterError(_("A credentials mail cannot be sent again: its password is no longer kept. "
                          "Use Credentials on the student to send a new one."))
    renewed = [m for m in messages if m.secret_erased]
    if renewed and renew_link is None:
        raise RosterError(_("This mail's link is no longer kept: ask for a new one."))
    if renewed:
        for message in renewed:  # its link is gone: a new mail with a new link instead
            renew_link(message)
            message.last_error = N_("sent again with a new link")
            audit.record("mail resent", actor=actor, school_id=message.school_id, target=message,
                         details={"kind": message.kind, "new link": True})
        messages = [m for m in messages if not m.secret_erased]
    grace = utcnow() + timedelta(seconds=current_app.config["MAIL_DISPATCH_GRACE"])
    for message in messages:
        message.status = MailStatus.QUEUED.value
        message.last_error = ""
        message.attempts = 0  # its retries start over
        message.next_attempt_at = grace
        db.session.info.setdefault(PENDING, []).append(message.id)
        audit.record("mail resent", actor=actor, school_id=message.school_id, target=message,
                     details={"kind": message.kind})
    db.session.commit()
    return len(messages)
