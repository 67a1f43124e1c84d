"""The selected school of the current request: chosen in the navbar, kept in the session, checked every time."""

from flask import g, session
from flask_login import current_user

from roster import i18n, permissions
from roster.extensions import db
from roster.models import School
from roster.services import years
from roster.text import DEFAULT_COUNTRY, school_date


def selected_school() -> tuple[School | None, str | None]:
    """The school every admin page works on, with the user's role there (None, None when they have none)."""
    if "roster_school" not in g:
        school_id = session.get("school_id")
        role = permissions.role_in(current_user, school_id) if school_id else None
        if role is None:
            choices = permissions.schools_for(current_user)
            school_id, role = (choices[0].id, choices[0].role) if choices else (None, None)
            session["school_id"] = school_id
        g.roster_school = (db.session.get(School, school_id) if school_id else None, role)
    return g.roster_school


def actor():
    """The signed-in user as services take them (`actor=`): the object itself, not Flask-Login's proxy."""
    return current_user._get_current_object()


def school_id() -> int | None:
    return selected_school()[0].id if selected_school()[0] else None


def role() -> str | None:
    return selected_school()[1]


def allowed(permission: str) -> bool:
    return permissions.allows(role(), permission)


def select(school_id: int) -> bool:
    """Make the school the selected one when the user may act in it."""
    if permissions.role_in(current_user, school_id) is None:
        return False
    session["school_id"] = school_id
    g.pop("roster_school", None)
    return True


def country() -> str:
    """The selected school's country: how its phones and dates are written on its pages."""
    school = selected_school()[0]
    return school.country if school is not None else DEFAULT_COUNTRY


def date_text(value) -> str:
    return school_date(value, country(), i18n.current())


def current_year():
    """The selected school's current year (the page header names it), or None before it has one."""
    if "roster_year" not in g:
        school = selected_school()[0]
        g.roster_year = years.current(school.id, create=False) if school is not None else None
    return g.roster_year
