"""Schools and their staff."""

import re
import secrets

from sqlalchemy import select

from roster.errors import ValidationFailed
from roster.extensions import db
from roster.models import Membership, School
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
