"""Schools and their staff."""

import re
import secrets
from datetime import timedelta

import phonenumbers
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, select

from roster import i18n, permissions
from roster.errors import Forbidden, NotFound, RosterError, ValidationFailed, too_long
from roster.extensions import db
from roster.models import Membership, Role, School, Section, User, section_teacher
from roster.services import accounts, audit, consent, emails, refusals_roll_back, years
from roster.text import DEFAULT_COUNTRY


def new_signup_token() -> str:
    return secrets.token_urlsafe(24)


def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60] or "school"


def require_platform_admin(actor) -> None:
    if not getattr(actor, "is_platform_admin", False):
        raise Forbidden(_("Only a platform admin can do that."))


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationFailed({"name": [_("Enter the school's name.")]})
    if len(name) > 200:
        raise ValidationFailed({"name": [too_long(200)]})
    return name


def _school(school_id: int) -> School:
    school = db.session.get(School, school_id)
    if school is None:
        raise NotFound(_("No such school."))
    return school


def _clean_country(country: str | None) -> str:
    country = (country or DEFAULT_COUNTRY).strip().upper()
    if country not in phonenumbers.SUPPORTED_REGIONS:
        raise ValidationFailed({"country": [_("Choose a country from the list.")]})
    return country


@refusals_roll_back
def _clean_language(language: str | None) -> str | None:
    if language in (None, ""):
        return None  # the platform's default
    if language not in i18n.LANGUAGES:
        raise ValidationFailed({"language": [_("Choose a language from the list.")]})
    return language


KEEP = object()  # rename(): leave the school's language as it is


def create(name: str, *, actor, slug: str | None = None, country: str | None = None,
           language: str | None = None) -> School:
    """Onboard a school (platform admins): it gets its own sign-up link and its first school year at once."""
    require_platform_admin(actor)
    name = _clean_name(name)
    country = _clean_country(country)
    language = _clean_language(language)
    slug = slugify(slug or name)
    if db.session.scalar(select(School.id).where(School.slug == slug)) is not None:
        raise ValidationFailed({"slug": [_("Another school already uses this short name.")]})
    school = School(name=name, slug=slug, signup_token=new_signup_token(), country=country, language=language)
    db.session.add(school)
    db.session.flush()
    years.current(school.id)
    audit.record("school created", actor=actor, school_id=school.id, target=school, details={"name": name})
    db.session.commit()
    return school


@refusals_roll_back
def rename(school_id: int, name: str, *, actor, country: str | None = None, language=KEEP,
           notice_text=KEEP) -> School:
    """Change a school's name and, when given, its country (the region its phones are read in from now on) and
    its language (of its mails to students who have chosen none; None: the platform's default)."""
    require_platform_admin(actor)
    school = _school(school_id)
    name = _clean_name(name)
    country = _clean_country(country) if country is not None else school.country
    if name != school.name:
        audit.record("school renamed", actor=actor, school_id=school.id, target=school,
                     details={"name": name, "was": school.name})
        school.name = name
    if country != school.country:
        audit.record("school country changed", actor=actor, school_id=school.id, target=school,
                     details={"country": country, "was": school.country})
        school.country = country
    if language is not KEEP:
        language = _clean_language(language)
        if language != school.language:
            audit.record("school language changed", actor=actor, school_id=school.id, target=school,
                         details={"language": language, "was": school.language})
            school.language = language
    if notice_text is not KEEP:
        consent.set_notice(school, notice_text, actor=actor)
    db.session.commit()
    return school


def set_active(school_id: int, active: bool, *, actor) -> School:
    """Deactivate a school (its pages and sign-up link stop working; its data stays), or bring it back."""
    require_platform_admin(actor)
    school = _school(school_id)
    if school.is_active != active:
        school.is_active = active
        audit.record("school reactivated" if active else "school deactivated", actor=actor, school_id=school.id,
                     target=school)
    db.session.commit()
    return school


def regenerate_link(school_id: int, *, actor) -> School:
    """Give the school a new sign-up link; the old one stops working at once."""
    require_platform_admin(actor)
    school = _school(school_id)
    school.signup_token = new_signup_token()
    audit.record("school link regenerated", actor=actor, school_id=school.id, target=school)
    db.session.commit()
    return school


def add_staff(school_id: int, user_id: int, role: str, *, actor) -> Membership:
    """Give an existing account a role in the school, without mail (demo data); invite_staff is the app's way."""
    permissions.require(actor, school_id, "staff.manage")
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


@refusals_roll_back
def invite_staff(school_id: int, email: str, role: str, *, actor, last_name: str = "",
                 first_name: str = "") -> tuple[Membership, bool]:
    """Give someone a role in the school by email; return (membership, whether an account was created).

    A new person gets an account and a single-use, expiring link to set their password; someone with an account
    is given the role and told. Either way, one mail.
    """
    permissions.require(actor, school_id, "staff.manage")
    if role not in {r.value for r in Role}:
        raise ValidationFailed({"role": [_("Choose school admin or teacher.")]})
    address = accounts.required_address(email, missing=_("Enter the person's email."))
    school = _school(school_id)
    user = db.session.scalar(select(User).where(User.email == address))
    created = user is None
    if created:
        user = accounts.create_user(address, password=None, last_name=" ".join(last_name.split())[:100],
                                    first_name=" ".join(first_name.split())[:100])
        db.session.flush()
    elif db.session.scalar(select(Membership.id).where(
            Membership.school_id == school_id, Membership.user_id == user.id, Membership.role == role)):
        message = (_("%(email)s already is a school admin of this school.", email=address) if role == Role.ADMIN.value
                   else _("%(email)s already is a teacher of this school.", email=address))
        raise ValidationFailed({"email": [message]})
    membership = Membership(school_id=school_id, user_id=user.id, role=role)
    db.session.add(membership)
    db.session.flush()
    audit.record("staff added", actor=actor, school_id=school_id, target=user,
                 details={"email": address, "role": role, "account": "created" if created else "existing"})
    if created:
        token, expires = accounts.password_link(user, timedelta(days=current_app.config["INVITATION_DAYS"]))
        emails.staff_invitation(school, user, role, token, expires)
    else:
        emails.staff_role_given(school, user, role)
    db.session.commit()
    return membership, created


@refusals_roll_back
def remove_staff(membership_id: int, school_id: int, *, actor) -> None:
    """Take a role away (the account stays); a teacher also leaves the school's sections."""
    permissions.require(actor, school_id, "staff.manage")
    membership = db.session.scalar(select(Membership).where(Membership.id == membership_id,
                                                            Membership.school_id == school_id))
    if membership is None:
        raise NotFound(_("No such staff member in this school."))
    if membership.user_id == getattr(actor, "id", None) and membership.role == Role.ADMIN.value:
        raise RosterError(_("You cannot remove your own admin role; ask another admin of the school."))
    if membership.role == Role.TEACHER.value:
        sections = select(Section.id).where(Section.school_id == school_id)
        db.session.execute(delete(section_teacher).where(section_teacher.c.user_id == membership.user_id,
                                                         section_teacher.c.section_id.in_(sections)))
    audit.record("staff removed", actor=actor, school_id=school_id, target=membership.user,
                 details={"email": membership.user.email, "role": membership.role})
    db.session.delete(membership)
    db.session.commit()


def school_teachers(school_id: int) -> list[User]:
    """The people who teach in the school, by name."""
    return list(db.session.scalars(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.school_id == school_id, Membership.role == "teacher")
        .order_by(User.last_name, User.first_name, User.email)))


@refusals_roll_back
def save_section(school_id: int, section_id: int | None, name: str, teacher_ids: list[int], *, actor) -> Section:
    """Create or rename a section of the school and set its teachers (only the school's teachers)."""
    permissions.require(actor, school_id, "staff.manage")
    name = " ".join((name or "").split())[:120]
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("Enter the section's name.")]
    clash = select(Section.id).where(*Section.of_school(school_id), Section.name == name)
    if section_id is not None:
        clash = clash.where(Section.id != section_id)
    if name and db.session.scalar(clash.limit(1)) is not None:
        errors["name"] = [_("This school already has a section with this name.")]
    teachers = {t.id: t for t in school_teachers(school_id)}
    if set(teacher_ids) - set(teachers):
        errors["teachers"] = [_("Choose among this school's teachers.")]
    if errors:
        raise ValidationFailed(errors)
    if section_id is None:
        section = Section(school_id=school_id, year_id=years.current_id(school_id), name=name)
        db.session.add(section)
        action, details = "section created", {"name": name}
    else:
        section = db.session.scalar(select(Section).where(Section.id == section_id, *Section.of_school(school_id)))
        if section is None:  # a past year's section is the archive's: read-only
            raise NotFound(_("No such section in this school."))
        action, details = "section changed", {"name": name, "was": section.name}
        section.name = name
    section.teachers = [teachers[i] for i in sorted(set(teacher_ids))]
    db.session.flush()
    details["teachers"] = [t.email for t in section.teachers]
    audit.record(action, actor=actor, school_id=school_id, target=section, details=details)
    db.session.commit()
    return section


def delete_section(school_id: int, section_id: int, *, actor) -> None:
    """Delete a section of the current year; its students stay on the roster, without it."""
    permissions.require(actor, school_id, "staff.manage")
    section = db.session.scalar(select(Section).where(Section.id == section_id, *Section.of_school(school_id)))
    if section is None:
        raise NotFound(_("No such section in this school."))
    audit.record("section deleted", actor=actor, school_id=school_id, target=section, details={"name": section.name})
    db.session.delete(section)
    db.session.commit()
