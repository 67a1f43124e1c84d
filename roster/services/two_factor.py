"""Two-factor sign-in for staff: a TOTP authenticator app (RFC 6238, pyotp) and ten single-use recovery codes.

Platform and school admins must have it where TWO_FACTOR_REQUIRED is on (the default outside debug); teachers
and students may turn it on. The secret is kept sealed under SECRET_KEY (roster.sealing), recovery codes as
digests only; a code is taken once (the last accepted time step is kept), and every step is audited.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime

import pyotp
import segno
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, select, update

from roster import permissions, sealing
from roster.errors import RosterError, ValidationFailed
from roster.extensions import db
from roster.models import Membership, RecoveryCode, User, utcnow
from roster.services import audit

RECOVERY_CODES = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no look-alikes: it is typed from paper


def required_for(user) -> bool:
    """Whether this account may not reach Roster without a second factor: a platform or school admin's, when
    the platform requires it."""
    if not current_app.config["TWO_FACTOR_REQUIRED"]:
        return False
    if getattr(user, "is_platform_admin", False):
        return True
    return db.session.scalar(select(Membership.id).where(
        Membership.user_id == user.id, Membership.role == permissions.ADMIN).limit(1)) is not None


def is_on(user) -> bool:
    return user.totp_enabled_at is not None


def pending_secret(user_id: int) -> str:
    """The secret of a set-up not yet confirmed, made the first time it is asked for."""
    user = db.session.get(User, user_id)
    if is_on(user):
        raise RosterError(_("Two-factor sign-in is already on."))
    if user.totp_secret is None:
        user.totp_secret = sealing.seal(pyotp.random_base32())
        db.session.commit()
    return sealing.unseal(user.totp_secret)


def qr_code(user, secret: str) -> str:
    """The set-up as a QR code, an inline SVG drawn here (nothing is sent elsewhere to draw it)."""
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=current_app.config["TOTP_ISSUER"])
    return segno.make(uri, error="m").svg_inline(scale=4, title=_("QR code for your authenticator app"))


def turn_on(user_id: int, code: str) -> list[str]:
    """Confirm the set-up with a code from the app; return the ten recovery codes (shown once, never again)."""
    user = db.session.get(User, user_id)
    if is_on(user) or user.totp_secret is None:
        raise RosterError(_("Open the set-up page again: this set-up is no longer waiting."))
    step = _matching_step(sealing.unseal(user.totp_secret), code, after=None)
    if step is None:
        raise ValidationFailed({"code": [_("This code is not the one your app shows now. Check the app and the "
                                         "time on your phone, and enter the six digits again.")]})
    user.totp_enabled_at, user.totp_last_step = utcnow(), step
    codes = _new_recovery_codes(user)
    audit.record("two-factor turned on", actor=user, school_id=None, target=user)
    db.session.commit()
    return codes


def check(user_id: int, code: str) -> bool:
    """A sign-in's second step: a code from the app (each once) or an unused recovery code (once)."""
    user = db.session.get(User, user_id)
    if user is None or not is_on(user):
        return False
    entered = "".join((code or "").split()).lower()
    passed, how = False, "app"
    if entered.isdigit():
        step = _matching_step(sealing.unseal(user.totp_secret), entered, after=user.totp_last_step)
        if step is not None:
            # Conditional: of two requests with one code at once, one passes.
            passed = db.session.execute(
                update(User).where(User.id == user.id, (User.totp_last_step.is_(None)) | (User.totp_last_step < step))
                .values(totp_last_step=step).execution_options(synchronize_session=False)).rowcount == 1
    elif entered:
        how = "recovery code"
        passed = db.session.execute(
            update(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None),
                                       RecoveryCode.code_digest == _digest(entered.replace("-", "")))
            .values(used_at=utcnow()).execution_options(synchronize_session=False)).rowcount == 1
    audit.record("two-factor passed" if passed else "two-factor failed", actor=user if passed else None,
                 school_id=None, target=user, details={"with": how})
    db.session.commit()
    return passed


def recovery_codes_left(user_id: int) -> int:
    return len(db.session.scalars(select(RecoveryCode.id).where(
        RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))).all())


def renew_recovery_codes(user_id: int) -> list[str]:
    user = db.session.get(User, user_id)
    if not is_on(user):
        raise RosterError(_("Turn two-factor sign-in on first."))
    codes = _new_recovery_codes(user)
    audit.record("two-factor recovery codes renewed", actor=user, school_id=None, target=user)
    db.session.commit()
    return codes


def turn_off(user_id: int, *, actor, reason: str) -> None:
    """Turn it off: by its owner (where it is not required), or reset by a platform admin on the command line
    for someone who lost their phone and their codes (they set it up again at their next sign-in)."""
    user = db.session.get(User, user_id)
    if actor is user and required_for(user):
        raise RosterError(_("Your role requires two-factor sign-in: it stays on. Set it up on a new phone by "
                          "turning it on again after a reset, or renew your recovery codes."))
    user.totp_secret = user.totp_enabled_at = user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    audit.record("two-factor reset" if actor is not user else "two-factor turned off", actor=actor,
                 school_id=None, target=user, details={"reason": reason})
    db.session.commit()


def _matching_step(secret: str, code: str, *, after: int | None) -> int | None:
    """The time step (30 s) whose code this is, allowing one step of clock drift either way; a step at or
    before the last accepted one does not count (a code works once)."""
    code = "".join((code or "").split())
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    now = totp.timecode(datetime.now(UTC))
    for step in (now - 1, now, now + 1):
        if (after is None or step > after) and secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = ["".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10)) for _ in range(RECOVERY_CODES)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_digest=_digest(c)) for c in codes)
    return [f"{c[:5]}-{c[5:]}" for c in codes]


def _digest(code: str) -> str:
    # 10 characters of a 31-letter alphabet (~50 bits), single-use and rate-limited: a plain digest will do.
    return hashlib.sha256(code.encode()).hexdigest()
