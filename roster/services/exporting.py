"""Exporting the Students list: exactly the rows and columns on screen, streamed, safe in spreadsheets."""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime

from sqlalchemy import Select, func, select

from roster import fields, permissions
from roster.errors import ValidationFailed
from roster.extensions import db
from roster.models import LINKS, Student
from roster.services import audit, listing
from roster.sql import id_in, names_joined
from roster.text import DEFAULT_COUNTRY, format_phone

CHUNK = 1000
# A cell a spreadsheet would run as a formula (or that hides one behind a tab or carriage return).
DANGEROUS_STARTS = ("=", "+", "-", "@", "\t", "\r")
_UNIT = "\x1f"  # joins a row's cells to look for DANGEROUS_STARTS at once (a cell holding it is merely checked)
_FORMULA_START = re.compile(f"(?:^|{_UNIT})[{re.escape(''.join(DANGEROUS_STARTS))}]")


def inert(text: str) -> str:
    """Make a CSV cell plain text for spreadsheet programs: a leading apostrophe before a formula character."""
    return "'" + text if text.startswith(DANGEROUS_STARTS) else text


def inert_cells(cells: list[str]) -> list[str]:
    """inert() of each cell, after one search of the whole row: most rows hold no formula at all."""
    return [inert(c) for c in cells] if _FORMULA_START.search(_UNIT.join(cells)) else cells


def cell_text(value) -> str:
    if type(value) is str:  # most cells: the cheap answer first
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "; ".join(value)
    return str(value)


NAME_COLUMNS = ("last_name", "first_name", "middle_name")


def file_columns(columns: list[str]) -> list[str]:
    """The columns a file carries: the visible ones, and beside Full name the three names it is made of.

    A full name cannot be split back reliably ("De la Cruz Ana" has a three-word last name), so the file holds
    each name as well: what Export writes, Import reads back unchanged.
    """
    if "full_name" not in columns:
        return list(columns)
    out = []
    for column in columns:
        if column in NAME_COLUMNS:
            continue
        out.append(column)
        if column == "full_name":
            out += NAME_COLUMNS
    return out


def getter(column: str, region: str):
    """How to read one column from a row and its chunk's link names; chosen once per export, not per cell."""
    if column == "phone":  # as the list shows it: as the school's country writes it
        return lambda row, links: format_phone(row.phone_normalized, region) or row.phone
    if column == "full_name":
        return lambda row, links: " ".join(filter(None, (row.last_name, row.first_name, row.middle_name)))
    if column in LINKS:
        return lambda row, links: links[column].get(row.id, [])
    if fields.STUDENT[column].choices:  # as English writes them: a file is the same in every language
        return lambda row, links: fields.neutral_choice(getattr(row, column))
    return lambda row, links: getattr(row, column)


def link_names(column: str, ids: list[int], known: dict[int, str] | None = None) -> dict[int, list[str]]:
    """Each student's programs, tags or sections by name, in name order: the links alone are read per chunk, the
    names once per export (`known`, kept by the caller) — a join and a sort per chunk cost more than the rows."""
    model, table = LINKS[column]
    known = {} if known is None else known
    pairs = db.session.execute(select(table.c.student_id, table.c[f"{model.__tablename__}_id"])
                               .where(id_in(table.c.student_id, ids))).all()
    if missing := {item for _, item in pairs if item not in known}:
        known.update(db.session.execute(select(model.id, model.name).where(id_in(model.id, list(missing)))).all())
    names: dict[int, list[str]] = defaultdict(list)
    for student_id, item in pairs:
        names[student_id].append(known[item])
    for listed in names.values():
        if len(listed) > 1:
            listed.sort()
    return names


def begin(school_id: int, *, actor, filters: list[tuple[str, str]], columns: list[str], fmt: str,
          sort: str | None = None, descending: bool = False, ids: list[int] | None = None,
          details: dict | None = None) -> Select:
    """Check the permission, find the students as the list does (the same plain filters and sort, or the rows
    chosen) and write the export's audit event with its row count, before any row goes out.

    A filter that names nothing exports nothing and says why (ValidationFailed), as the list shows no one.
    """
    permissions.require(actor, school_id, "students.export")
    found = listing.find(school_id, filters, actor=actor)
    if found.messages:
        raise ValidationFailed({"filters": found.messages})
    statement = listing.statement(found, sort, descending, ids=ids)
    count = db.session.scalar(select(func.count()).select_from(
        statement.with_only_columns(Student.id).order_by(None).subquery()))
    audit.record("students exported", actor=actor, school_id=school_id, details={
        "format": fmt, "columns": columns, "filters": [[fields.STUDENT[name].label, value] for name, value in filters],
        "rows": count, **({"selected": len(ids)} if ids is not None else {}), **(details or {})})
    db.session.commit()
    return statement


def header(columns: list[str]) -> list[str]:
    """The file's header row, in the language of whoever exports (an import reads all three back)."""
    return [str(fields.label(c)) for c in columns]


def rows(statement: Select, columns: list[str], *, region: str = DEFAULT_COUNTRY) -> Iterator[list]:
    """The values of each student found, as the database gives them where it can (programs and tags joined
    there): only phones, full names and choices are made in Python."""
    # Plain rows of just the needed columns (no ORM objects), streamed with yield_per (a server-side cursor on
    # PostgreSQL): memory does not grow with the number of rows.
    table = Student.__table__
    selected = [_column(c) for c in columns] + [table.c.last_name, table.c.first_name, table.c.middle_name,
                                                table.c.phone_normalized]
    extra = len(columns)
    fixes = []  # (position, how to make the cell from the row), for the few columns the database cannot write
    for position, column in enumerate(columns):
        if column == "phone":  # as the list shows it: as the school's country writes it
            fixes.append((position, lambda row, position=position: format_phone(row[extra + 3], region)
                           or row[position]))
        elif column == "full_name":
            fixes.append((position, lambda row: " ".join(filter(None, row[extra:extra + 3]))))
        elif column not in LINKS and fields.STUDENT[column].choices:  # in English: a file reads the same anywhere
            fixes.append((position, lambda row, position=position: fields.neutral_choice(row[position])))
    # Core, not the ORM's execute: plain tuples, without the ORM's per-row loading.
    result = db.session.connection().execute(statement.with_only_columns(*selected).execution_options(
        yield_per=CHUNK))
    for chunk in result.partitions(CHUNK):
        for row in chunk:
            values = list(row[:extra])
            for position, fix in fixes:
                values[position] = fix(row)
            yield values


def _column(column: str):
    if column in LINKS:
        model, table = LINKS[column]
        return names_joined(model.name, model.id == table.c[f"{model.__tablename__}_id"],
                            table.c.student_id == Student.id, outer=Student)
    if column == "full_name":
        return Student.last_name
    return Student.__table__.c[column]


MIMETYPES = {"csv": "text/csv; charset=utf-8",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def stream(fmt: str, header: list[str], values: Iterator[list]) -> Iterator[bytes]:
    """The file of a format of MIMETYPES, a block at a time."""
    return (csv_stream if fmt == "csv" else xlsx_stream)(header, values)


def csv_stream(header: list[str], values: Iterator[list]) -> Iterator[bytes]:
    """UTF-8 with a BOM (so that spreadsheet programs read every alphabet), a chunk of rows at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow([inert(h) for h in header])
    for n, row in enumerate(values, 1):
        writer.writerow(inert_cells([v if type(v) is str else cell_text(v) for v in row]))
        if n % CHUNK == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def xlsx_stream(header: list[str], values: Iterator[list]) -> Iterator[bytes]:
    """An XLSX built row by row on disk (XlsxWriter's constant-memory mode), every cell a text or date cell,
    never a formula; then sent in blocks and removed. (openpyxl's write-only mode took 1.3x as long.)"""
    import xlsxwriter

    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        workbook = xlsxwriter.Workbook(path, {
            "constant_memory": True, "tmpdir": tempfile.gettempdir(), "remove_timezone": True,
            # Text stays text: never a formula, a number or a link made of what a cell says.
            "strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False})
        sheet = workbook.add_worksheet("Students")
        day = workbook.add_format({"num_format": "yyyy-mm-dd"})
        moment = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        for column, text in enumerate(header):
            sheet.write_string(0, column, text)
        write_string, write_datetime = sheet.write_string, sheet.write_datetime
        for number, row in enumerate(values, 1):
            for column, value in enumerate(row):
                if value is None or value == "":  # an empty cell is no cell: less to write, the same sheet
                    continue
                if type(value) is str:
                    write_string(number, column, value)
                elif isinstance(value, date):
                    write_datetime(number, column, value, moment if isinstance(value, datetime) else day)
                else:
                    write_string(number, column, cell_text(value))
        workbook.close()
        with open(path, "rb") as f:
            while block := f.read(256 * 1024):
                yield block
    finally:
        os.remove(path)
