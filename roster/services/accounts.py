"""Accounts: password hashing, signing in and out with server-side sessions, changing a password."""

import functools
import gzip
import hashlib
import secrets
from datetime import datetime, timedelta
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, or_, select
from sqlalchemy import update as sql_update

from roster.errors import RosterError, ValidationFailed
from roster.extensions import db
from roster.i18n import N_
from roster.models import Membership, PasswordReset, School, Status, Student, User, UserSession, utcnow
from roster.services import audit, emails
from roster.text import normalize_email, normalize_login


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    return PasswordHasher(
        time_cost=cfg["ARGON2_TIME_COST"], memory_cost=cfg["ARGON2_MEMORY_COST"], parallelism=cfg["ARGON2_PARALLELISM"]
    )


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    hasher = _hasher()
    if not password_hash:
        # Spend the same time as a real check, so the answer does not tell which accounts exist.
        hasher.hash(password)
        return False
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def find_user(login_or_email: str) -> User | None:
    key = normalize_login(login_or_email)
    if not key:
        return None
    return db.session.scalars(
        select(User).where(or_(func.lower(User.login) == key, User.email == key))
    ).first()


def authenticate(login_or_email: str, password: str) -> User | None:
    """Return the enabled user whose login or email and password match, else None."""
    user = find_user(login_or_email)
    if not verify_password(user.password_hash if user else None, password or ""):
        return None
    if not user.is_enabled:
        return None
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def refusal(user: User) -> str | None:
    """Why this account may not sign in although its password is right, or None. An account that is only a
    student's, of schools they no longer study at (left, graduated, transferred), is kept but signs in nowhere."""
    if user.is_platform_admin or db.session.scalar(
            select(Membership.id).where(Membership.user_id == user.id).limit(1)) is not None:
        return None
    records = db.session.execute(select(Student.status, School.name).join(School, School.id == Student.school_id)
                                 .where(Student.user_id == user.id)).all()
    if not records or any(status == Status.STUDYING.value for status, _name in records):
        return None
    return _("You no longer study at %(school)s, so you cannot sign in to it. Your account is kept: if this is a "
             "mistake, please ask the school.", school=records[0][1])


def record_failed_sign_in(login: str | None) -> None:
    """Audit a wrong password: the account it was for, when there is one, and the address (never what was
    typed: a mistyped login may be a password)."""
    user = find_user(login or "")
    audit.record("sign-in failed", actor=None, school_id=None, target=user)
    db.session.commit()


def record_sign_in_refused(login: str | None) -> None:
    """Audit a sign-in refused because this address made too many wrong attempts at the account."""
    user = find_user(login or "")
    audit.record("sign-in locked", actor=None, school_id=None, target=user)
    db.session.commit()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def sign_in(user: User, *, ip_address: str | None) -> str:
    """Open a new server-side session for the user and return its token (what the cookie will carry)."""
    token = secrets.token_urlsafe(32)
    db.session.add(UserSession(token_digest=_digest(token), user_id=user.id, ip_address=ip_address))
    user.last_login_at = utcnow()
    audit.record("signed in", actor=user, school_id=None, target=user)
    db.session.commit()
    user.session_token = token
    return token


def load_session(token: str) -> User | None:
    """Return the user of a live session, or None when it was ended or sat idle too long."""
    if not token:
        return None
    row = db.session.execute(
        select(UserSession, User).join(User, User.id == UserSession.user_id).where(
            UserSession.token_digest == _digest(token)
        )
    ).first()
    if row is None:
        return None
    user_session, user = row
    now = utcnow()
    if now - user_session.last_seen_at > current_app.config["SESSION_IDLE_TIMEOUT"]:
        db.session.delete(user_session)
        db.session.commit()
        return None
    # Touch at most once a minute: a write per request would be waste.
    if (now - user_session.last_seen_at).total_seconds() > 60:
        user_session.last_seen_at = now
        db.session.commit()
    user.session_token = token
    return user


def sign_out(token: str | None) -> None:
    """End the session on the server: a copy of the cookie stops working too."""
    if token:
        db.session.execute(delete(UserSession).where(UserSession.token_digest == _digest(token)))
        db.session.commit()


def address_holders(addresses) -> dict[str, set[int]]:
    """Which accounts use each address as their login or their email, in one query however many."""
    wanted = {normalize_login(a) for a in addresses if a}
    holders: dict[str, set[int]] = {}
    if not wanted:
        return holders
    for user_id, login, email in db.session.execute(select(User.id, func.lower(User.login), User.email).where(
            or_(func.lower(User.login).in_(wanted), User.email.in_(wanted)))):
        for key in {login, email} & wanted:
            holders.setdefault(key, set()).add(user_id)
    return holders


def find_by_address(address: str) -> User | None:
    """The account using this address as its login or email (the one of lowest id if several)."""
    ids = set().union(*address_holders([address]).values())
    return db.session.get(User, min(ids)) if ids else None


def address_taken(*addresses, except_user_id: int | None = None) -> bool:
    """Whether an account other than except_user_id uses any of these addresses as its login or email: the one
    rule for "this address is already an account's" (creating an account, credentials, change of email)."""
    return any(users - {except_user_id} for users in address_holders(addresses).values())


NOT_THEIRS = N_("This address belongs to an account Roster cannot change from here.")  # _(NOT_THEIRS) where shown


def changeable_accounts(user_ids, school_id: int) -> set[int]:
    """Of these accounts, the ones a school may change for its student (their login, email or password): the
    student's alone. Not one that is a platform admin's, holds a staff role in any school, or is a student's of
    another school: that account is someone else's too, and changing it from here would take it over.

    Every service that changes an account for a student (credentials, change email) asks this, and only this.
    """
    ids = {i for i in user_ids if i is not None}
    if not ids:
        return set()
    shared = set(db.session.scalars(select(User.id).where(User.id.in_(ids), User.is_platform_admin)))
    shared |= set(db.session.scalars(select(Membership.user_id).where(Membership.user_id.in_(ids))))
    shared |= set(db.session.scalars(select(Student.user_id).where(Student.user_id.in_(ids),
                                                                    Student.school_id != school_id)))
    return ids - shared


def required_address(value: str, *, field: str = "email", missing: str) -> str:
    """A required email address, normalised; else ValidationFailed on `field`, saying what is wrong."""
    try:
        address = normalize_email(value)
    except ValueError as exc:
        raise ValidationFailed({field: [str(exc)]}) from exc
    if not address:
        raise ValidationFailed({field: [missing]})
    return address


def create_user(
    email: str, *, password: str | None, login: str | None = None, last_name="", first_name="", middle_name="",
    phone="", is_platform_admin=False, must_change_password=False,
) -> User:
    """Add a user to the current transaction (the caller commits); the email and login must be free."""
    email = required_address(email, missing=_("Enter an email address."))
    wanted_login = normalize_login(login or email)
    if address_taken(email, wanted_login):
        raise ValidationFailed({"email": [_("An account with this email or login already exists.")]})
    user = User(
        email=email,
        login=wanted_login,
        password_hash=hash_password(password) if password else None,
        last_name=last_name,
        first_name=first_name,
        middle_name=middle_name,
        phone=phone,
        is_platform_admin=is_platform_admin,
        must_change_password=must_change_password,
    )
    db.session.add(user)
    return user


@functools.cache
def common_passwords() -> frozenset[str]:
    """Passwords too common to keep anyone out (roster/data/README.md says where the list comes from)."""
    with gzip.open(Path(__file__).parent.parent / "data" / "common-passwords.txt.gz", "rt", encoding="utf-8") as f:
        return frozenset(line.strip() for line in f if line.strip())


def password_problem(password: str) -> str | None:
    """Why a password may not be chosen (too short, too common), or None. Every place a password is set asks."""
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password or "") < minimum:
        return _("Use at least %(count)s characters.", count=minimum)
    if password.strip().lower() in common_passwords():
        return (_("This password is on the list of the most common passwords, the first ones an attacker tries. "
                "Choose another (a few unrelated words make a good one)."))
    return None


def set_password(user: User, password: str, *, must_change: bool = False) -> None:
    """Give the account a new password (the caller commits); every reset or set-password link still out for
    it stops working, whichever way the password changed."""
    user.password_hash = hash_password(password)
    user.must_change_password = must_change
    if user.id is not None:
        db.session.execute(sql_update(PasswordReset).where(PasswordReset.user_id == user.id,
                                                           PasswordReset.used_at.is_(None))
                           .values(used_at=utcnow()).execution_options(synchronize_session=False))


def check_new_password(new: str, confirm: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if problem := password_problem(new):
        errors["new_password"] = [problem]
    elif new != confirm:
        errors["confirm_password"] = [_("The two new passwords differ.")]
    return errors


def change_password(user_id: int, *, current: str, new: str, confirm: str, keep_session: str | None) -> None:
    """Set a new password after checking the current one; end every other session of the user."""
    user = db.session.get(User, user_id)
    errors = check_new_password(new, confirm)
    if not verify_password(user.password_hash, current or ""):
        errors = {"current_password": [_("The current password is not right.")], **errors}
    elif new and new == current and not errors:
        errors["new_password"] = [_("Choose a password different from the current one.")]
    if errors:
        raise ValidationFailed(errors)
    set_password(user, new)
    others = delete(UserSession).where(UserSession.user_id == user.id)
    if keep_session:
        others = others.where(UserSession.token_digest != _digest(keep_session))
    db.session.execute(others)
    audit.record("password changed", actor=user, school_id=None, target=user)
    emails.password_changed(user)
    db.session.commit()


class ResetLinkNotValid(RosterError):
    """The reset link is unknown, used or expired."""


def request_password_reset(email: str) -> None:
    """Mail a single-use reset link when an enabled account has this email; do the same work, visibly, when not.

    The caller shows the same answer either way, so the page tells nobody which addresses have accounts.
    """
    try:
        address = normalize_email(email)
    except ValueError:
        return
    user = db.session.scalar(select(User).where(User.email == address, User.is_enabled))
    if user is None:
        return
    token, expires = password_link(user, timedelta(minutes=current_app.config["PASSWORD_RESET_MINUTES"]))
    audit.record("password reset requested", actor=None, school_id=None, target=user)
    emails.password_reset(user, token, expires)
    db.session.commit()


def mail_new_link(message) -> None:
    """Resend of a reset or set-password mail whose link was erased (sent, or failed for good): the account
    gets a new link in a new mail; the old link stays dead. Nothing when the account is gone."""
    user = db.session.scalar(select(User).where(User.email == message.to_address, User.is_enabled))
    if user is None:
        return
    cfg = current_app.config
    if message.kind == "staff invitation" and message.school is not None:
        membership = db.session.scalar(select(Membership).where(Membership.user_id == user.id,
                                                                Membership.school_id == message.school_id))
        if membership is not None:
            token, expires = password_link(user, timedelta(days=cfg["INVITATION_DAYS"]))
            emails.staff_invitation(message.school, user, membership.role, token, expires)
            return
    token, expires = password_link(user, timedelta(minutes=cfg["PASSWORD_RESET_MINUTES"]))
    emails.password_reset(user, token, expires)


def password_link(user: User, valid_for: timedelta) -> tuple[str, datetime]:
    """A single-use, expiring link to set the account's password (reset, or a new staff member's first);
    only its digest is kept. The caller commits and mails the token."""
    token = secrets.token_urlsafe(32)
    expires = utcnow() + valid_for
    db.session.add(PasswordReset(user_id=user.id, token_digest=_digest(token), expires_at=expires))
    return token, expires


def check_reset_link(token: str) -> PasswordReset:
    reset = db.session.scalar(select(PasswordReset).where(PasswordReset.token_digest == _digest(token or "")))
    if reset is None or reset.used_at is not None or reset.expires_at <= utcnow():
        raise ResetLinkNotValid(_("This password reset link does not work any more. Ask for a new one."))
    return reset


def reset_password(token: str, *, new: str, confirm: str) -> User:
    """Set a new password through a reset link (once), and end every session of the account."""
    reset = check_reset_link(token)
    errors = check_new_password(new, confirm)
    if errors:
        raise ValidationFailed(errors)
    used = db.session.execute(
        sql_update(PasswordReset)
        .where(PasswordReset.id == reset.id, PasswordReset.used_at.is_(None))
        .values(used_at=utcnow()))
    if used.rowcount != 1:
        db.session.rollback()
        raise ResetLinkNotValid(_("This password reset link does not work any more. Ask for a new one."))
    user = reset.user
    set_password(user, new)
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    audit.record("password reset", actor=user, school_id=None, target=user)
    emails.password_changed(user)
    db.session.commit()
    return user
