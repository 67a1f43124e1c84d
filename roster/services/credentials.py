"""Credentials: give a student a login and a password by mail (flow 3 of design.md).

The password goes out in one mail and is never kept: the account stores its hash, the mail log a placeholder.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import selectinload

from roster import permissions
from roster.errors import RosterError, ValidationFailed, too_long
from roster.extensions import db
from roster.i18n import N_
from roster.models import AccountStatus, School, Status, Student, User, UserSession, utcnow
from roster.services import accounts, audit, emails, movements, refusals_roll_back
from roster.services import students as student_service
from roster.text import normalize_email, normalize_login

# No look-alikes (0/O/o, 1/l/I, 5/S, 2/Z, 8/B, quotes): the student types it from a mail, maybe from paper.
PASSWORD_ALPHABETS = ("abcdefghijkmnpqrstuvwxyz", "ACDEFGHJKLMNPQRTUVWXY", "34679", "#%+=?@")
PASSWORD_LENGTH = 16


def generate_password(length: int = PASSWORD_LENGTH) -> str:
    """A random password with lower and upper case letters, digits and a sign, none of them look-alikes."""
    everything = "".join(PASSWORD_ALPHABETS)
    chars = [secrets.choice(alphabet) for alphabet in PASSWORD_ALPHABETS]
    chars += [secrets.choice(everything) for _ in range(length - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


@dataclass
class Issued:
    student_id: int
    login: str
    email: str
    created_account: bool


@dataclass
class BulkResult:
    sent: list[Issued] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (student's name, why)


JUST_SENT = N_("credentials were sent a moment ago (a double click?); wait a minute to send new ones")


class JustSent(RosterError):
    """Credentials were mailed to the student a moment ago: nothing was changed or sent."""


def _claim(student_ids: list[int]) -> set[int]:
    """Mark the students' credentials as being sent, unless they were within CREDENTIALS_REPEAT_AFTER; return
    the ids this call may send to.

    A conditional UPDATE before anything is written, as Activate does: of two requests at once, the second
    waits for the first's commit, then finds the students just sent to and sends nothing (no second mail whose
    password would undo the first one's, no second account for one login).
    """
    if not student_ids:
        return set()
    now = utcnow()
    recent = now - timedelta(seconds=current_app.config["CREDENTIALS_REPEAT_AFTER"])
    return set(db.session.scalars(
        update(Student)
        .where(Student.id.in_(student_ids),
               or_(Student.credentials_sent_at.is_(None), Student.credentials_sent_at < recent))
        .values(credentials_sent_at=now)
        .returning(Student.id)
        .execution_options(synchronize_session=False)).all())


def _give(student: Student, school: School, *, login: str, email: str, password: str, actor) -> Issued:
    """Create or update the student's account with this password and queue the mail; the caller commits."""
    user = student.user
    created = user is None
    if created:
        user = accounts.create_user(email, login=login, password=password, last_name=student.last_name,
                                    first_name=student.first_name, middle_name=student.middle_name,
                                    phone=student.phone, must_change_password=True)
        student.user = user
    else:
        user.login, user.email = login, email
        accounts.set_password(user, password, must_change=True)
        user.is_enabled = True
        # New credentials replace the old ones everywhere: whoever was signed in with them is signed out.
        db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    student.email = email
    student.account_status = AccountStatus.ACTIVE.value
    audit.record("credentials issued", actor=actor, school_id=school.id, target=student,
                 details={"login": login, "email": email, "account": "created" if created else "updated"})
    emails.credentials(school, student, login=login, password=password)
    return Issued(student.id, login, email, created)


@refusals_roll_back
def _checked_form(student: Student, school_id: int, role, *, login: str, email: str, password: str):
    """The Credentials form's login and email, cleaned, or ValidationFailed with each field's reason: the email
    free in the school (another only for admins), a login, a password not too short or common, and an account
    that is the student's alone and whose login and email no other account uses."""
    errors: dict[str, list[str]] = {}
    try:
        email = normalize_email(email)
    except ValueError as exc:
        errors["email"] = [str(exc)]
    else:
        if not email:
            errors["email"] = [_("Enter the email the credentials go to.")]
        elif email != student.email:
            if not permissions.allows(role, "students.change_email"):
                errors["email"] = [_("Only a school admin can give the student another email.")]
            elif db.session.scalar(select(Student.id).where(
                    Student.school_id == school_id, Student.email == email, Student.id != student.id).limit(1)):
                errors["email"] = [_("Another student of this school already has this email.")]
    login = normalize_login(login) or (email if "email" not in errors else "")
    if not login:
        errors["login"] = [_("Enter a login.")]
    elif len(login) > 254:
        errors["login"] = [too_long(254)]
    if problem := accounts.password_problem(password or ""):
        errors["password"] = [_("%(problem)s Or press Change for a generated password.", problem=problem)]
    if student.user_id is not None and not accounts.changeable_accounts([student.user_id], school_id):
        errors = {"email": [_(accounts.NOT_THEIRS)]}
    elif not errors and accounts.address_taken(login, email, except_user_id=student.user_id):
        errors["login"] = [_("Another account already uses this login or email.")]
    if errors:
        raise ValidationFailed(errors)
    return login, email


def issue(student_id: int, school_id: int, *, login: str, email: str, password: str, actor) -> Issued:
    """Give one student the login and password the form holds, and mail them."""
    role = permissions.require(actor, school_id, "students.credentials")
    student = student_service.get(student_id, school_id, actor=actor)
    movements.require_studying(student)
    login, email = _checked_form(student, school_id, role, login=login, email=email, password=password)
    if not _claim([student.id]):
        db.session.rollback()
        raise JustSent(_("Nothing sent to %(name)s: %(reason)s.", name=student.full_name, reason=_(JUST_SENT)))
    issued = _give(student, db.session.get(School, school_id), login=login, email=email, password=password,
                   actor=actor)
    db.session.commit()
    return issued


def issue_many(student_ids: list[int], school_id: int, *, actor) -> BulkResult:
    """Mail each chosen student with an email a generated password; say who was skipped and why."""
    role = permissions.require(actor, school_id, "students.credentials")
    chosen = db.session.scalars(
        select(Student).where(Student.id.in_([int(i) for i in student_ids]),
                              *permissions.visible_students(school_id, actor, role))
        .order_by(Student.search_key, Student.id).options(selectinload(Student.user))
    ).all()
    school = db.session.get(School, school_id)
    holders = accounts.address_holders(s.email for s in chosen if s.email)  # one query for all of them
    result = BulkResult()
    eligible = []
    theirs = accounts.changeable_accounts([s.user_id for s in chosen], school_id)
    for student in chosen:
        if student.status != Status.STUDYING.value:
            result.skipped.append((student.full_name, _("not studying")))
        elif not student.email:
            result.skipped.append((student.full_name, _("no email")))
        elif student.user_id is not None and student.user_id not in theirs:
            result.skipped.append((student.full_name, _("their address belongs to an account Roster cannot change "
                                                         "from here")))
        elif holders.get(student.email, set()) - {student.user_id}:
            result.skipped.append((student.full_name, _("another account already uses this email")))
        else:
            eligible.append(student)
    claimed = _claim([student.id for student in eligible])
    # A login another system gave the child (OneRoster's username) is theirs, unless an account already has it.
    wanted = {s.username.strip().lower() for s in eligible if s.username and not s.user}
    taken = set(db.session.scalars(select(func.lower(User.login)).where(func.lower(User.login).in_(wanted)))
                ) if wanted else set()
    for student in eligible:
        if student.id not in claimed:
            result.skipped.append((student.full_name, JUST_SENT))
            continue
        username = (student.username or "").strip()
        login = (student.user.login if student.user else
                 username if username and username.lower() not in taken else student.email)
        taken.add(login.lower())
        result.sent.append(_give(student, school, login=login, email=student.email,
                                 password=generate_password(), actor=actor))
    db.session.commit()
    return result
