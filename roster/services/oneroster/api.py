"""The OneRoster 1.2 rostering service's records, as an API client may read them: the orgs (the platform as a
district, the client's schools), their current school years, the sections of those years (each a course and a
class), the users (students, and the teachers of the schools) and the enrollments; collections paged, filtered,
sorted and cut to their fields by roster.services.oneroster.query, as the REST binding describes them.

Users and enrollments are read in SQL, a page at a time (a school of 100,000 students); the rest are a few
records a school, made in Python. A client sees only its schools, and of them only what a school admin could
export: no student merged into another; a student who has left is there as "tobedeleted", so a consumer that
reads changes since its last visit learns of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import Select, func, literal, null, or_, select

from roster.extensions import db
from roster.models import (
    Membership,
    Role,
    School,
    SchoolYear,
    Section,
    Status,
    Student,
    User,
    section_teacher,
    student_section,
)
from roster.services.oneroster import spec
from roster.services.oneroster.query import ACTIVE, TO_BE_DELETED, Params, parts_page
from roster.sql import id_in

ON_ROLL = (Status.STUDYING, Status.LEFT, Status.GRADUATED, Status.TRANSFERRED)  # not MERGED: no record of its own


# ---- references and the records' shapes -----------------------------------------------------------------------

def ref(base_url: str, collection: str, sourced_id: str, kind: str) -> dict:
    """A GUIDRef: where the record is, its sourcedId and its type."""
    return {"href": f"{base_url}/{collection}/{sourced_id}", "sourcedId": sourced_id, "type": kind}


@dataclass
class Scope:
    """Whose data a request may read: the client's active schools, and the base URL its references point at
    (the version's: /ims/oneroster/rostering/v1p2 or /ims/oneroster/v1p1)."""

    school_ids: list[int]
    base_url: str


def _when(value) -> str:
    return spec.datetime_text(value if isinstance(value, datetime) else datetime(value.year, value.month,
                                                                                  value.day))


# ---- orgs, academic sessions, courses, classes: a few records a school ---------------------------------------

def _schools(scope: Scope) -> list[School]:
    return db.session.scalars(select(School).where(id_in(School.id, scope.school_ids)).order_by(School.id)).all()


def _years(scope: Scope) -> list[SchoolYear]:
    return db.session.scalars(select(SchoolYear).where(id_in(SchoolYear.school_id, scope.school_ids),
                                                       SchoolYear.is_current.is_(True))).all()


def _sections(scope: Scope) -> list[tuple[Section, SchoolYear]]:
    return db.session.execute(select(Section, SchoolYear).join(SchoolYear, SchoolYear.id == Section.year_id).where(
        id_in(Section.school_id, scope.school_ids), SchoolYear.is_current.is_(True))
        .order_by(Section.school_id, Section.name, Section.id)).all()


def orgs(scope: Scope, *, schools_only: bool = False) -> list[dict]:
    base, district = scope.base_url, spec.sourced_id("platform", 0)
    schools = _schools(scope)
    out = [] if schools_only else [{
        "sourcedId": district, "status": ACTIVE, "dateLastModified": _when(min(
            (s.created_at for s in schools), default=datetime(2000, 1, 1))),
        "name": current_app.config["PLATFORM_NAME"], "type": "district", "identifier": "",
        "children": [ref(base, "orgs", spec.sourced_id("school", s.id), "org") for s in schools]}]
    for school in schools:
        out.append({"sourcedId": spec.sourced_id("school", school.id), "status": ACTIVE,
                    "dateLastModified": _when(school.created_at), "name": school.name, "type": "school",
                    "identifier": school.slug, "parent": ref(base, "orgs", district, "org"), "children": []})
    return out


def academic_sessions(scope: Scope, *, school: int | None = None, kind: str | None = None) -> list[dict]:
    """Each school's current year (type schoolYear) and its one full-year term (type term, the year its parent),
    which classes are taught in: consumers look for a class's terms."""
    base, out = scope.base_url, []
    for y in _years(scope):
        if school is not None and y.school_id != school:
            continue
        year_id, term_id = spec.sourced_id("year", y.id), spec.sourced_id("term", y.id)
        common = {"status": ACTIVE, "dateLastModified": _when(y.start), "startDate": spec.date_text(y.start),
                  "endDate": spec.date_text(y.end), "schoolYear": spec.school_year(y.end),
                  "org": ref(base, "orgs", spec.sourced_id("school", y.school_id), "org")}
        out.append({"sourcedId": year_id, "title": y.title, "type": "schoolYear", **common,
                    "children": [ref(base, "academicSessions", term_id, "academicSession")]})
        out.append({"sourcedId": term_id, "title": spec.term_title(y.title), "type": "term", **common,
                    "parent": ref(base, "academicSessions", year_id, "academicSession"), "children": []})
    return [r for r in out if kind is None or r["type"] == kind]


def courses(scope: Scope, *, school: int | None = None) -> list[dict]:
    base = scope.base_url
    return [{"sourcedId": spec.sourced_id("course", s.id), "status": ACTIVE, "dateLastModified": _when(y.start),
             "title": s.name, "courseCode": "", "grades": [], "subjects": [],
             "schoolYear": ref(base, "academicSessions", spec.sourced_id("year", y.id), "academicSession"),
             "org": ref(base, "orgs", spec.sourced_id("school", s.school_id), "org")}
            for s, y in _sections(scope) if school is None or s.school_id == school]


def classes(scope: Scope, *, school: int | None = None, only: set[int] | None = None) -> list[dict]:
    """This year's sections as classes (of a school, or only those of `only`)."""
    base = scope.base_url
    return [{"sourcedId": spec.sourced_id("section", s.id), "status": ACTIVE, "dateLastModified": _when(y.start),
             "title": s.name, "classCode": "", "classType": "homeroom", "location": "", "grades": [],
             "subjects": [], "periods": [],
             "course": ref(base, "courses", spec.sourced_id("course", s.id), "course"),
             "school": ref(base, "orgs", spec.sourced_id("school", s.school_id), "org"),
             "terms": [ref(base, "academicSessions", spec.sourced_id("term", y.id), "academicSession")]}
            for s, y in _sections(scope)
            if (school is None or s.school_id == school) and (only is None or s.id in only)]


# ---- users and enrollments: read in SQL, a page at a time -----------------------------------------------------

def _student_rows(scope: Scope, *conditions) -> Select:
    """Students, with no join (a join per row is most of a page's cost): the login of an account is looked up for
    the page's rows alone (user_records)."""
    return (select(literal("student").label("kind"), Student.id.label("pk"), Student.school_id.label("school_id"),
                   Student.external_id.label("external_id"), Student.first_name.label("given"),
                   Student.last_name.label("family"), Student.middle_name.label("middle"),
                   Student.email.label("email"), Student.phone_normalized.label("phone"),
                   Student.personal_file_number.label("identifier"), Student.username.label("username"),
                   Student.user_id.label("account"), (Student.status == Status.STUDYING).label("active"),
                   Student.updated_at.label("modified"), Student.status.label("grp"))
            .where(id_in(Student.school_id, scope.school_ids), Student.status.in_(ON_ROLL), *conditions))


def _teacher_rows(scope: Scope, *conditions) -> Select:
    """Each teacher once (the first of the client's schools they teach in is their primary org)."""
    return (select(literal("teacher").label("kind"), User.id.label("pk"),
                   func.min(Membership.school_id).label("school_id"), null().label("external_id"),
                   User.first_name.label("given"), User.last_name.label("family"), User.middle_name.label("middle"),
                   User.email.label("email"), User.phone.label("phone"), null().label("identifier"),
                   User.login.label("username"), null().label("account"), User.is_enabled.label("active"),
                   User.created_at.label("modified"), literal("").label("grp"))
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.role == Role.TEACHER, id_in(Membership.school_id, scope.school_ids), *conditions)
            .group_by(User.id))


# A page of students in the order of the index on (school, status): no sort of the school (each id once).
STUDENT_ORDER = ("school_id", "grp", "pk")
USER_FIELDS = {"dateLastModified": "modified", "status": "active", "enabledUser": "active", "givenName": "given",
               "familyName": "family", "middleName": "middle", "email": "email", "identifier": "identifier",
               "username": "username", "phone": "phone"}


def _user_id(row) -> str:
    return spec.student_id(row.external_id, row.pk) if row.kind == "student" else spec.sourced_id("user", row.pk)


def user_records(scope: Scope, rows) -> list[dict]:
    """Users as the specification's JSON: a student's one role (student, at their school); a teacher's at each
    of the client's schools they teach in."""
    base = scope.base_url
    teacher_ids = [row.pk for row in rows if row.kind == "teacher"]
    schools_of: dict[int, list[int]] = {}
    if teacher_ids:
        for user_id, school_id in db.session.execute(
                select(Membership.user_id, Membership.school_id).where(
                    id_in(Membership.user_id, teacher_ids), Membership.role == Role.TEACHER,
                    id_in(Membership.school_id, scope.school_ids)).order_by(Membership.school_id)):
            schools_of.setdefault(user_id, []).append(school_id)
    accounts = [row.account for row in rows if row.kind == "student" and row.account and not row.username]
    logins = dict(db.session.execute(select(User.id, User.login).where(id_in(User.id, accounts))).all()
                  ) if accounts else {}
    out = []
    for row in rows:
        schools = [row.school_id] if row.kind == "student" else schools_of.get(row.pk, [row.school_id])
        primary = ref(base, "orgs", spec.sourced_id("school", row.school_id), "org")
        out.append({
            "sourcedId": _user_id(row), "status": ACTIVE if row.kind == "teacher" or row.active else TO_BE_DELETED,
            "dateLastModified": _when(row.modified), "enabledUser": bool(row.active),
            "username": row.username or logins.get(row.account) or "", "userIds": [], "givenName": row.given or "",
            "familyName": row.family or row.email or "", "middleName": row.middle or "",
            "roles": [{"roleType": "primary" if n == 0 else "secondary", "role": row.kind,
                       "org": ref(base, "orgs", spec.sourced_id("school", school), "org")}
                      for n, school in enumerate(schools)],
            "primaryOrg": primary, "identifier": row.identifier or "", "email": row.email or "", "sms": "",
            "phone": row.phone or "", "agents": [], "grades": []})
    return out


def users(scope: Scope, p: Params, *, kinds=("student", "teacher"), students_where=(), teachers_where=()):
    parts = ([(_student_rows(scope, *students_where), STUDENT_ORDER)] if "student" in kinds else []) + (
        [(_teacher_rows(scope, *teachers_where), ("pk",))] if "teacher" in kinds else [])
    total, rows = parts_page(parts, USER_FIELDS, p, ("kind", "pk"))
    return total, user_records(scope, rows)


def user(scope: Scope, sourced_id: str, *, kinds=("student", "teacher")) -> dict | None:
    """One user by sourcedId: a student's External ID or Roster's UUID for them, or a teacher's UUID."""
    found = []
    if "student" in kinds:
        ids = spec.parse(sourced_id, "student")
        found = db.session.execute(_student_rows(scope, or_(
            Student.external_id == sourced_id, Student.id == (ids[0] if ids else -1)))
            .order_by((Student.external_id == sourced_id).desc()).limit(1)).all()
    if not found and "teacher" in kinds and (ids := spec.parse(sourced_id, "user")):
        found = db.session.execute(_teacher_rows(scope, User.id == ids[0])).all()
    records = user_records(scope, found)
    return records[0] if records and records[0]["sourcedId"] == sourced_id else None


ENROLLMENT_FIELDS = {"dateLastModified": "modified", "status": "active", "role": "role"}


def _year_ids(scope: Scope) -> list[int]:
    """The current years' ids as values: the planner then walks a year's sections in order (no sort)."""
    return [y.id for y in _years(scope)] or [-1]


def _student_enrollments(scope: Scope, *conditions, counting: bool = False) -> Select:
    """Students' links to this year's sections. counting (no conditions): the links alone, without reading each
    student (a merged record has no links, and the section names the school)."""
    links = (select(student_section.c.section_id)
             .join(Section, Section.id == student_section.c.section_id)
             .where(id_in(Section.school_id, scope.school_ids), Section.year_id.in_(_year_ids(scope))))
    if counting:
        return links
    return (links.with_only_columns(
        literal("student").label("role"), Section.id.label("section"), student_section.c.student_id.label("pk"),
        Student.external_id.label("external_id"), Student.school_id.label("school_id"),
        (Student.status == Status.STUDYING).label("active"), Student.updated_at.label("modified"))
            .join(Student, Student.id == student_section.c.student_id)
            .where(Student.status.in_(ON_ROLL), *conditions))


def _teacher_enrollments(scope: Scope, *conditions) -> Select:
    year = _year_ids(scope)
    return (select(literal("teacher").label("role"), Section.id.label("section"),
                   section_teacher.c.user_id.label("pk"), null().label("external_id"),
                   Section.school_id.label("school_id"), User.is_enabled.label("active"),
                   User.created_at.label("modified"))
            .join(User, User.id == section_teacher.c.user_id)
            .join(Section, Section.id == section_teacher.c.section_id)
            .where(id_in(Section.school_id, scope.school_ids), Section.year_id.in_(year), *conditions))


def enrollment_records(scope: Scope, rows) -> list[dict]:
    base = scope.base_url
    out = []
    for row in rows:
        student = row.role == "student"
        user_id = spec.student_id(row.external_id, row.pk) if student else spec.sourced_id("user", row.pk)
        out.append({
            "sourcedId": spec.sourced_id("enrollment" if student else "teacher enrollment", row.section, row.pk),
            "status": ACTIVE if row.active or not student else TO_BE_DELETED,
            "dateLastModified": _when(row.modified), "role": row.role, "primary": not student,
            "user": ref(base, "users", user_id, "user"),
            "class": ref(base, "classes", spec.sourced_id("section", row.section), "class"),
            "school": ref(base, "orgs", spec.sourced_id("school", row.school_id), "org")})
    return out


def enrollments(scope: Scope, p: Params, *, students_where=(), teachers_where=()):
    parts = [(_student_enrollments(scope, *students_where), ("section", "pk"),
              None if p.conditions or students_where else _student_enrollments(scope, counting=True)),
             (_teacher_enrollments(scope, *teachers_where), ("section", "pk"), None)]
    total, rows = parts_page(parts, ENROLLMENT_FIELDS, p, ("role", "section", "pk"))
    return total, enrollment_records(scope, rows)


def enrollment(scope: Scope, sourced_id: str) -> dict | None:
    if ids := spec.parse(sourced_id, "enrollment"):
        rows = db.session.execute(_student_enrollments(
            scope, student_section.c.section_id == ids[0], Student.id == ids[1])).all()
    elif ids := spec.parse(sourced_id, "teacher enrollment"):
        rows = db.session.execute(_teacher_enrollments(
            scope, section_teacher.c.section_id == ids[0], User.id == ids[1])).all()
    else:
        return None
    return enrollment_records(scope, rows)[0] if rows else None


def section_of(scope: Scope, sourced_id: str) -> int | None:
    """The id of a section of the client's schools (this year's) by its class sourcedId."""
    ids = spec.parse(sourced_id, "section")
    return ids[0] if ids and any(s.id == ids[0] for s, _y in _sections(scope)) else None


def school_of(scope: Scope, sourced_id: str) -> int | None:
    ids = spec.parse(sourced_id, "school")
    return ids[0] if ids and ids[0] in scope.school_ids else None


def year_of(scope: Scope, sourced_id: str, kind: str = "term") -> int | None:
    """The id of a current year of the client's schools by its term's (or year's) sourcedId."""
    ids = spec.parse(sourced_id, kind)
    return ids[0] if ids and any(y.id == ids[0] for y in _years(scope)) else None


def sections_of_year(scope: Scope, year: int) -> set[int]:
    return {s.id for s, y in _sections(scope) if y.id == year}


def sections_of_user(scope: Scope, sourced_id: str, kind: str) -> set[int] | None:
    """The sections a student (by sourcedId) is in, or a teacher teaches, of this year; None: no such person."""
    found = user(scope, sourced_id, kinds=(kind,))
    if found is None:
        return None
    current = {s.id for s, _y in _sections(scope)}
    if kind == "student":
        ids = spec.parse(sourced_id, "student")
        student = db.session.scalar(select(Student.id).where(id_in(Student.school_id, scope.school_ids), or_(
            Student.external_id == sourced_id, Student.id == (ids[0] if ids else -1))).limit(1))
        linked = db.session.scalars(select(student_section.c.section_id).where(
            student_section.c.student_id == student))
    else:
        linked = db.session.scalars(select(section_teacher.c.section_id).where(
            section_teacher.c.user_id == spec.parse(sourced_id, "user")[0]))
    return set(linked) & current


def in_section(section: int):
    """SQL: the student is in the section (this year's link)."""
    return Student.id.in_(select(student_section.c.student_id).where(student_section.c.section_id == section))


def teaches(section: int):
    return User.id.in_(select(section_teacher.c.user_id).where(section_teacher.c.section_id == section))


def as_v1p1(key: str, records):
    """A record of this binding in OneRoster 1.1's JSON (its v1p1 endpoints): a user has one role and a list of
    orgs, and 1.1 writes booleans as the strings "true" and "false"."""
    if isinstance(records, dict):
        return as_v1p1(key, [records])[0]
    out = []
    for record in records:
        if "roles" in record:  # a user
            record = {k: v for k, v in record.items() if k not in ("roles", "primaryOrg")} | {
                "role": record["roles"][0]["role"], "orgs": [r["org"] for r in record["roles"]],
                "enabledUser": "true" if record["enabledUser"] else "false"}
        elif key.startswith("enrollment"):
            record = record | {"primary": "true" if record["primary"] else "false"}
        elif "org" in record and key.startswith("academicSession"):  # 1.1 sessions name no org
            record = {k: v for k, v in record.items() if k != "org"}
        out.append(record)
    return out
