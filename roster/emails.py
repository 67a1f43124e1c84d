"""One function per mail; each renders templates/email/<name>.txt and .html into the mail log."""

from flask import current_app

from roster.models import utcnow
from roster.services import mail


def public_url(path: str) -> str:
    return current_app.config["PUBLIC_URL"].rstrip("/") + path


def password_changed(user) -> None:
    """Tell the account's owner that its password changed (so that a stranger's change does not go unseen)."""
    mail.queue(
        "password changed", user.email, "Your Roster password was changed", "password_changed",
        user=user, when=utcnow().strftime("%Y-%m-%d %H:%M"), sign_in_url=public_url("/login"),
    )
