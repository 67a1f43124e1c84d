"""Who may do what where: the permission table of design.md, in one place.

Views, actions, lookups, exports and services all ask here; a button hidden in a template is never the check.
"""

from flask_babel import gettext as _
from sqlalchemy import exists, literal, select

from roster.errors import Forbidden
from roster.extensions import db
from roster.models import Membership, Role, School, Student, section_teacher, student_section

PLATFORM = "platform"  # the platform admin acts in every school with this role
ADMIN = Role.ADMIN.value
TEACHER = Role.TEACHER.value

STAFF = {PLATFORM, ADMIN}


class _System:
    """The actor of `flask roster` commands and of jobs whose user is gone: the operator, trusted everywhere.

    Audit events name no user for it (actor_id is empty).
    """

    id = None
    is_authenticated = True
    is_platform_admin = True


SYSTEM = _System()
EVERYONE = {PLATFORM, ADMIN, TEACHER}

TABLE = {
    "students.view": EVERYONE,
    "students.edit": STAFF,
    "students.invite": STAFF,
    "students.import": STAFF,
    "students.activate": STAFF,
    "students.credentials": EVERYONE,
    "students.change_email": STAFF,
    "students.export": STAFF,
    "students.see_private": STAFF,  # parents' jobs and drop-out details
    "staff.manage": STAFF,
    "logs.view": STAFF,
    "students.data": STAFF,  # a student's data on request, and who received it
    "year.close": STAFF,  # close the school year, undo it
    "students.merge": STAFF,  # the Duplicates page: dismiss a pair, merge two records, undo a merge
    "integrations.manage": STAFF,  # OneRoster API clients of the school (Integrations)
    "schools.manage": {PLATFORM},
}


def schools_for(user) -> list:
    """The schools the user may act in, as rows of (id, name, role) by name; role is the strongest held there."""
    if user is None or not user.is_authenticated:
        return []
    if user.is_platform_admin:
        return db.session.execute(
            select(School.id, School.name, literal(PLATFORM).label("role"))
            .where(School.is_active).order_by(School.name, School.id)
        ).all()
    rows = db.session.execute(
        select(School.id, School.name, Membership.role)
        .join(Membership, Membership.school_id == School.id)
        .where(Membership.user_id == user.id, School.is_active)
        .order_by(School.name, School.id)
    ).all()
    best: dict[int, object] = {}
    for row in rows:
        if row.id not in best or row.role == ADMIN:
            best[row.id] = row
    return list(best.values())


def role_in(user, school_id: int | None) -> str | None:
    if user is None or school_id is None or not user.is_authenticated:
        return None
    school = db.session.get(School, school_id)
    if school is None or not school.is_active:
        return None
    if user.is_platform_admin:
        return PLATFORM
    roles = set(
        db.session.scalars(
            select(Membership.role).where(Membership.user_id == user.id, Membership.school_id == school_id)
        )
    )
    if ADMIN in roles:
        return ADMIN
    if TEACHER in roles:
        return TEACHER
    return None


def allows(role: str | None, permission: str) -> bool:
    return role in TABLE[permission]


def require(user, school_id: int | None, permission: str) -> str:
    """Return the user's role in the school, or raise Forbidden when the table does not allow the permission."""
    role = role_in(user, school_id)
    if not allows(role, permission):
        raise Forbidden(_("You do not have permission to do that in this school."))
    return role


def visible_log(model, school_id: int | None, role: str | None) -> list:
    """SQL conditions for the rows of a log (audit events, mails) a role may read: the platform admin all of
    them, a school admin their school's, anyone else none."""
    if not allows(role, "logs.view"):
        return [model.id.is_(None)]
    if role == PLATFORM:
        return []
    return [model.school_id == school_id]


def visible_students(school_id: int, user, role: str) -> list:
    """SQL conditions for the students this user may see in the school: teachers only those of their sections."""
    conditions = [Student.school_id == school_id]
    if role == TEACHER:
        conditions.append(
            exists()
            .where(student_section.c.student_id == Student.id)
            .where(student_section.c.section_id == section_teacher.c.section_id)
            .where(section_teacher.c.user_id == user.id)
        )
    return conditions
