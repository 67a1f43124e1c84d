"""Transfers between the platform's schools: one school asks (to send a child, or to receive one it found on the
platform), the other accepts or declines; on acceptance, in one transaction, the child has a record in the
receiving school (their personal data and parents, not the sending school's sections, programs, tags or private
notes), their account moves with them, the sending record is Transferred out, and both schools' movements are
written. A transfer to a school outside the platform is a Leave with its reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from roster import fields, national_id, permissions
from roster.errors import NotFound, ValidationFailed
from roster.extensions import db
from roster.i18n import N_
from roster.models import (
    Guardian,
    Membership,
    MovementKind,
    Role,
    School,
    Status,
    Student,
    Transfer,
    User,
    utcnow,
)
from roster.services import audit, duplicates, emails, movements
from roster.services import students as student_service
from roster.text import fold, name_search_key

OPEN, ACCEPTED, DECLINED, WITHDRAWN = "open", "accepted", "declined", "withdrawn"
STATES = {OPEN: N_("waiting"), ACCEPTED: N_("accepted"), DECLINED: N_("declined"), WITHDRAWN: N_("withdrawn")}
# What a transfer carries to the receiving school: the child's own data, never the sending school's sections,
# programs, tags, file number or drop-out notes.
CARRIED = ("last_name", "first_name", "middle_name", "email", "phone", "phone_normalized", "gender", "birth_date",
           "citizenship", "address", "extra_phone", "extra_email", "is_inclusive", "is_individual", "account_status",
           "national_id")
ALREADY_OPEN = N_("This child already has an open transfer: it must be accepted, declined or withdrawn first.")


@dataclass(frozen=True)
class FoundChild:
    """A child of another school, as a search shows them: enough to ask, nothing of that school's record."""

    student_id: int
    name: str
    birth_date: date | None
    school: str


def _studying(student_id: int, school_id: int) -> Student:
    student = db.session.scalar(select(Student).where(Student.id == student_id, Student.school_id == school_id))
    if student is None:
        raise NotFound(_("No such student in this school."))
    if student.status != Status.STUDYING.value:
        raise ValidationFailed({"student": [_("Only a student who is studying can be transferred.")]})
    return student


def _check_none_open(student_id: int) -> None:
    if db.session.scalar(select(Transfer.id).where(Transfer.student_id == student_id, Transfer.state == OPEN)):
        raise ValidationFailed({"student": [_(ALREADY_OPEN)]})


def schools_to(school_id: int) -> list[School]:
    """The platform's other active schools, a transfer's possible other ends."""
    return list(db.session.scalars(select(School).where(School.id != school_id, School.is_active)
                                   .order_by(School.name)))


def send(student_id: int, school_id: int, to_school_id, *, note: str = "", actor) -> int:
    """The sending school asks another school of the platform to take a child; its admins are mailed."""
    permissions.require(actor, school_id, "students.edit")
    student = _studying(student_id, school_id)
    to = db.session.get(School, to_school_id) if isinstance(to_school_id, int) else None
    if to is None or to.id == school_id or not to.is_active:
        raise ValidationFailed({"to_school": [_("Choose a school of the platform from the list.")]})
    _check_none_open(student.id)
    return _open(student, school_id, to.id, asked_by=school_id, note=note, actor=actor)


def find(school_id: int, *, last_name: str = "", birth_date: date | None = None, file_number: str = "",
         actor) -> list[FoundChild]:
    """Children studying in the platform's other schools by last name and date of birth, or by personal file
    number: their names, birth dates and schools only."""
    permissions.require(actor, school_id, "students.edit")
    last_name, file_number = " ".join((last_name or "").split()), (file_number or "").strip()
    digits = national_id.SEPARATORS.sub("", file_number)
    if file_number and digits.isdigit() and len(digits) in national_id.LENGTHS.values():
        # A number the length of an IIN or SNILS: the child's national identifier, or a file number like it.
        match = [or_(Student.national_id == digits,
                     Student.personal_file_number.in_({file_number, file_number.upper(), file_number.lower()}))]
    elif file_number:
        match = [Student.personal_file_number.in_({file_number, file_number.upper(), file_number.lower()})]
    elif last_name and birth_date:
        key = name_search_key(last_name, "", "")
        match = [Student.birth_date == birth_date, Student.search_key.startswith(key + " ", autoescape=True)
                 | (Student.search_key == key)]
    else:
        raise ValidationFailed({"last_name": [_("Enter the last name and the date of birth, or the personal file "
                                                "number.")]})
    rows = db.session.execute(
        select(Student.id, Student.last_name, Student.first_name, Student.middle_name, Student.birth_date,
               School.name).join(School, School.id == Student.school_id)
        .where(Student.school_id != school_id, Student.status == Status.STUDYING.value, School.is_active, *match)
        .order_by(Student.search_key, Student.id).limit(20))
    return [FoundChild(sid, " ".join(p for p in (last, first, middle) if p), born, school)
            for sid, last, first, middle, born, school in rows if fold(last) == fold(last_name) or file_number]


def ask_for(student_id, school_id: int, *, note: str = "", actor) -> int:
    """The receiving school asks for a child it found studying in another school of the platform."""
    permissions.require(actor, school_id, "students.edit")
    student = db.session.get(Student, student_id) if isinstance(student_id, int) else None
    if student is None or student.school_id == school_id or student.status != Status.STUDYING.value:
        raise NotFound(_("No such child studying in another school of the platform."))
    _check_none_open(student.id)
    return _open(student, student.school_id, school_id, asked_by=school_id, note=note, actor=actor)


def _open(student: Student, from_id: int, to_id: int, *, asked_by: int, note: str, actor) -> int:
    transfer = Transfer(student_id=student.id, from_school_id=from_id, to_school_id=to_id,
                        asked_by_school_id=asked_by, asked_by_id=getattr(actor, "id", None),
                        note=" ".join((note or "").split())[:500])
    db.session.add(transfer)
    db.session.flush()
    other = to_id if asked_by == from_id else from_id
    for school_id in (from_id, to_id):
        audit.record("transfer asked", actor=actor, school_id=school_id, target=student,
                     details={"from": db.session.get(School, from_id).name, "to": db.session.get(School, to_id).name})
    emails.transfer_asked(db.session.get(School, other), transfer, student, _admins(other))
    db.session.commit()
    return transfer.id


def _admins(school_id: int):
    return list(db.session.scalars(select(User).join(Membership, Membership.user_id == User.id).where(
        Membership.school_id == school_id, Membership.role == Role.ADMIN.value, User.is_enabled)))


def of_school(school_id: int, *, actor) -> list[Transfer]:
    """The transfers a school is an end of, open ones first; a platform admin sees every school's."""
    role = permissions.require(actor, school_id, "students.edit")
    query = select(Transfer)
    if role != permissions.PLATFORM:
        query = query.where((Transfer.from_school_id == school_id) | (Transfer.to_school_id == school_id))
    return list(db.session.scalars(query.order_by((Transfer.state != OPEN), Transfer.created_at.desc()).limit(500)))


def _own(transfer_id, school_id: int) -> Transfer:
    transfer = db.session.get(Transfer, transfer_id) if isinstance(transfer_id, int) else None
    if transfer is None or school_id not in (transfer.from_school_id, transfer.to_school_id):
        raise NotFound(_("No such transfer for this school."))
    if transfer.state != OPEN:
        raise ValidationFailed({"transfer": [_("This transfer is no longer waiting.")]})
    return transfer


def decide(transfer_id, school_id: int, *, accept: bool, actor) -> Transfer:
    """The other school (not the one that asked) accepts or declines an open transfer."""
    permissions.require(actor, school_id, "students.edit")
    transfer = _own(transfer_id, school_id)
    if transfer.asked_by_school_id == school_id:
        raise ValidationFailed({"transfer": [_("The other school decides on a transfer this school asked for.")]})
    if accept:
        _carry_out(transfer, actor)
    transfer.state, transfer.decided_at = (ACCEPTED if accept else DECLINED), utcnow()
    for end in (transfer.from_school_id, transfer.to_school_id):
        audit.record("transfer accepted" if accept else "transfer declined", actor=actor, school_id=end,
                     target=transfer.student)
    db.session.commit()
    return transfer


def withdraw(transfer_id, school_id: int, *, actor) -> None:
    """The school that asked takes its request back; nothing else changes."""
    permissions.require(actor, school_id, "students.edit")
    transfer = _own(transfer_id, school_id)
    if transfer.asked_by_school_id != school_id:
        raise ValidationFailed({"transfer": [_("Only the school that asked can withdraw a transfer.")]})
    transfer.state, transfer.decided_at = WITHDRAWN, utcnow()
    audit.record("transfer withdrawn", actor=actor, school_id=school_id, target=transfer.student)
    db.session.commit()


def _carry_out(transfer: Transfer, actor) -> None:
    """The child's record in the receiving school, their account with it; the sending record Transferred out."""
    old = transfer.student
    if old is None or old.status != Status.STUDYING.value:
        raise ValidationFailed({"transfer": [_("The child no longer studies at the sending school.")]})
    to_id, today = transfer.to_school_id, date.today()
    if old.email and db.session.scalar(select(func.count(Student.id)).where(
            Student.school_id == to_id, Student.email == old.email)):
        raise ValidationFailed({"transfer": [_("A student of the receiving school already has this child's email "
                                               "(%(email)s): change one of them first.", email=old.email)]})
    if old.national_id and db.session.scalar(select(func.count(Student.id)).where(
            Student.school_id == to_id, Student.national_id == old.national_id)):
        raise ValidationFailed({"transfer": [_("A student of the receiving school already has this child's "
                                               "national identifier: the child may be on its list already.")]})
    new = Student(school_id=to_id, source="transfer", user_id=old.user_id,
                  **{name: getattr(old, name) for name in CARRIED})
    new.refresh_search_key()
    new.guardians = [Guardian(**{f: getattr(g, f) for f in fields.GUARDIAN_FIELDS}) for g in old.guardians]
    db.session.add(new)
    db.session.flush()
    student_service.index_names([(new.id, to_id, new.search_key)])
    duplicates.index([new.id], to_id)
    from_name, to_name = transfer.from_school.name, transfer.to_school.name
    old.user_id, old.status = None, Status.TRANSFERRED.value
    old.dropout_date, old.dropout_reason, old.dropout_note = today, movements.TRANSFERRED, to_name
    movements.record(transfer.from_school_id, [old.id], MovementKind.LEFT, today, actor,
                     reason=movements.TRANSFERRED, note=to_name)
    movements.record(to_id, [new.id], MovementKind.ARRIVED, today, actor, reason=movements.FROM_PLATFORM,
                     note=from_name)
    transfer.new_student_id = new.id
