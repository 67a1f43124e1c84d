"""Schools and their staff."""

import re
import secrets

from sqlalchemy import select

from roster import permissions
from roster.errors import NotFound, ValidationFailed
from roster.extensions import db
from roster.models import Membership, School, Section, User
from roster.services import audit


def new_signup_token() -> str:
    return secrets.token_urlsafe(24)


def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60] or "school"


def create(name: str, *, actor, slug: str | None = None) -> School:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationFailed({"name": ["Enter the school's name."]})
    slug = slugify(slug or name)
    if db.session.scalar(select(School.id).where(School.slug == slug)) is not None:
        raise ValidationFailed({"slug": ["Another school already uses this short name."]})
    school = School(name=name, slug=slug, signup_token=new_signup_token())
    db.session.add(school)
    db.session.flush()
    audit.record("school created", actor=actor, school_id=school.id, target=school, details={"name": name})
    db.session.commit()
    return school


def add_staff(school_id: int, user_id: int, role: str, *, actor) -> Membership:
    membership = db.session.scalar(
        select(Membership).where(Membership.school_id == school_id, Membership.user_id == user_id,
                                 Membership.role == role)
    )
    if membership is None:
        membership = Membership(school_id=school_id, user_id=user_id, role=role)
        db.session.add(membership)
        db.session.flush()
        audit.record("staff added", actor=actor, school_id=school_id, target=membership.user,
                     details={"role": role})
        db.session.commit()
    return membership


def school_teachers(school_id: int) -> list[User]:
    """The people who teach in the school, by name."""
    return list(db.session.scalars(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.school_id == school_id, Membership.role == "teacher")
        .order_by(User.last_name, User.first_name, User.email)))


def save_section(school_id: int, section_id: int | None, name: str, teacher_ids: list[int], *, actor) -> Section:
    """Create or rename a section of the school and set its teachers (only the school's teachers)."""
    permissions.require(actor, school_id, "staff.manage")
    name = " ".join((name or "").split())[:120]
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = ["Enter the section's name."]
    clash = select(Section.id).where(Section.school_id == school_id, Section.name == name)
    if section_id is not None:
        clash = clash.where(Section.id != section_id)
    if name and db.session.scalar(clash.limit(1)) is not None:
        errors["name"] = ["This school already has a section with this name."]
    teachers = {t.id: t for t in school_teachers(school_id)}
    if set(teacher_ids) - set(teachers):
        errors["teachers"] = ["Choose among this school's teachers."]
    if errors:
        raise ValidationFailed(errors)
    if section_id is None:
        section = Section(school_id=school_id, name=name)
        db.session.add(section)
        action, details = "section created", {"name": name}
    else:
        section = db.session.scalar(select(Section).where(Section.id == section_id, Section.school_id == school_id))
        if section is None:
            raise NotFound("No such section in this school.")
        action, details = "section changed", {"name": name, "was": section.name}
        section.name = name
    section.teachers = [teachers[i] for i in sorted(set(teacher_ids))]
    db.session.flush()
    details["teachers"] = [t.email for t in section.teachers]
    audit.record(action, actor=actor, school_id=school_id, target=section, details=details)
    db.session.commit()
    return section


def delete_section(school_id: int, section_id: int, *, actor) -> None:
    """Delete a section; its students stay on the roster, without it."""
    permissions.require(actor, school_id, "staff.manage")
    section = db.session.scalar(select(Section).where(Section.id == section_id, Section.school_id == school_id))
    if section is None:
        raise NotFound("No such section in this school.")
    audit.record("section deleted", actor=actor, school_id=school_id, target=section, details={"name": section.name})
    db.session.delete(section)
    db.session.commit()
