"""Retention: what Roster keeps about children only for a while, removed when its time is up.

Run daily: by Celery beat where a broker is configured (`roster.tasks.purge`), else by `flask roster purge` from
cron. The periods are settings (RETENTION_*_DAYS, roster/config.py); each run is audited with its counts, and a
dry run only counts.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import Text, cast, delete, false, func, not_, select, update

from roster import permissions
from roster.extensions import db
from roster.models import AccountStatus, Invitation, Status, Student, UserSession, utcnow
from roster.records import ApiToken, AuditEvent, BulkJob, BulkStatus, ImportJob, ImportStatus, MailMessage
from roster.services import audit, erasure

PURGED = "[removed after its retention period]"
# A finished job's report once purged: its totals stay on the job; its rows (names, cells, errors) go.
PURGED_REPORT = {"unknown_columns": [], "new_names": {}, "first_rows": [], "errors": [], "duplicates": [],
                 "purged": True}
FINISHED = (ImportStatus.COMPLETED.value, ImportStatus.COMPLETED_WITH_ERRORS.value, ImportStatus.FAILED.value)
# What goes, in the order a run takes it: (its name in the report and the audit event, its setting).
KINDS = (
    ("pending sign-ups", "RETENTION_PENDING_SIGN_UP_DAYS"),
    ("children who left", "RETENTION_LEFT_DAYS"),
    ("expired invitations", "RETENTION_INVITATION_DAYS"),
    ("mail bodies", "RETENTION_MAIL_BODY_DAYS"),
    ("import reports", "RETENTION_IMPORT_REPORT_DAYS"),
    ("audit events", "RETENTION_AUDIT_DAYS"),
    ("idle sessions", "SESSION_IDLE_TIMEOUT"),  # a session no one may use any more still holds a client address
)


def _before(setting: str, now):
    return now - timedelta(days=current_app.config[setting])


def _conditions(now) -> dict:
    """Each kind's rows that are due, as a WHERE clause on its table."""
    return {
        "pending sign-ups": (Student, [Student.account_status == AccountStatus.PENDING.value,
                                       Student.created_at < _before("RETENTION_PENDING_SIGN_UP_DAYS", now)]),
        "children who left": (Student, _left_before(now)),
        "expired invitations": (Invitation, [Invitation.expires_at < _before("RETENTION_INVITATION_DAYS", now)]),
        "mail bodies": (MailMessage, [MailMessage.created_at < _before("RETENTION_MAIL_BODY_DAYS", now),
                                      MailMessage.body_text != PURGED, MailMessage.body_text != erasure.ERASED]),
        "import reports": (ImportJob, [ImportJob.status.in_(FINISHED),
                                       not_(cast(ImportJob.report, Text).contains('"purged"')),
                                       ImportJob.finished_at < _before("RETENTION_IMPORT_REPORT_DAYS", now)]),
        "bulk change reports": (BulkJob, [BulkJob.status != BulkStatus.RUNNING.value,
                                          BulkJob.finished_at < _before("RETENTION_IMPORT_REPORT_DAYS", now)]),
        "audit events": (AuditEvent, [AuditEvent.created_at < _before("RETENTION_AUDIT_DAYS", now)]),
        "idle sessions": (UserSession, [UserSession.last_seen_at < now - current_app.config["SESSION_IDLE_TIMEOUT"]]),
        "expired API tokens": (ApiToken, [ApiToken.expires_at < now]),
    }


def _left_before(now) -> list:
    """Children who left more than RETENTION_LEFT_DAYS ago (by their last leaving's date); none when unset."""
    days = current_app.config.get("RETENTION_LEFT_DAYS")
    if not days:
        return [false()]
    return [Student.status == Status.LEFT.value, Student.dropout_date < (now - timedelta(days=int(days))).date()]


def purge(*, dry_run: bool = False, now=None) -> dict[str, int]:
    """Remove what is past its retention period; return how many of each kind went (or would go)."""
    now = now or utcnow()
    due = _conditions(now)
    counts = {kind: db.session.scalar(select(func.count()).select_from(model).where(*where))
              for kind, (model, where) in due.items()}
    if dry_run:
        return counts
    for kind in ("pending sign-ups", "children who left"):
        _model, where = due[kind]
        for school_id, ids in _by_school(db.session.execute(select(Student.school_id, Student.id).where(*where))):
            erasure.erase(ids, school_id, actor=permissions.SYSTEM)  # a child's data goes the one way it goes
    _, where = due["expired invitations"]
    db.session.execute(delete(Invitation).where(*where))
    _, where = due["mail bodies"]
    db.session.execute(update(MailMessage).where(*where).values(body_text=PURGED, body_html=PURGED, secret=None)
                       .execution_options(synchronize_session=False))
    _, where = due["import reports"]
    db.session.execute(update(ImportJob).where(*where).values(report=PURGED_REPORT, failed_rows_csv=None, content=None)
                       .execution_options(synchronize_session=False))
    _, where = due["bulk change reports"]
    db.session.execute(delete(BulkJob).where(*where))
    _, where = due["audit events"]
    db.session.execute(delete(AuditEvent).where(*where))
    _, where = due["idle sessions"]
    db.session.execute(delete(UserSession).where(*where))
    _, where = due["expired API tokens"]
    db.session.execute(delete(ApiToken).where(*where))
    audit.record("retention purge", actor=permissions.SYSTEM, school_id=None, details=counts)
    db.session.commit()
    return counts


def _by_school(rows) -> list[tuple[int, list[int]]]:
    grouped: dict[int, list[int]] = {}
    for school_id, student_id in rows:
        grouped.setdefault(school_id, []).append(student_id)
    return sorted(grouped.items())
