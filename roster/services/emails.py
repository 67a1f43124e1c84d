"""One function per mail; each renders templates/email/<name>.txt and .html into the mail log."""

from flask import current_app

from roster.models import utcnow
from roster.services import mail


def public_url(path: str) -> str:
    """Where people reach this page of Roster: PUBLIC_URL + path (links in mails and on pages to share)."""
    return current_app.config["PUBLIC_URL"].rstrip("/") + path


def sign_up_url(school) -> str:
    """A school's sign-up link, as its pages show it and its staff share it."""
    return public_url(f"/join/{school.signup_token}")


def password_changed(user) -> None:
    """Tell the account's owner that its password changed (so that a stranger's change does not go unseen)."""
    mail.queue(
        "password changed", user.email, "Your Roster password was changed", "password_changed",
        user=user, when=utcnow().strftime("%Y-%m-%d %H:%M"), sign_in_url=public_url("/login"),
    )


def invitation(school, address: str, token: str, expires) -> None:
    mail.queue(
        "invitation", address, f"You are invited to join {school.name} on Roster", "invitation",
        school_id=school.id, school=school, sign_up_url=public_url(f"/join/invite/{token}"),
        expires=expires.strftime("%Y-%m-%d"),
    )


def sign_up_existing_account(school, address: str) -> None:
    """Someone signed up with an address that already has an account: its owner is told, the page says nothing."""
    mail.queue(
        "sign-up, existing account", address, f"Signing up to {school.name} on Roster", "sign_up_existing",
        school_id=school.id, school=school, sign_in_url=public_url("/login"),
        forgot_url=public_url("/forgot-password"),
    )


def sign_up_confirm(school, user, token: str, expires) -> None:
    """A sign-up with a roster student's email: the link that proves the address and joins the two."""
    mail.queue(
        "sign-up confirmation", user.email, f"Confirm your email to join {school.name} on Roster", "sign_up_confirm",
        school_id=school.id, school=school, user=user,
        hidden_link=("confirm_url", public_url(f"/join/confirm/{token}")),
        expires=expires.strftime("%Y-%m-%d %H:%M"),
    )


def sign_up_received(school, user) -> None:
    """Confirm a sign-up with the login (never the password the student typed)."""
    mail.queue(
        "sign-up received", user.email, f"Your Roster account for {school.name}", "sign_up_received",
        school_id=school.id, school=school, user=user, sign_in_url=public_url("/login"),
    )


def account_activated(school, student) -> None:
    mail.queue(
        "account activated", student.email, f"{school.name} has activated your account", "account_activated",
        school_id=school.id, school=school, student=student, sign_in_url=public_url("/login"),
    )


def password_reset(user, token: str, expires) -> None:
    mail.queue(
        "password reset", user.email, "Reset your Roster password", "password_reset",
        user=user, hidden_link=("reset_url", public_url(f"/reset-password/{token}")),
        expires=expires.strftime("%Y-%m-%d %H:%M"),
    )


def email_changed(school, student, old_address: str | None) -> None:
    """Confirm the new address, and tell the old one (so that a change made behind someone's back is seen)."""
    context = {"school": school, "student": student, "old": old_address or "", "new": student.email,
               "sign_in_url": public_url("/login")}
    mail.queue("email changed", student.email, "Your email on Roster was changed", "email_changed",
               school_id=school.id, to_old=False, **context)
    if old_address:
        mail.queue("email changed", old_address, "Your email on Roster was changed", "email_changed",
                   school_id=school.id, to_old=True, **context)


def credentials(school, student, *, login: str, password: str) -> None:
    """The login and a password: the password is the mail's secret, never written into the log."""
    mail.queue(
        "credentials", student.email, f"Your Roster sign-in for {school.name}", "credentials",
        school_id=school.id, secret=password, school=school, student=student, login=login,
        sign_in_url=public_url("/login"),
    )


def staff_invitation(school, user, role: str, token: str, expires) -> None:
    """A new staff member's account: a single-use link to set their password."""
    mail.queue(
        "staff invitation", user.email, f"You are a {role} of {school.name} on Roster", "staff_invitation",
        school_id=school.id, school=school, user=user, role=role,
        hidden_link=("set_password_url", public_url(f"/reset-password/{token}")), expires=expires.strftime("%Y-%m-%d"),
    )


def staff_role_given(school, user, role: str) -> None:
    mail.queue(
        "staff role given", user.email, f"You are now a {role} of {school.name} on Roster", "staff_role_given",
        school_id=school.id, school=school, user=user, role=role, sign_in_url=public_url("/login"),
    )
