"""School years: each school has one current year, and its sections belong to a year.

A school's first year is made when it is first needed (its first section, its page header), from today's date: the
year that runs from 1 September to 31 August and holds today (so 6 December 2026 is in 2026/2027, 6 June 2026 in
2025/2026). Closing a year (roster.services.year_close) makes the next one current; the past years' sections and
their students' links stay, read-only, as the archive.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select

from roster import permissions
from roster.errors import NotFound
from roster.extensions import db
from roster.models import SchoolYear, Section, Student, past_section_member, student_section

FIRST_MONTH = 9  # a school year starts on 1 September


def span_of(day: date) -> tuple[str, date, date]:
    """The school year that holds a day: its title ("2026/2027"), first and last day."""
    first = day.year if day.month >= FIRST_MONTH else day.year - 1
    return f"{first}/{first + 1}", date(first, FIRST_MONTH, 1), date(first + 1, FIRST_MONTH, 1) - timedelta(days=1)


def next_span(year: SchoolYear) -> tuple[str, date, date]:
    """The year after this one: the school year a year after this one starts."""
    return span_of(date(year.start.year + 1, year.start.month, min(year.start.day, 28)))


def current(school_id: int, *, create: bool = True) -> SchoolYear | None:
    """The school's current year; made from today's date when it has none (in the caller's transaction)."""
    year = db.session.scalar(select(SchoolYear).where(SchoolYear.school_id == school_id,
                                                      SchoolYear.is_current.is_(True)))
    if year is None and create:
        title, start, end = span_of(date.today())
        year = db.session.scalar(select(SchoolYear).where(SchoolYear.school_id == school_id,
                                                          SchoolYear.title == title))
        if year is None:
            year = SchoolYear(school_id=school_id, title=title, start=start, end=end)
            db.session.add(year)
        year.is_current = True
        db.session.flush()
    return year


def current_id(school_id: int) -> int:
    return current(school_id).id


def of_school(school_id: int) -> list[SchoolYear]:
    """The school's years, the latest first (the year switcher)."""
    return list(db.session.scalars(select(SchoolYear).where(SchoolYear.school_id == school_id)
                                   .order_by(SchoolYear.start.desc())))


def get(year_id: int, school_id: int, *, actor) -> SchoolYear:
    permissions.require(actor, school_id, "students.view")
    year = db.session.scalar(select(SchoolYear).where(SchoolYear.id == year_id, SchoolYear.school_id == school_id))
    if year is None:
        raise NotFound(_("No such school year in this school."))
    return year


def sections(year_id: int, school_id: int, *, actor, role) -> list[tuple[Section, int]]:
    """A year's sections with how many students they had (a teacher: only the sections they taught)."""
    permissions.require(actor, school_id, "students.view")
    year = db.session.get(SchoolYear, year_id)
    links = student_section if year is not None and year.is_current else past_section_member
    counts = select(links.c.section_id, func.count().label("n")).group_by(links.c.section_id).subquery()
    query = (select(Section, func.coalesce(counts.c.n, 0)).outerjoin(counts, counts.c.section_id == Section.id)
             .where(Section.school_id == school_id, Section.year_id == year_id).order_by(Section.name))
    if role == permissions.TEACHER:
        query = query.where(Section.teachers.any(id=actor.id))
    return [(section, count) for section, count in db.session.execute(query)]


def section_students(section_id: int, school_id: int, *, actor, role) -> tuple[Section, list[Student]]:
    """A section of any year and its students, as they are now (their status beside them): the archive's list."""
    permissions.require(actor, school_id, "students.view")
    query = select(Section).where(Section.id == section_id, Section.school_id == school_id)
    if role == permissions.TEACHER:
        query = query.where(Section.teachers.any(id=actor.id))
    section = db.session.scalar(query)
    if section is None:
        raise NotFound(_("No such section in this school."))
    links = student_section if section.year.is_current else past_section_member
    students = list(db.session.scalars(
        select(Student).join(links, links.c.student_id == Student.id)
        .where(links.c.section_id == section.id, Student.school_id == school_id)
        .order_by(Student.search_key, Student.id)))
    return section, students


def teaches(user_id: int, year_id: int) -> bool:
    """Whether the user teaches a section of that year."""
    return db.session.scalar(select(Section.id).where(Section.year_id == year_id, Section.teachers.any(id=user_id))
                             .limit(1)) is not None
