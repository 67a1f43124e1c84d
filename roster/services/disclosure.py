"""A student's data on request (GDPR art. 15), and who received it (the disclosure log).

`student_data` gathers everything Roster holds about one student of a school, as plain values, for the JSON
download and its readable page; handing it out is itself a disclosure, audited. `disclosures` lists, for the
student's page, every time their data left Roster: exports of the list while they were on it, credentials mailed,
data downloads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Text, and_, cast, func, or_, select

from roster import fields, permissions
from roster.extensions import db
from roster.models import Invitation, Student, User
from roster.records import ApiClient, AuditEvent, ImportJob, MailMessage
from roster.services import audit
from roster.services import students as student_service

ACCOUNT_FACTS = ("login", "email", "created_at", "last_login_at", "is_enabled", "must_change_password")
DISCLOSED = "student data disclosed"
API_READ = "api students read"  # a OneRoster API client read users or enrollments of the school


def _plain(value):
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def student_data(student_id: int, school_id: int, *, actor, fmt: str) -> dict:
    """Every field, guardian, section, program and tag of the student; their account's facts (never its password
    hash or second-factor secret); the invitations and mails sent to them; the imports that touched them; their
    history. Audited as a disclosure, before it is handed out."""
    permissions.require(actor, school_id, "students.data")
    student = student_service.get(student_id, school_id, actor=actor)
    addresses = {a.lower() for a in (student.email, student.extra_email) if a}
    account = db.session.get(User, student.user_id) if student.user_id else None
    if account is not None:
        addresses |= {account.email.lower(), account.login.lower()}
    data = {
        "school": student.school.name,
        "student": {name: _plain(getattr(student, name)) for name in fields.STUDENT
                    if name not in ("full_name", "guardians", "programs", "tags", "sections")},
        "guardians": [{name: getattr(g, name) for name in fields.GUARDIAN} for g in student.guardians],
        "programs": [p.name for p in student.programs],
        "tags": [t.name for t in student.tags],
        "sections": [s.name for s in student.sections],
        "account": ({name: _plain(getattr(account, name)) for name in ACCOUNT_FACTS}
                    | {"two_factor": account.totp_enabled_at is not None} if account else None),
        "invitations": [
            {"email": i.email, "sent_at": _plain(i.sent_at), "expires_at": _plain(i.expires_at), "status": i.status}
            for i in db.session.scalars(select(Invitation).where(
                Invitation.school_id == school_id, func.lower(Invitation.email).in_(addresses or {""}))
                .order_by(Invitation.sent_at))],
        "mails": [
            {"kind": m.kind, "to": m.to_address, "subject": m.subject, "created_at": _plain(m.created_at),
             "status": m.status}
            for m in db.session.scalars(select(MailMessage).where(
                MailMessage.school_id == school_id, func.lower(MailMessage.to_address).in_(addresses or {""}))
                .order_by(MailMessage.created_at, MailMessage.id))],
        "imports": [
            {"file": j.file_name, "created_at": _plain(j.created_at), "status": j.status}
            for j in db.session.scalars(select(ImportJob).where(
                ImportJob.school_id == school_id,
                cast(ImportJob.report, Text).contains(f'"student_id": {student.id}}}', autoescape=True))
                .order_by(ImportJob.created_at))],
        "history": [
            {"when": _plain(e.created_at), "who": e.actor.email if e.actor else "", "what": e.action,
             "details": e.details}
            for e in reversed(audit.history("student", student.id, school_id, limit=10_000))],
    }
    event = audit.record(DISCLOSED, actor=actor, school_id=school_id, details={"format": fmt})
    event.target_type, event.target_id = "student", student.id
    db.session.commit()
    return data


@dataclass
class Disclosure:
    when: datetime
    who: str  # the staff member who made it
    what: str  # the audit action
    to: str  # whom it reached: an address, or the file's taker


def disclosures(student: Student, school_id: int, limit: int = 200) -> list[Disclosure]:
    """Who received this child's data, newest first: the school's exports made while they were on its list,
    the credentials mailed to them, the downloads of their data, the integrations that read them."""
    about_them = and_(AuditEvent.target_type == "student", AuditEvent.target_id == student.id,
                      AuditEvent.action.in_(("credentials issued", DISCLOSED)))
    exports = and_(AuditEvent.action == "students exported", AuditEvent.created_at >= student.created_at)
    rows = db.session.scalars(
        select(AuditEvent).where(AuditEvent.school_id == school_id, or_(about_them, exports))
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()).limit(limit)).all()
    out = []
    for event in rows:
        who = event.actor.email if event.actor else ""
        to = (event.details or {}).get("email", "") if event.action == "credentials issued" else who
        out.append(Disclosure(event.created_at, who, event.action, to))
    # Integrations that read the school's children through the OneRoster API while this child was on its list:
    # each once, with its latest read (a client reads a page at a time, many times a day).
    reads = db.session.execute(
        select(AuditEvent.target_id, func.max(AuditEvent.created_at), func.count())
        .where(AuditEvent.school_id == school_id, AuditEvent.action == API_READ,
               AuditEvent.created_at >= student.created_at, AuditEvent.target_type == "apiclient")
        .group_by(AuditEvent.target_id)).all()
    names = dict(db.session.execute(select(ApiClient.id, ApiClient.name).where(
        ApiClient.id.in_([r[0] for r in reads]))).all()) if reads else {}
    out += [Disclosure(when, "", API_READ, names.get(client_id, "")) for client_id, when, _count in reads]
    out.sort(key=lambda d: d.when, reverse=True)
    return out
