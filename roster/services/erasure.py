"""Erase a student: the one way a child leaves a school's list (GDPR art. 17, 94-V, 152-FZ).

Erasing takes the student, their guardians and links (cascade), the school's invitations to their addresses,
their rows of the school's import reports and failed-row files, the bodies of the school's mails to them and of
their account's own mails (the log keeps that a mail of that kind went, to "[erased]"), and their account unless
it is someone else's too (a staff role anywhere, a platform admin, a student of another school: then only the link
to this school goes). Audit events keep their ids and actions; every value naming the child becomes "[erased]".
Another school's records are never touched (docs/privacy.md has the table). The erasure itself is audited as
"student erased" with no personal data.
"""

from __future__ import annotations

import csv
import io
import json

from flask_babel import gettext as _
from sqlalchemy import Text, cast, delete, or_, select, update

from roster import permissions
from roster.errors import NotFound
from roster.extensions import db
from roster.models import Guardian, Invitation, Membership, Status, Student, User
from roster.records import AuditEvent, BulkJob, ImportJob, ImportStatus, MailMessage, StudentMerge, duplicate_key
from roster.services import audit, movements

ERASED = "[erased]"


def erase(student_ids: list[int], school_id: int, *, actor) -> int:
    """Erase the given students of the school (others are ignored); return how many went. One transaction."""
    role = permissions.require(actor, school_id, "students.edit")
    students = db.session.scalars(
        select(Student).where(Student.id.in_([int(i) for i in student_ids]),
                              *permissions.visible_students(school_id, actor, role))).all()
    if not students:
        raise NotFound(_("No such student in this school."))
    students = list(students) + _merged_into(students)
    erased_ids, all_traces = set(), set()
    for student in students:
        erased_ids.add(student.id)
        all_traces |= _erase_one(student, school_id, actor)
    _scrub_imports(school_id, erased_ids, all_traces)  # the school's jobs read once, however many students go
    _scrub_bulk_jobs(school_id, erased_ids, all_traces)
    db.session.commit()
    return len(students)


def _merged_into(students) -> list[Student]:
    """The hidden records merged into these students (and into those, a merge of a merge): the same child's, so
    they go too."""
    found, ids = [], [s.id for s in students]
    while ids:
        hidden = db.session.scalars(
            select(Student).join(StudentMerge, StudentMerge.merged_id == Student.id)
            .where(StudentMerge.survivor_id.in_(ids), StudentMerge.undone_at.is_(None),
                   Student.status == Status.MERGED.value)).all()
        found += hidden
        ids = [s.id for s in hidden]
    return found


def _erase_one(student: Student, school_id: int, actor) -> set[str]:
    """Erase one student (all but their import-report rows, which the caller scrubs for all at once); return the
    strings that named them."""
    account = db.session.get(User, student.user_id) if student.user_id else None
    account_goes = account is not None and not _someone_elses(account, student)
    addresses = _addresses(student, account if account_goes else None)
    traces = _traces(student, addresses)
    targets = [("student", student.id)] + ([("user", account.id)] if account_goes else [])

    _scrub_audit(school_id, targets, traces, actor_id=account.id if account_goes else None)
    _scrub_mails(school_id, addresses)
    if account_goes:
        _scrub_account_mails(account)
    if addresses:
        db.session.execute(delete(Invitation).where(Invitation.school_id == school_id,
                                                    Invitation.email.in_(addresses)))
    student_id = student.id
    db.session.flush()
    movements.forget([student_id])  # the book's counts stay; the child and any note go
    db.session.execute(delete(Guardian).where(Guardian.student_id == student_id))
    db.session.execute(delete(duplicate_key).where(duplicate_key.c.student_id == student_id))  # no cascade there
    db.session.execute(delete(Student).where(Student.id == student_id))  # links and claims go by cascade
    if account_goes:  # its sessions, reset links and recovery codes go by cascade
        db.session.execute(delete(User).where(User.id == account.id))
    db.session.expunge(student)
    if account is not None:
        db.session.expunge(account)
    event = audit.record("student erased", actor=actor, school_id=school_id,
                         details={"account": "erased" if account_goes else ("kept" if account else "none")})
    event.target_type, event.target_id = "student", student_id
    return traces


def _someone_elses(account: User, student: Student) -> bool:
    """An account that is not this child's alone: a platform admin's, a staff member's, another school's student's."""
    if account.is_platform_admin:
        return True
    if db.session.scalar(select(Membership.id).where(Membership.user_id == account.id).limit(1)) is not None:
        return True
    return db.session.scalar(select(Student.id).where(Student.user_id == account.id, Student.id != student.id)
                             .limit(1)) is not None


def _addresses(student: Student, account: User | None) -> set[str]:
    """Every address of the child: theirs, their parents', their account's, and the ones an email change left
    behind. All but the account's were typed by staff: they are scrubbed in the erasing school only."""
    found = {a for a in (student.email, student.extra_email) if a}
    found |= set(db.session.scalars(select(Guardian.email).where(Guardian.student_id == student.id)))
    if account is not None:
        found |= {account.email, account.login}
    for (details,) in db.session.execute(select(AuditEvent.details).where(
            AuditEvent.target_type == "student", AuditEvent.target_id == student.id,
            AuditEvent.action == "email changed")):
        found |= {v for k, v in (details or {}).items() if k in ("from", "to") and v}
    return {a.lower() for a in found if a}


def _traces(student: Student, addresses: set[str]) -> set[str]:
    """The strings that name the child or reach them: names, addresses, phones, birth date, file number."""
    names = (" ".join(p for p in (student.last_name, student.first_name, student.middle_name) if p),
             " ".join(p for p in (student.last_name, student.first_name) if p))
    values = {*names, *addresses, student.phone, student.phone_normalized, student.extra_phone,
              student.personal_file_number, student.address,
              student.birth_date.isoformat() if student.birth_date else None}
    for guardian in db.session.scalars(select(Guardian).where(Guardian.student_id == student.id)):
        values |= {guardian.full_name, guardian.email, guardian.phone}
    return {v for v in values if v and len(v) >= 3}


def _json_patterns(traces: set[str]) -> list[str]:
    """How each trace appears inside a stored JSON document (non-ASCII escaped as \\uXXXX), for LIKE."""
    return [json.dumps(t)[1:-1] for t in traces]


def _scrub_value(value, traces: set[str]):
    if isinstance(value, str):
        return ERASED if any(t.lower() in value.lower() for t in traces) else value
    if isinstance(value, list):
        return [_scrub_value(v, traces) for v in value]
    if isinstance(value, dict):
        return {k: _scrub_value(v, traces) for k, v in value.items()}
    return value


def _scrub_audit(school_id: int, targets: list[tuple[str, int]], traces: set[str], *, actor_id: int | None) -> None:
    """Events about the child (or done by their account) lose their details' values and client address; any
    other event of the school whose details name the child loses those values. Only the erasing school's events
    and the account's own (no school: sign-ins, password changes): another school's log is that school's record."""
    about = or_(*((AuditEvent.target_type == kind) & (AuditEvent.target_id == ident) for kind, ident in targets),
                *([AuditEvent.actor_id == actor_id] if actor_id is not None else []))
    ours = (AuditEvent.school_id == school_id) | AuditEvent.school_id.is_(None)
    for event in db.session.scalars(select(AuditEvent).where(about, ours)):
        event.details = {key: ERASED for key in (event.details or {})}
        event.ip_address = None
    mentions = [cast(AuditEvent.details, Text).contains(p, autoescape=True) for p in _json_patterns(traces)]
    if mentions:
        for event in db.session.scalars(select(AuditEvent).where(AuditEvent.school_id == school_id, or_(*mentions))):
            event.details = _scrub_value(event.details, traces)


def _scrub_mails(school_id: int, addresses: set[str]) -> None:
    """The school's mails to any address of the child (typed by its staff or not): kind and time stay. Only
    this school's: an address an admin typed proves nothing about another school's mails to it."""
    if addresses:
        _blank_mails(MailMessage.to_address.in_(addresses), MailMessage.school_id == school_id)


def _scrub_account_mails(account: User) -> None:
    """The mails that belong to the erased account itself (no school: password resets and changes), sent to its
    own addresses while it held them. Another school's mails to the same address stay: that school's record."""
    own = {a.lower() for a in (account.email, account.login) if a}
    _blank_mails(MailMessage.to_address.in_(own), MailMessage.school_id.is_(None),
                 MailMessage.created_at >= account.created_at)


def _blank_mails(*where) -> None:
    db.session.execute(update(MailMessage).where(*where).values(
        to_address=ERASED, body_text=ERASED, body_html=ERASED, secret=None, last_error="")
        .execution_options(synchronize_session=False))


def _scrub_imports(school_id: int, student_ids: set[int], traces: set[str]) -> None:
    """The school's import reports lose the child's rows (and possible duplicates naming them); failed-row
    files, the lines that name them; a file still waiting for its Confirm that names them is dropped (its job
    ends failed: upload it again)."""
    lowered = [t.lower() for t in traces]
    names = lambda text: any(t in (text or "").lower() for t in lowered)  # noqa: E731
    jobs = db.session.scalars(select(ImportJob).where(ImportJob.school_id == school_id)).all()
    for job in jobs:
        report = job.report or {}
        rows = {key: [r for r in report.get(key, []) if r.get("student_id") not in student_ids
                      and not (key == "duplicates" and r.get("kind") == "student" and r.get("other") in student_ids)
                      and not names(r.get("name")) and not names(r.get("other_name"))]
                for key in ("first_rows", "errors", "duplicates")}
        if any(len(rows[key]) != len(report.get(key, [])) for key in rows):
            job.report = {**report, **rows}
        if job.failed_rows_csv and names(job.failed_rows_csv.decode("utf-8", errors="replace")):
            job.failed_rows_csv = _without_lines(job.failed_rows_csv, names)
        if job.content is not None and names(_file_text(job.content)):
            job.content = None
            job.status, job.message = ImportStatus.FAILED.value, ERASED


def _scrub_bulk_jobs(school_id: int, student_ids: set[int], traces: set[str]) -> None:
    """The school's bulk changes lose the child from their reports (the names of who was skipped: the count
    stays) and from the work list of one still running."""
    lowered = [t.lower() for t in traces]
    for job in db.session.scalars(select(BulkJob).where(BulkJob.school_id == school_id)):
        skipped = {why: {**entry, "names": [n for n in entry["names"] if n.lower() not in lowered]}
                   for why, entry in (job.skipped or {}).items()}
        if skipped != (job.skipped or {}):
            job.skipped = skipped
        if job.student_ids and student_ids & set(job.student_ids):
            done = job.student_ids[:job.done]
            job.student_ids = done + [i for i in job.student_ids[job.done:] if i not in student_ids]
            job.total = len(job.student_ids)


def _without_lines(data: bytes, names) -> bytes:
    reader = csv.reader(io.StringIO(data.decode("utf-8")))
    out = io.StringIO()
    writer = csv.writer(out)
    for number, row in enumerate(reader):
        if number == 0 or not any(names(cell) for cell in row):
            writer.writerow(row)
    return out.getvalue().encode("utf-8")


def _file_text(data: bytes) -> str:
    """An upload's text, near enough to search it: a CSV decoded, a workbook's XML parts (its cells) read."""
    if data.startswith(b"PK\x03\x04"):
        import zipfile

        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                return " ".join(archive.read(n).decode("utf-8", errors="replace")
                                for n in archive.namelist() if n.endswith(".xml"))
        except (zipfile.BadZipFile, KeyError, EOFError):
            return ""
    for encoding in ("utf-8", "utf-16", "cp1251"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")
