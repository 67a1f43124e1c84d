"""One function per mail; each renders templates/email/<name>.txt and .html into the mail log.

Each mail is in its recipient's language (roster.i18n.for_recipient): their own choice, else their school's,
else the page's that caused it. Subjects are lazy: mail.queue makes them in that language.
"""

from flask import current_app
from flask_babel import lazy_gettext as _l

from roster import i18n
from roster.i18n import N_
from roster.models import Role, utcnow
from roster.services import mail
from roster.text import school_date


def public_url(path: str) -> str:
    """Where people reach this page of Roster: PUBLIC_URL + path (links in mails and on pages to share)."""
    return current_app.config["PUBLIC_URL"].rstrip("/") + path


def sign_up_url(school) -> str:
    """A school's sign-up link, as its pages show it and its staff share it."""
    return public_url(f"/join/{school.signup_token}")


def _when(value, school, language: str) -> str:
    """A date (and time) in a mail, as its language and the school's country write it."""
    return school_date(value, school.country if school is not None else None, language)


def password_changed(user) -> None:
    """Tell the account's owner that its password changed (so that a stranger's change does not go unseen)."""
    language = i18n.for_recipient(user)
    mail.queue(
        "password changed", user.email, _l("Your Roster password was changed"), "password_changed",
        language=language, user=user, when=_when(utcnow(), None, language), sign_in_url=public_url("/login"),
    )


def invitation(school, address: str, token: str, expires) -> None:
    language = i18n.for_recipient(school=school)  # the student has chosen nothing yet: the school's language
    mail.queue(
        "invitation", address, _l("You are invited to join %(school)s on Roster", school=school.name), "invitation",
        language=language, school_id=school.id, school=school, sign_up_url=public_url(f"/join/invite/{token}"),
        expires=_when(expires.date(), school, language),
    )


def sign_up_existing_account(school, user, address: str) -> None:
    """Someone signed up with an address that already has an account: its owner is told, the page says nothing."""
    mail.queue(
        "sign-up, existing account", address, _l("Signing up to %(school)s on Roster", school=school.name),
        "sign_up_existing", language=i18n.for_recipient(user, school, on_the_page=True), school_id=school.id,
        school=school,
        sign_in_url=public_url("/login"), forgot_url=public_url("/forgot-password"),
    )


def sign_up_confirm(school, user, token: str, expires) -> None:
    """A sign-up with a roster student's email: the link that proves the address and joins the two."""
    language = i18n.for_recipient(user, school, on_the_page=True)
    mail.queue(
        "sign-up confirmation", user.email, _l("Confirm your email to join %(school)s on Roster", school=school.name),
        "sign_up_confirm", language=language, school_id=school.id, school=school, user=user,
        hidden_link=("confirm_url", public_url(f"/join/confirm/{token}")), expires=_when(expires, school, language),
    )


def sign_up_received(school, user) -> None:
    """Confirm a sign-up with the login (never the password the student typed)."""
    mail.queue(
        "sign-up received", user.email, _l("Your Roster account for %(school)s", school=school.name),
        "sign_up_received", language=i18n.for_recipient(user, school, on_the_page=True), school_id=school.id,
        school=school,
        user=user, sign_in_url=public_url("/login"),
    )


def account_activated(school, student) -> None:
    mail.queue(
        "account activated", student.email, _l("%(school)s has activated your account", school=school.name),
        "account_activated", language=i18n.for_recipient(student.user, school), school_id=school.id,
        school=school, student=student, sign_in_url=public_url("/login"),
    )


def password_reset(user, token: str, expires) -> None:
    language = i18n.for_recipient(user, on_the_page=True)
    mail.queue(
        "password reset", user.email, _l("Reset your Roster password"), "password_reset", language=language,
        user=user, hidden_link=("reset_url", public_url(f"/reset-password/{token}")),
        expires=_when(expires, None, language),
    )


def email_changed(school, student, old_address: str | None) -> None:
    """Confirm the new address, and tell the old one (so that a change made behind someone's back is seen)."""
    context = {"school": school, "student": student, "old": old_address or "", "new": student.email,
               "sign_in_url": public_url("/login"), "language": i18n.for_recipient(student.user, school)}
    subject = _l("Your email on Roster was changed")
    mail.queue("email changed", student.email, subject, "email_changed", school_id=school.id, to_old=False, **context)
    if old_address:
        mail.queue("email changed", old_address, subject, "email_changed", school_id=school.id, to_old=True,
                   **context)


def credentials(school, student, *, login: str, password: str) -> None:
    """The login and a password: the password is the mail's secret, never written into the log. In the
    school's language unless the student chose one: a student given credentials has often never signed in."""
    mail.queue(
        "credentials", student.email, _l("Your Roster sign-in for %(school)s", school=school.name), "credentials",
        language=i18n.for_recipient(student.user, school), school_id=school.id, secret=password, school=school,
        student=student, login=login, sign_in_url=public_url("/login"),
    )


# One subject per role: never a role's name put into a sentence.
STAFF_INVITATION_SUBJECTS = {
    Role.ADMIN.value: N_("You are a school admin of %(school)s on Roster"),
    Role.TEACHER.value: N_("You are a teacher of %(school)s on Roster"),
}
STAFF_ROLE_SUBJECTS = {
    Role.ADMIN.value: N_("You are now a school admin of %(school)s on Roster"),
    Role.TEACHER.value: N_("You are now a teacher of %(school)s on Roster"),
}


def staff_invitation(school, user, role: str, token: str, expires) -> None:
    """A new staff member's account: a single-use link to set their password."""
    language = i18n.for_recipient(user, school)
    mail.queue(
        "staff invitation", user.email, _l(STAFF_INVITATION_SUBJECTS[role], school=school.name), "staff_invitation",
        language=language, school_id=school.id, school=school, user=user, role=role,
        hidden_link=("set_password_url", public_url(f"/reset-password/{token}")),
        expires=_when(expires.date(), school, language),
    )


def staff_role_given(school, user, role: str) -> None:
    mail.queue(
        "staff role given", user.email, _l(STAFF_ROLE_SUBJECTS[role], school=school.name), "staff_role_given",
        language=i18n.for_recipient(user, school), school_id=school.id, school=school, user=user, role=role,
        sign_in_url=public_url("/login"),
    )


def transfer_asked(school, transfer, student, admins) -> None:
    """The other school's admins: a transfer waits for them on the Transfers page."""
    sending = transfer.from_school_id == transfer.asked_by_school_id
    for admin in admins:
        language = i18n.for_recipient(admin, school)
        mail.queue(
            "transfer asked", admin.email, _l("A transfer waits for %(school)s on Roster", school=school.name),
            "transfer_asked", language=language, school_id=school.id, school=school, user=admin,
            name=student.full_name, other=(transfer.from_school if sending else transfer.to_school).name,
            sending=sending, note=transfer.note, transfers_url=public_url("/admin/transfers/"),
        )
