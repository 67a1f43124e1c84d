"""A user's preferences: their language; per school, their list's columns (the Columns choice)."""

from flask_babel import gettext as _
from sqlalchemy import select

from roster import i18n
from roster.errors import ValidationFailed
from roster.extensions import db
from roster.models import User
from roster.records import ListPreference


def visible_columns(user_id: int, school_id: int, view: str, *, available: list[str], default: list[str]) -> list[str]:
    """The columns this user chose for the view, in the view's order; the default when they never chose."""
    chosen = db.session.scalar(
        select(ListPreference.columns).where(
            ListPreference.user_id == user_id, ListPreference.school_id == school_id, ListPreference.view == view
        )
    )
    if chosen is None:
        return list(default)
    return [c for c in available if c in chosen]


def save_columns(user_id: int, school_id: int, view: str, columns: list[str], *, available: list[str]) -> list[str]:
    """Keep the user's choice (unknown names dropped; at least one column stays)."""
    columns = [c for c in available if c in set(columns)] or available[:1]
    pref = db.session.scalar(
        select(ListPreference).where(
            ListPreference.user_id == user_id, ListPreference.school_id == school_id, ListPreference.view == view
        )
    )
    if pref is None:
        pref = ListPreference(user_id=user_id, school_id=school_id, view=view)
        db.session.add(pref)
    pref.columns = columns
    db.session.commit()
    return columns


def set_language(user_id: int, language: str) -> None:
    """Keep the user's language: their pages and the mails Roster sends them."""
    if language not in i18n.LANGUAGES:
        raise ValidationFailed({"language": [_("Choose one of the languages shown.")]})
    db.session.get(User, user_id).language = language
    db.session.commit()
