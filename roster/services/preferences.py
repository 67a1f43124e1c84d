"""Per-user, per-school list preferences (the Columns choice)."""

from sqlalchemy import select

from roster.extensions import db
from roster.models import ListPreference


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
