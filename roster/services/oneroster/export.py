"""Students → Export → OneRoster 1.2 (zip): the students of the list (its filters, or the rows chosen) as a
OneRoster bulk data set another system (Moodle, Microsoft 365, Google Classroom, ClassLink) reads.

The zip is written as it is sent: users.csv while the students are read, a chunk at a time, with their roles,
enrollments and demographics gathered in temporary files beside it; then the school, its year, the sections those
students are in (each a course and a class) and their teachers. Memory does not grow with the number of students.
"""

from __future__ import annotations

import csv
import io
import tempfile
import zipfile
from collections.abc import Iterator

from flask import current_app
from sqlalchemy import Select, select

from roster.extensions import db
from roster.models import LINKS, School, SchoolYear, Section, Status, Student, User, section_teacher, student_section
from roster.services import exporting
from roster.services.oneroster import spec
from roster.sql import id_in

CHUNK = exporting.CHUNK
# The Roster fields an admin may add as metadata.roster.* columns: every column of the list but those OneRoster's
# own columns already carry.
OWN_FIELDS = ("full_name", "last_name", "first_name", "middle_name", "email", "phone", "personal_file_number",
              "external_id", "username", "sections")
inert = exporting.inert


class _Sink(io.RawIOBase):
    """A write-only stream the zip is written into; what it holds is taken a block at a time (the zip cannot
    seek back, so zipfile writes each member's sizes after it)."""

    def __init__(self):
        self.blocks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.blocks.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data, self.blocks = b"".join(self.blocks), []
        return data


def metadata_choices(columns: list[str]) -> list[str]:
    """The fields (of those an admin may export) that may go out as metadata.roster.* columns."""
    return [c for c in columns if c not in OWN_FIELDS]


class Export:
    """One export's records: the school, its platform, its current year, and the UUIDs of each."""

    def __init__(self, school: School, *, metadata: list[str], demographics: bool):
        self.school, self.metadata, self.demographics = school, metadata, demographics
        self.school_id = spec.sourced_id("school", school.id)
        self.district_id = spec.sourced_id("platform", 0)
        self.year = db.session.scalar(select(SchoolYear).where(
            SchoolYear.school_id == school.id, SchoolYear.is_current.is_(True)))
        self.year_id = spec.sourced_id("year", self.year.id) if self.year else ""
        self.term_id = spec.sourced_id("term", self.year.id) if self.year else ""
        self.sections: set[int] = set()
        self.written: list[str] = []

    # The records of each file, as rows of spec.HEADERS' columns.
    def orgs(self) -> Iterator[list]:
        yield [self.district_id, "", "", current_app.config["PLATFORM_NAME"], "district", "", ""]
        yield [self.school_id, "", "", inert(self.school.name), "school", self.school.slug, self.district_id]

    def academic_sessions(self) -> Iterator[list]:
        if self.year:  # the year, and its one full-year term that classes are taught in
            dates = [spec.date_text(self.year.start), spec.date_text(self.year.end)]
            yield [self.year_id, "", "", inert(self.year.title), "schoolYear", *dates, "",
                   spec.school_year(self.year.end)]
            yield [self.term_id, "", "", inert(spec.term_title(self.year.title)), "term", *dates, self.year_id,
                   spec.school_year(self.year.end)]

    def _sections(self) -> list[Section]:
        return db.session.scalars(select(Section).where(id_in(Section.id, sorted(self.sections)))
                                  .order_by(Section.name)).all() if self.sections else []

    def courses(self) -> Iterator[list]:
        for section in self._sections():
            yield [spec.sourced_id("course", section.id), "", "", self.year_id, inert(section.name), "", "",
                   self.school_id, "", ""]

    def classes(self) -> Iterator[list]:
        for section in self._sections():
            yield [spec.sourced_id("section", section.id), "", "", inert(section.name), "",
                   spec.sourced_id("course", section.id), "", "homeroom", "", self.school_id, self.term_id, "", "",
                   ""]

    def student_rows(self, statement: Select, roles, enrollments, demographics) -> Iterator[list]:
        """users.csv's students, while their roles, enrollments and demographics go to their own files."""
        columns = (Student.id, Student.external_id, Student.first_name, Student.last_name, Student.middle_name,
                   Student.email, Student.phone, Student.phone_normalized, Student.personal_file_number,
                   Student.username, Student.status, Student.birth_date, Student.gender, User.login)
        needed = {c for c in self.metadata if c in Student.__table__.c and c not in ("id",)}
        statement = (statement.with_only_columns(*columns, *(Student.__table__.c[c] for c in sorted(needed)))
                     .outerjoin(User, User.id == Student.user_id))
        getters = [exporting.getter(c, self.school.country) for c in self.metadata]
        class_ids: dict[int, str] = {}  # each section's sourcedId, made once (not once per student)
        own_id, role_id = spec.sourced_ids("student"), spec.sourced_ids("student role")
        enrollment_id = spec.sourced_ids("enrollment")
        result = db.session.execute(statement.execution_options(yield_per=CHUNK))
        for chunk in result.partitions(CHUNK):
            ids = [row.id for row in chunk]
            links = {c: exporting.link_names(c, ids) for c in self.metadata if c in LINKS}
            sections: dict[int, list[int]] = {}
            for student, section in db.session.execute(
                    select(student_section.c.student_id, student_section.c.section_id)
                    .where(id_in(student_section.c.student_id, ids))):
                sections.setdefault(student, []).append(section)
            for row in chunk:
                user_id = spec.student_id(row.external_id, row.id, own_id)
                roles.writerow([role_id(row.id), "", "", user_id, "primary", "student", "", "", self.school_id, ""])
                for section in sections.get(row.id, ()):
                    self.sections.add(section)
                    if section not in class_ids:
                        class_ids[section] = spec.sourced_id("section", section)
                    enrollments.writerow([enrollment_id(section, row.id), "", "",
                                          class_ids[section], self.school_id, user_id, "student", "", "", ""])
                if demographics is not None:
                    demographics.writerow([user_id, "", "", spec.date_text(row.birth_date), spec.sex(row.gender),
                                           *[""] * 11])
                username, first, last, middle, number, email, *extra = exporting.inert_cells([
                    row.username or row.login or "", row.first_name, row.last_name, row.middle_name,
                    row.personal_file_number or "", row.email or "",
                    *[exporting.cell_text(get(row, links)) for get in getters]])
                yield [user_id, "", "", spec.boolean(row.status == Status.STUDYING), username, "", first, last,
                       middle, number, email, "", row.phone_normalized or inert(row.phone), "", "", "", "", "", "",
                       "", "", self.school_id, "", *extra]

    def teacher_rows(self, roles, enrollments) -> Iterator[list]:
        """The teachers of the exported students' sections (users.csv, their roles and their classes)."""
        if not self.sections:
            return
        taught: dict[int, list[int]] = {}
        for user_id, section in db.session.execute(
                select(section_teacher.c.user_id, section_teacher.c.section_id)
                .where(id_in(section_teacher.c.section_id, sorted(self.sections)))):
            taught.setdefault(user_id, []).append(section)
        blank = [""] * len(self.metadata)
        for user in db.session.scalars(select(User).where(id_in(User.id, sorted(taught))).order_by(User.id)):
            user_id = spec.sourced_id("user", user.id)
            roles.writerow([spec.sourced_id("teacher role", self.school.id, user.id), "", "", user_id,
                            "primary", "teacher", "", "", self.school_id, ""])
            for section in sorted(taught[user.id]):
                enrollments.writerow([spec.sourced_id("teacher enrollment", section, user.id), "", "",
                                      spec.sourced_id("section", section), self.school_id, user_id, "teacher",
                                      "true", "", ""])
            yield [user_id, "", "", spec.boolean(user.is_enabled), inert(user.login), "",
                   inert(user.first_name or user.email.split("@")[0]), inert(user.last_name or user.email),
                   inert(user.middle_name), "", inert(user.email), "", "", "", "", "", "", "", "", "", "",
                   self.school_id, "", *blank]

    def manifest(self) -> Iterator[list]:
        yield ["manifest.version", "1.0"]
        yield ["oneroster.version", spec.VERSION]
        for name in spec.MANIFEST_FILES:
            yield [f"file.{name}", "bulk" if f"{name}.csv" in self.written else "absent"]
        yield ["source.systemName", "Roster"]
        yield ["source.systemCode", self.school.slug]


def zip_stream(school: School, statement: Select, *, metadata: list[str], demographics: bool) -> Iterator[bytes]:
    """The OneRoster zip of the students `statement` finds (exporting.begin has checked and audited it)."""
    export = Export(school, metadata=metadata, demographics=demographics)
    sink = _Sink()
    archive = zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED)
    side = {name: tempfile.TemporaryFile("w+", encoding="utf-8", newline="")
            for name in ("roles.csv", "enrollments.csv", "demographics.csv")}
    try:
        writers = {name: csv.writer(f) for name, f in side.items()}
        for name in side:
            writers[name].writerow(spec.HEADERS[name])

        def member(name: str, header, rows) -> Iterator[bytes]:
            with archive.open(name, "w") as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as text:
                writer = csv.writer(text)
                writer.writerow(header)
                for n, row in enumerate(rows, 1):
                    writer.writerow(row)
                    if n % CHUNK == 0:
                        text.flush()
                        yield sink.take()
            export.written.append(name)
            yield sink.take()

        def copied(name: str) -> Iterator[bytes]:
            f = side[name]
            f.seek(0)
            with archive.open(name, "w") as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as text:
                while block := f.read(256 * 1024):
                    text.write(block)
                    text.flush()
                    yield sink.take()
            export.written.append(name)
            yield sink.take()

        users_header = (*spec.HEADERS["users.csv"], *(f"metadata.roster.{c}" for c in metadata))
        students = export.student_rows(statement, writers["roles.csv"], writers["enrollments.csv"],
                                       writers["demographics.csv"] if demographics else None)
        teachers = export.teacher_rows(writers["roles.csv"], writers["enrollments.csv"])

        def users():
            yield from students
            yield from teachers  # after the students: their sections are known then

        yield from member("users.csv", users_header, users())
        yield from copied("roles.csv")
        yield from copied("enrollments.csv")
        if demographics:
            yield from copied("demographics.csv")
        yield from member("orgs.csv", spec.HEADERS["orgs.csv"], export.orgs())
        yield from member("academicSessions.csv", spec.HEADERS["academicSessions.csv"], export.academic_sessions())
        yield from member("courses.csv", spec.HEADERS["courses.csv"], export.courses())
        yield from member("classes.csv", spec.HEADERS["classes.csv"], export.classes())
        yield from member("manifest.csv", spec.HEADERS["manifest.csv"], export.manifest())
        archive.close()
        yield sink.take()
    finally:
        for f in side.values():
            f.close()


