"""Exporting the Students list: exactly the rows and columns on screen, streamed, safe in spreadsheets."""

from __future__ import annotations

import csv
import io
import os
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
from roster.sql import id_in
from roster.text import DEFAULT_COUNTRY, format_phone

CHUNK = 1000
# A cell a spreadsheet would run as a formula (or that hides one behind a tab or carriage return).
DANGEROUS_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert(text: str) -> str:
    """Make a CSV cell plain text for spreadsheet programs: a leading apostrophe before a formula character."""
    return "'" + text if text.startswith(DANGEROUS_STARTS) else text


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
        return lambda row, links: " ".join(p for p in (row.last_name, row.first_name, row.middle_name) if p)
    if column in LINKS:
        return lambda row, links: links[column].get(row.id, [])
    if fields.STUDENT[column].choices:  # as English writes them: a file is the same in every language
        return lambda row, links: fields.neutral_choice(getattr(row, column))
    return lambda row, links: getattr(row, column)


def link_names(column: str, ids: list[int]) -> dict[int, list[str]]:
    model, table = LINKS[column]
    names: dict[int, list[str]] = defaultdict(list)
    rows = db.session.execute(
        select(table.c.student_id, model.name)
        .join(model, model.id == table.c[f"{model.__tablename__}_id"])
        .where(id_in(table.c.student_id, ids)).order_by(table.c.student_id, model.name))
    for student_id, name in rows:
        names[student_id].append(name)
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
    """The values of each student found, a chunk at a time: one query per chunk for each link column."""
    # Plain rows of just the needed columns (no ORM objects), streamed with yield_per (a server-side cursor on
    # PostgreSQL): memory does not grow with the number of rows.
    needed = {"id", "last_name", "first_name", "middle_name", "phone_normalized"} | {
        c for c in columns if c in Student.__table__.c}
    statement = statement.with_only_columns(*(Student.__table__.c[c] for c in sorted(needed)))
    result = db.session.execute(statement.execution_options(yield_per=CHUNK))
    getters = [getter(c, region) for c in columns]
    for chunk in result.partitions(CHUNK):
        ids = [row.id for row in chunk]
        links = {c: link_names(c, ids) for c in columns if c in LINKS}
        for row in chunk:
            yield [get(row, links) for get in getters]


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
        writer.writerow([inert(cell_text(v)) for v in row])
        if n % CHUNK == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def xlsx_stream(header: list[str], values: Iterator[list]) -> Iterator[bytes]:
    """An XLSX built row by row on disk (openpyxl's write-only mode), every cell a text or date cell, never a
    formula; then sent in blocks and removed."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Students")

    def text_cell(value: str):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"  # openpyxl would take "=..." for a formula
        return cell

    sheet.append([text_cell(h) for h in header])
    for row in values:
        cells = []
        for value in row:
            if value is None or value == "":  # an empty cell is no cell: less to write, the same sheet
                cells.append(None)
                continue
            if isinstance(value, date):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = "yyyy-mm-dd hh:mm" if isinstance(value, datetime) else "yyyy-mm-dd"
                cells.append(cell)
                continue
            text = cell_text(value)
            # Plain strings are written as text; only one that starts with "=" needs a cell made to say so
            # (a cell object for every value made a 100,000-row export 25% slower).
            cells.append(text_cell(text) if text.startswith("=") else text)
        sheet.append(cells)
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        workbook.save(path)
        with open(path, "rb") as f:
            while block := f.read(256 * 1024):
                yield block
    finally:
        os.remove(path)
