"""Inviting students by email, and the public sign-up that an invitation (or the school's link) leads to."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update

from roster import i18n, permissions
from roster.errors import NotFound, RosterError, ValidationFailed
from roster.extensions import db
from roster.models import AccountStatus, Invitation, School, SignUpClaim, Source, Status, Student, utcnow
from roster.services import accounts, audit, consent, duplicates, emails, students
from roster.text import normalize_email, normalize_phone


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class InviteResult:
    sent: list[str] = field(default_factory=list)
    reinvited: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    already_students: list[str] = field(default_factory=list)
    # Addresses of children who left the school (or graduated, or were transferred): Return comes first.
    not_studying: list[str] = field(default_factory=list)


def parse_addresses(text: str) -> tuple[list[str], list[str]]:
    """Split on commas, semicolons, spaces and new lines; return (valid normalised and deduplicated, invalid)."""
    valid, invalid, seen = [], [], set()
    for item in re.split(r"[,;\s]+", text or ""):
        if not item:
            continue
        try:
            address = normalize_email(item)
        except ValueError:
            invalid.append(item[:254])
            continue
        if address not in seen:
            seen.add(address)
            valid.append(address)
    return valid, invalid


def invite(school_id: int, text: str, *, actor) -> InviteResult:
    """Email an invitation to each new address; addresses already on the roster, or of a child who has left
    (Return them instead), are reported, not invited.

    An address with a pending invitation gets a fresh one (the old link stops working). One transaction.
    """
    permissions.require(actor, school_id, "students.invite")
    limit = current_app.config["INVITE_MAX_ADDRESSES"]
    addresses, invalid = parse_addresses(text)
    if len(addresses) + len(invalid) > limit:
        count = len(addresses) + len(invalid)
        raise ValidationFailed({"emails": [_("Up to %(limit)s addresses at a time; this list has %(count)s.",
                                             limit=i18n.number(limit), count=i18n.number(count))]})
    if not addresses and not invalid:
        raise ValidationFailed({"emails": [_("Enter at least one email address.")]})
    result = InviteResult(invalid=invalid)
    known = db.session.execute(select(Student.email, Student.status, Student.user_id).where(
        Student.school_id == school_id, Student.email.in_(addresses))).all()
    gone = {email for email, status, _user in known if status != Status.STUDYING.value}
    on_roster = {email for email, _status, user_id in known if user_id is not None} - gone
    result.not_studying = [a for a in addresses if a in gone]
    result.already_students = [a for a in addresses if a in on_roster]
    to_invite = [a for a in addresses if a not in on_roster and a not in gone]
    now = utcnow()
    pending = db.session.scalars(select(Invitation).where(
        Invitation.school_id == school_id, Invitation.email.in_(to_invite),
        Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None)))
    reinvited = set()
    for old in pending:
        old.revoked_at = now
        reinvited.add(old.email)
    school = db.session.get(School, school_id)
    expires = now + timedelta(days=current_app.config["INVITATION_DAYS"])
    for address in to_invite:
        token = secrets.token_urlsafe(32)
        db.session.add(Invitation(school_id=school_id, email=address, token_digest=digest(token),
                                  invited_by_id=actor.id, sent_at=now, expires_at=expires))
        emails.invitation(school, address, token, expires)
        (result.reinvited if address in reinvited else result.sent).append(address)
    audit.record("students invited", actor=actor, school_id=school_id, details={
        "sent": len(result.sent), "reinvited": len(result.reinvited), "invalid": len(result.invalid),
        "already_students": len(result.already_students), "not_studying": len(result.not_studying)})
    db.session.commit()
    return result


def _scoped(ids, school_id: int):
    return db.session.scalars(select(Invitation).where(
        Invitation.school_id == school_id, Invitation.id.in_([int(i) for i in ids]))).all()


def resend(invitation_ids: list[int], school_id: int, *, actor) -> InviteResult:
    """Send a fresh invitation to the addresses of the chosen ones that were not accepted."""
    permissions.require(actor, school_id, "students.invite")
    addresses = [i.email for i in _scoped(invitation_ids, school_id) if i.accepted_at is None]
    if not addresses:
        raise NotFound(_("None of the chosen invitations can be sent again."))
    return invite(school_id, " ".join(addresses), actor=actor)


def revoke(invitation_ids: list[int], school_id: int, *, actor) -> int:
    """Make the chosen invitations stop working; return how many were still open."""
    permissions.require(actor, school_id, "students.invite")
    now = utcnow()
    open_ones = [i for i in _scoped(invitation_ids, school_id) if i.accepted_at is None and i.revoked_at is None]
    for item in open_ones:
        item.revoked_at = now
        audit.record("invitation revoked", actor=actor, school_id=school_id, target=item,
                     details={"email": item.email})
    db.session.commit()
    return len(open_ones)


class LinkNotValid(RosterError):
    """The sign-up link is unknown, expired, used, revoked or of a closed school; the message says which."""


@dataclass
class SignUpLink:
    school: School
    invitation: Invitation | None = None

    @property
    def email(self) -> str | None:
        return self.invitation.email if self.invitation else None


def resolve_link(*, school_token: str | None = None, invitation_token: str | None = None) -> SignUpLink:
    """Find what a sign-up link leads to, or raise LinkNotValid. Opening a link consumes nothing."""
    if invitation_token:
        invitation = db.session.scalar(select(Invitation).where(Invitation.token_digest == digest(invitation_token)))
        if invitation is None:
            raise LinkNotValid(_("This invitation link is not valid. Ask your school for a new one."))
        if invitation.accepted_at:
            raise LinkNotValid(_("This invitation has already been used. Sign in with the account you created."))
        if invitation.revoked_at:
            raise LinkNotValid(_("This invitation was withdrawn. Ask your school for a new one."))
        if invitation.expires_at <= utcnow():
            raise LinkNotValid(_("This invitation has expired. Ask your school for a new one."))
        school = invitation.school
    else:
        invitation = None
        school = db.session.scalar(select(School).where(School.signup_token == (school_token or "")))
        if school is None:
            raise LinkNotValid(_("This sign-up link is not valid. Ask your school for its current link."))
    if not school.is_active:
        raise LinkNotValid(_("This school does not take sign-ups at the moment."))
    return SignUpLink(school=school, invitation=invitation)


def sign_up(link: SignUpLink, data: dict) -> int | None:
    """Create the account and a pending student of the link's school; consume the invitation; mail the login.
    Returns the new user's id.

    A student already on the school's list with this email is joined at once only through an invitation to
    that address; through the school's link, a mail to the address must confirm it first (confirm_claim). An
    address that has an account already changes nothing: its owner is told by mail, the page says the same.
    """
    cleaned = _sign_up_fields(link, data)
    if accounts.find_user(cleaned["email"]) is not None:
        _tell_existing_account(link, cleaned["email"], data["password"])
        return None
    user = accounts.create_user(cleaned["email"], password=data["password"], last_name=cleaned["last_name"],
                                first_name=cleaned["first_name"], middle_name=cleaned["middle_name"],
                                phone=cleaned["phone"])
    db.session.flush()
    student = db.session.scalar(select(Student).where(
        Student.school_id == link.school.id, Student.email == cleaned["email"], Student.user_id.is_(None)))
    if student is not None and link.invitation is None:
        _await_confirmation(link, user, student)
        return user.id
    student = student or _new_student(link, cleaned)
    student.user_id = user.id
    student.account_status = AccountStatus.PENDING.value
    consent.record(student, link.school)
    if link.invitation:
        _consume(link.invitation)
    audit.record("student signed up", actor=user, school_id=link.school.id, target=student,
                 details={"via": "invitation" if link.invitation else "school link"})
    emails.sign_up_received(link.school, user)
    db.session.commit()
    return user.id


def _sign_up_fields(link: SignUpLink, data: dict) -> dict:
    """The sign-up form's fields, cleaned (the email an invitation's, whatever was posted), or ValidationFailed."""
    errors: dict[str, list[str]] = {}
    cleaned = {}
    for name in ("last_name", "first_name", "middle_name"):
        cleaned[name] = " ".join((data.get(name) or "").split())[:100]
    for name in ("last_name", "first_name"):
        if not cleaned[name]:
            errors[name] = [_("This field is required.")]
    email = link.email or data.get("email") or ""
    try:
        cleaned["email"] = normalize_email(email)
        if not cleaned["email"]:
            errors["email"] = [_("Enter your email address.")]
    except ValueError as exc:
        errors["email"] = [str(exc)]
    try:
        cleaned["phone_normalized"] = normalize_phone(data.get("phone") or "", link.school.country)
        cleaned["phone"] = " ".join((data.get("phone") or "").split())
    except ValueError as exc:
        errors["phone"] = [str(exc)]
    password_errors = accounts.check_new_password(data.get("password") or "", data.get("confirm_password") or "")
    errors.update({"password" if k == "new_password" else k: v for k, v in password_errors.items()})
    errors.update(consent.required_acceptance(data))
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def _tell_existing_account(link: SignUpLink, address: str, password: str) -> None:
    """The page answers as for a new account (it tells nobody which addresses have one); the owner is told."""
    accounts.hash_password(password)  # and takes as long
    audit.record("sign-up with an existing account's email", actor=None, school_id=link.school.id)
    emails.sign_up_existing_account(link.school, accounts.find_by_address(address), address)
    db.session.commit()


def _await_confirmation(link: SignUpLink, user, student: Student) -> None:
    """The school's list has this address: it joins that student only once the address proves itself."""
    token = secrets.token_urlsafe(32)
    expires = utcnow() + timedelta(days=current_app.config["INVITATION_DAYS"])
    db.session.add(SignUpClaim(user_id=user.id, student_id=student.id, token_digest=digest(token),
                               expires_at=expires))
    audit.record("sign-up awaits email confirmation", actor=user, school_id=link.school.id, target=student)
    emails.sign_up_confirm(link.school, user, token, expires)
    db.session.commit()


def _new_student(link: SignUpLink, cleaned: dict) -> Student:
    student = Student(
        school_id=link.school.id, email=cleaned["email"], last_name=cleaned["last_name"],
        first_name=cleaned["first_name"], middle_name=cleaned["middle_name"], phone=cleaned["phone"],
        phone_normalized=cleaned["phone_normalized"],
        source=(Source.INVITE if link.invitation else Source.SIGN_UP).value)
    student.refresh_search_key()
    db.session.add(student)
    db.session.flush()
    students.index_names([(student.id, link.school.id, student.search_key)])
    duplicates.index([student.id], link.school.id)
    return student


def _consume(invitation: Invitation) -> None:
    """Use the invitation up, once: of two sign-ups through one link at once, the second is refused."""
    consumed = db.session.execute(
        update(Invitation).where(Invitation.id == invitation.id, Invitation.accepted_at.is_(None),
                                 Invitation.revoked_at.is_(None)).values(accepted_at=utcnow()))
    if consumed.rowcount != 1:
        db.session.rollback()
        raise LinkNotValid(_("This invitation has already been used. Sign in with the account you created."))


def claim(token: str) -> SignUpClaim:
    """The waiting sign-up a confirmation link leads to, or LinkNotValid."""
    found = db.session.scalar(select(SignUpClaim).where(SignUpClaim.token_digest == digest(token or "")))
    if found is None or found.used_at is not None or found.expires_at <= utcnow():
        raise LinkNotValid(_("This confirmation link does not work any more. Sign in, or ask your school."))
    return found


def confirm_claim(token: str) -> Student:
    """The address is proven: the account joins the roster student (pending, as any sign-up), once."""
    found = claim(token)
    used = db.session.execute(update(SignUpClaim).where(SignUpClaim.id == found.id, SignUpClaim.used_at.is_(None))
                              .values(used_at=utcnow()))
    student = found.student
    if used.rowcount != 1 or student.user_id is not None:
        db.session.rollback()
        raise LinkNotValid(_("This confirmation link does not work any more. Sign in, or ask your school."))
    student.user_id = found.user_id
    student.account_status = AccountStatus.PENDING.value
    consent.record(student, student.school)  # the notice its sign-up form accepted
    audit.record("student signed up", actor=found.user, school_id=student.school_id, target=student,
                 details={"via": "school link, email confirmed"})
    emails.sign_up_received(student.school, found.user)
    db.session.commit()
    return student
