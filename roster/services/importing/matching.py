"""Matching a file to the school: its headers to fields, its rows to students (file number, else email), and
what each matched row would change."""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import NamedTuple

from flask_babel import gettext as _
from sqlalchemy import func, select

from roster import fields
from roster.extensions import db
from roster.i18n import N_
from roster.models import LINKS, Guardian, School, Status, Student
from roster.services.importing.columns import (
    CHUNK,
    ERROR_COLUMN,
    EXPORTED_ONLY,
    HEADER_ALIASES,
    LABELS,
    chunks,
    column_label,
    header_key,
)
from roster.services.importing.files import FileNotAccepted
from roster.services.importing.results import RowResult
from roster.services.oneroster import spec
from roster.sql import id_in
from roster.text import fold, name_search_key

log = logging.getLogger(__name__)
NAME_FIELDS = {"last_name", "first_name", "middle_name"}

def match_headers(headers: list[str]) -> tuple[dict[int, str], list[str]]:
    """Map column positions to fields; return the map and the names of the columns nobody knows."""
    mapping: dict[int, str] = {}
    unknown: list[str] = []
    seen: dict[str, str] = {}
    for position, header in enumerate(headers):
        key = header_key(header)
        name = HEADER_ALIASES.get(key)
        if name is None:
            # Ours are expected back: a column an export carries (Roster keeps it itself), our report's Error.
            if header and key not in EXPORTED_ONLY and key != header_key(ERROR_COLUMN):
                unknown.append(header)
            continue
        if name in seen:
            raise FileNotAccepted(_("The columns “%(first)s” and “%(second)s” both hold %(field)s; keep one of "
                                    "them.", first=seen[name], second=header, field=_(LABELS[name])))
        seen[name] = header
        mapping[position] = name
    if "full_name" in seen and seen.keys() & NAME_FIELDS:
        # Names in columns of their own (as Roster's export writes them beside Full name) are the names.
        mapping = {position: name for position, name in mapping.items() if name != "full_name"}
        del seen["full_name"]
    missing = [name for name in fields.REQUIRED if name not in seen and "full_name" not in seen]
    if not mapping:
        raise FileNotAccepted(_("No column of this file is one we know: the first row should name the columns, "
                              "as in the template (Last name, First name, Email…)."))
    if missing:
        raise FileNotAccepted(MISSING[tuple(missing)]())
    return mapping, unknown


# The file lacks a required name column: one whole message for each case (never pieces joined).
MISSING = {
    ("last_name", "first_name"): lambda: _("The file has no Last name and no First name column; every student "
                                           "needs one."),
    ("last_name",): lambda: _("The file has no Last name column; every student needs one."),
    ("first_name",): lambda: _("The file has no First name column; every student needs one."),
}


# What comparing a matched student needs besides the file's own columns: its names (for the search key) and
# normalised phone (a phone written another way is the same phone).
COMPARE_COLUMNS = {"id", "last_name", "first_name", "middle_name", "phone_normalized"}
STUDENT_COLUMNS = ("id", "phone_normalized", *fields.IMPORTED_VALUES)
FLAGS = set(fields.of_kind(fields.FLAG, among=fields.IMPORTED_VALUES))


def match_rows(rows: list[RowResult], school_id: int) -> None:
    """Find each row's student: by external ID (OneRoster's sourcedId), else national identifier (IIN, SNILS),
    else personal file number, else email; one query per thousand keys.

    A row whose number and email name two different students, and two rows of one student, are errors."""
    by_number, by_email = _students_of(rows, school_id)
    by_iin = _students_by(school_id, "national_id", {}, {
        r.values["national_id"] for r in rows if r.values.get("national_id")})
    by_iin |= {("external", key): student for key, student in _students_by(school_id, "external_id", {}, {
        r.values["external_id"] for r in rows if r.values.get("external_id")}).items()}
    by_iin |= _by_roster_sourced_id(rows, school_id, by_iin)
    conflicts, repeated = _assign(rows, by_number, by_email, by_iin)
    _report_conflicts(conflicts, school_id)
    _report_repeats(repeated)
    _report_studying_elsewhere([r for r in rows if r.status != "error" and not r.student_id
                                and r.values.get("national_id")], school_id)
    for row in rows:
        if row.errors:
            row.status, row.student_id = "error", None


def _by_roster_sourced_id(rows: list[RowResult], school_id: int, found: dict) -> dict:
    """Rows whose sourcedId is the one Roster's OneRoster export made for a student of this school (a UUID of
    their id: they had no External ID), matched to that student: the school's own export imports back."""
    own = {}
    for row in rows:
        external = row.values.get("external_id")
        if external and ("external", external) not in found and (ids := spec.parse(external, "student")):
            own[ids[0]] = external
    if not own:
        return {}
    return {("external", own[student_id]): student
            for student_id, student in _students_by(school_id, "id", {}, set(own)).items()}


def _students_of(rows: list[RowResult], school_id: int):
    """The school's students the file's file numbers and emails name: (by number, by email)."""
    # The file's own string objects stand for the keys found: 100,000 matches hold no second copy of each.
    keys = {value: value for row in rows for value in (row.values.get("personal_file_number"),
                                                          row.values.get("email")) if value}
    by_number = _students_by(school_id, "personal_file_number", keys, {
        r.values["personal_file_number"] for r in rows if r.values.get("personal_file_number")})
    # An email needs looking up only where the file number did not already find a student with that email.
    by_email = {s.email: s for s in by_number.values() if s.email}
    by_email |= _students_by(school_id, "email", keys, {
        r.values["email"] for r in rows if r.values.get("email") and r.values["email"] not in by_email})
    return by_number, by_email


def _assign(rows: list[RowResult], by_number: dict, by_email: dict, by_iin: dict):
    """Give each row its student; return the rows whose keys name two students, and the rows of one student.

    Two rows of one file for one student: by the student they match, or by the keys of a new one. Each key's
    first row is remembered; a list is made only for a key seen twice (at 100,000 rows, memory counts).
    """
    first: dict[str, dict] = {"id": {}, "number": {}, "email": {}, "iin": {}, "external": {}}
    repeated: dict[tuple, list[RowResult]] = {}
    conflicts = []
    for row in rows:
        if row.status == "error":
            continue
        number, address, iin, external = (row.values.get("personal_file_number"), row.values.get("email"),
                                          row.values.get("national_id"), row.values.get("external_id"))
        numbered, mailed = by_number.get(number), by_email.get(address)
        identified = by_iin.get(("external", external)) or by_iin.get(iin)
        if identified and any(s and s.id != identified.id for s in (numbered, mailed)):
            conflicts.append((row, identified, next(s for s in (numbered, mailed) if s and s.id != identified.id),
                              "external_id" if by_iin.get(("external", external)) else "national_id"))
        elif identified:
            row.student_id = identified.id
        elif (numbered and mailed and numbered.id != mailed.id) or (
                not numbered and mailed and number and mailed.personal_file_number):
            conflicts.append((row, numbered, mailed, "email"))
        else:
            found = numbered or mailed
            row.student_id = found.id if found else None
        row_keys = [("id", row.student_id)] if row.student_id else [("number", number), ("email", address),
                                                                     ("iin", iin), ("external", external)]
        for kind, key in row_keys:
            if key:
                earlier = first[kind].setdefault(key, row)
                if earlier is not row:
                    repeated.setdefault((kind, key), [earlier]).append(row)
    return conflicts, repeated


def _report_conflicts(conflicts: list, school_id: int) -> None:
    names = _names_of({s.id for _, first, second, _k in conflicts for s in (first, second) if s}, school_id)
    for row, first, second, kind in conflicts:
        if kind == "external_id":
            row.fail(column_label("external_id"), _(
                "The external ID is %(first)s's, the file number or email %(second)s's: two different students.",
                first=names[first.id], second=names[second.id]))
        elif kind == "national_id":
            row.fail(column_label("national_id"), _(
                "The national identifier is %(first)s's, the file number or email %(second)s's: two different "
                "students.", first=names[first.id], second=names[second.id]))
        elif first:
            row.fail(column_label("email"), _("The personal file number is %(first)s's, the email %(second)s's: two "
                                        "different students.", first=names[first.id], second=names[second.id]))
        else:
            row.fail(column_label("email"), _("This email is %(name)s's, whose personal file number is %(number)s.",
                                        name=names[second.id], number=second.personal_file_number))


def _report_studying_elsewhere(rows: list[RowResult], school_id: int) -> None:
    """A new row whose national identifier is a child's studying at another school of the platform: a transfer
    to ask for, not a second record (the form says the same)."""
    wanted = sorted({r.values["national_id"] for r in rows})
    schools: dict[str, str] = {}
    for chunk in chunks(wanted):
        for number, name in db.session.execute(
                select(Student.national_id, School.name).join(School, School.id == Student.school_id)
                .where(id_in(Student.national_id, chunk), Student.school_id != school_id,
                       Student.status == Status.STUDYING.value, School.is_active)):
            schools.setdefault(number, name)
    for row in rows:
        if row.values["national_id"] in schools:
            row.fail(column_label("national_id"), _(
                "This child studies at %(school)s: ask for them on the Transfers page (find them by this number) "
                "instead of adding them again.", school=schools[row.values["national_id"]]))


def _report_repeats(repeated: dict) -> None:
    for same in repeated.values():
        numbers_text = ", ".join(str(r.number) for r in same)
        error = ("", _("Rows %(rows)s are the same student; keep one of them.", rows=numbers_text))
        for row in same:
            if error not in row.errors:  # the same two rows may share a number and an email
                row.fail(*error)


class _StudentKeys(NamedTuple):
    id: int
    personal_file_number: str | None
    email: str | None
    national_id: str | None = None
    external_id: str | None = None


def _students_by(school_id: int, key: str, strings: dict[str, str], wanted: set[str]) -> dict[str, _StudentKeys]:
    """The school's students whose `key` is one of `wanted`, by that key: a query per 1,000 keys, or one reading
    the whole school where it has fewer students than the file has keys (a new school's first import)."""
    found = {}
    columns = (Student.id, Student.personal_file_number, Student.email, Student.national_id, Student.external_id)
    if len(wanted) > CHUNK and _school_size(school_id) <= len(wanted):
        statements = [select(*columns).where(Student.school_id == school_id, getattr(Student, key).is_not(None))]
    else:
        statements = [select(*columns).where(Student.school_id == school_id, id_in(getattr(Student, key), chunk))
                      for chunk in chunks(sorted(wanted))]
    for statement in statements:
        for student_id, number, email, iin, external in db.session.execute(statement):
            student = _StudentKeys(student_id, strings.get(number, number), strings.get(email, email), iin,
                                   external)
            if (value := getattr(student, key)) in wanted:
                found[value] = student
    return found


def _school_size(school_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Student).where(Student.school_id == school_id))


def _names_of(ids: set[int], school_id: int) -> dict[int, str]:
    """Names of a few students, for messages."""
    names = {}
    for chunk in chunks(sorted(ids)):
        for student_id, last_name, first_name in db.session.execute(
                select(Student.id, Student.last_name, Student.first_name)
                .where(Student.school_id == school_id, id_in(Student.id, chunk))):
            names[student_id] = " ".join(n for n in (last_name, first_name) if n)
    return names


def compare(rows: list[RowResult], in_file: set[str], school_id: int) -> None:
    """Mark each matched row update or unchanged, with the labels of what it changes.

    A thousand students at a time: only the students that change are kept (to write), not the whole school.
    """
    columns = tuple(c for c in STUDENT_COLUMNS if c in COMPARE_COLUMNS or c in in_file)
    link_fields = [name for name in LINKS if name in in_file]
    with_guardians = any(f.startswith("guardian") for f in in_file)
    for chunk in chunks([row for row in rows if row.student_id]):
        ids = [row.student_id for row in chunk]
        students = {values[0]: dict(zip(columns, values, strict=True)) for values in db.session.execute(
            select(*(getattr(Student, c) for c in columns))
            .where(Student.school_id == school_id, id_in(Student.id, ids)))}
        current_links = {name: _link_names(LINKS[name][1], LINKS[name][0], ids) for name in link_fields}
        guardians = _guardians_of(ids) if with_guardians else {}
        for row in chunk:
            changes, updates = _field_changes(row, students[row.student_id])
            changes += [LABELS[name] for name in row.links
                        if _folded(row.links[name]) != _folded(current_links[name].get(row.student_id, []))]
            if row.guardians is not None and _merge_guardians(row, guardians.get(row.student_id, [])):
                changes.append(N_("Guardians"))  # kept in English in the report; its page translates it
            if changes:
                row.status, row.changes, row.updates = "update", changes, updates or None
            else:
                row.status, row.guardians = "unchanged", None


def _field_changes(row: RowResult, student: dict) -> tuple[list[str], dict]:
    """The labels of the student's own fields the row changes, and their new values (with the search key when
    the names change it)."""
    changes, updates = [], {}
    for name, value in row.values.items():
        if name == "phone_normalized":
            continue
        current = student[name]
        if name == "phone":  # a phone written another way is the same phone
            same = student["phone_normalized"] == row.values["phone_normalized"]
        elif name in FLAGS:
            same = bool(current) == value
        else:
            same = (current or None) == (value or None)
        if not same:
            changes.append(LABELS[name])
            updates[name] = value
    if "phone" in updates:
        updates["phone_normalized"] = row.values["phone_normalized"]
    if updates.keys() & {"last_name", "first_name", "middle_name"}:
        key = name_search_key(*(updates.get(n, student[n]) or "" for n in ("last_name", "first_name", "middle_name")))
        if key != name_search_key(student["last_name"], student["first_name"], student["middle_name"] or ""):
            updates["search_key"] = key
    return changes, updates


def _folded(names) -> set[str]:
    return {fold(n) for n in names}


def _merge_guardians(row: RowResult, current: list[dict]) -> bool:
    """Guardian n of the file fills in the student's guardian n (an empty cell keeps what is there); those the
    file does not name (a third, added by hand) stay. True, with the merged list on the row, when it changes."""
    merged = list(current)
    for position, guardian in sorted(row.guardians.items()):
        if position <= len(merged):
            old = merged[position - 1]
            merged[position - 1] = {f: guardian[f] or old[f] for f in fields.GUARDIAN_FIELDS}
        else:
            merged.append(guardian)
    changed = [_guardian_key(g) for g in merged] != [_guardian_key(g) for g in current]
    row.guardians = merged if changed else None
    return changed


def _guardian_key(guardian: dict) -> tuple:
    return tuple(guardian.get(f) or "" for f in fields.GUARDIAN_FIELDS)


def _link_names(link_table, model, ids: list[int]) -> dict[int, list[str]]:
    names: dict[int, list[str]] = defaultdict(list)
    other = link_table.c[f"{model.__tablename__}_id"]
    for chunk in chunks(ids):
        for student_id, name in db.session.execute(
                select(link_table.c.student_id, model.name).join(model, model.id == other)
                .where(id_in(link_table.c.student_id, chunk))):
            names[student_id].append(name)
    return names


def _guardians_of(ids: list[int]) -> dict[int, list[dict]]:
    found: dict[int, list[dict]] = defaultdict(list)
    columns = [Guardian.student_id] + [getattr(Guardian, f) for f in fields.GUARDIAN_FIELDS]
    for chunk in chunks(ids):
        for row in db.session.execute(select(*columns).where(id_in(Guardian.student_id, chunk))
                                      .order_by(Guardian.student_id, Guardian.id)).mappings():
            found[row["student_id"]].append({f: row[f] for f in fields.GUARDIAN_FIELDS})
    return found
