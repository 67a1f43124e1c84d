"""Consent on record: the school's personal-data notice, accepted at sign-up, shown on the student's page,
withdrawn on request (94-V art. 7–8, GDPR art. 7–8).

A student under CONSENT_AGE (by the birth date on record) needs their guardian's consent too: their page says
so to the school admin, who records it outside Roster (a signed form).
"""

from __future__ import annotations

from datetime import date

from flask import current_app
from flask_babel import gettext as _

from roster import permissions
from roster.errors import ValidationFailed, too_long
from roster.extensions import db
from roster.models import School, utcnow
from roster.services import audit, refusals_roll_back
from roster.services import students as student_service

NOTICE_MAX_CHARS = 20_000


def notice(school: School) -> str:
    """The notice a student of the school accepts: the school's own text, else Roster's default in the page's
    language."""
    return school.notice_text or _(
        "%(school)s keeps your name, contact details, date of birth, education details and your parents' details "
        "in Roster to run its list of students, and uses them only for that. They are kept while you are its "
        "student; the school erases them when you leave or when you or your parents ask. You may ask the school "
        "for a copy of everything it keeps about you, and withdraw this consent, at any time.", school=school.name)


def record(student, school: School) -> None:
    """The student accepted the school's current notice (the sign-up form's box, ticked)."""
    student.consent_version, student.consent_at, student.consent_withdrawn_at = school.notice_version, utcnow(), None


def required_acceptance(data: dict) -> dict[str, list[str]]:
    """The sign-up form's errors when its notice box is not ticked."""
    return {} if data.get("accept_notice") else {"accept_notice": [_("Accept the school's notice to sign up.")]}


def needs_guardian(student, today: date | None = None) -> bool:
    """Under CONSENT_AGE by the birth date on record: the guardian's consent is needed too."""
    if student.birth_date is None:
        return False
    today = today or date.today()
    born = student.birth_date
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return age < current_app.config["CONSENT_AGE"]


@refusals_roll_back
def withdraw(student_id: int, school_id: int, *, actor) -> None:
    """A consent withdrawn on request (the school admin records it); audited."""
    permissions.require(actor, school_id, "students.edit")
    student = student_service.get(student_id, school_id, actor=actor)
    if student.consent_at is None or student.consent_withdrawn_at is not None:
        raise ValidationFailed({"consent": [_("There is no consent on record to withdraw.")]})
    student.consent_withdrawn_at = utcnow()
    event = audit.record("consent withdrawn", actor=actor, school_id=school_id,
                         details={"version": student.consent_version})
    event.target_type, event.target_id = "student", student.id
    db.session.commit()


def set_notice(school: School, text: str | None, *, actor) -> None:
    """A school's own notice text (None or empty: Roster's default); a changed text is a new version."""
    text = (text or "").strip() or None
    if text is not None and len(text) > NOTICE_MAX_CHARS:
        raise ValidationFailed({"notice_text": [too_long(NOTICE_MAX_CHARS)]})
    if text != school.notice_text:
        school.notice_text = text
        school.notice_version = (school.notice_version or 1) + 1
        audit.record("school notice changed", actor=actor, school_id=school.id, target=school,
                     details={"version": school.notice_version})
