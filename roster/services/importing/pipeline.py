"""The import itself: check, match and write every row in one transaction; a dry run is the same, rolled back."""

from __future__ import annotations

import logging
from collections.abc import Callable

import tablib
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from roster import permissions
from roster.extensions import db
from roster.services import audit
from roster.services import students as student_service
from roster.services.importing import dedupe
from roster.services.importing.columns import CHUNK, file_headers
from roster.services.importing.files import FileNotAccepted, rows_dataset, without_gc
from roster.services.importing.matching import compare, match_headers, match_rows
from roster.services.importing.reading import upload_rows
from roster.services.importing.results import ImportResult, RowResult
from roster.services.importing.values import parse_row
from roster.services.importing.writing import write_rows
from roster.sql import page_cache_for_bulk_writes

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


def import_students(dataset: tablib.Dataset, school_id: int, *, dry_run: bool, actor, file_name: str = "",
                    progress: Progress | None = None, order=None,
                    before_commit: Callable[[ImportResult], None] | None = None,
                    choices: dict[str, str] | None = None) -> ImportResult:
    """Check, match and write every row of the file in one transaction; roll it back when dry_run.

    Never stops at a bad row: each row gets its result, and the good ones are written. before_commit writes
    whatever must be saved exactly when the rows are (a job's end) in the same transaction. choices: the
    admin's choice for each possible duplicate, by row number (importing.dedupe).
    """
    permissions.require(actor, school_id, "students.import")
    mapping, unknown = match_headers(dataset.headers)
    with without_gc():
        return _import(dataset, school_id, mapping, unknown, dry_run=dry_run, actor=actor, file_name=file_name,
                       progress=progress, before_commit=before_commit, order=order, choices=choices or {})


def _import(dataset, school_id, mapping, unknown, *, dry_run, actor, file_name, progress,
            before_commit, order=None, choices=None) -> ImportResult:
    fields = set(mapping.values())
    rows: list[RowResult] = []
    total = len(dataset)
    region = student_service.school_country(school_id)
    max_chars = current_app.config["IMPORT_MAX_CELL_CHARS"]
    headers = file_headers.set({name: dataset.headers[position] for position, name in mapping.items()})
    try:
        for index, cells in enumerate(dataset):
            if not any(value not in (None, "") for value in cells):
                continue
            rows.append(parse_row(index + 2, cells, mapping, region, max_chars))
            if progress and len(rows) % CHUNK == 0:
                progress(index + 1, total)
        match_rows(rows, school_id)
        dedupe.mark(rows, school_id, choices or {})
    finally:
        file_headers.reset(headers)
    compare(rows, fields, school_id)
    for row in rows:
        if row.status == "error":
            row.cells = dataset[row.number - 2]  # the rows that failed go back to the user as they were
    if progress:
        progress(total, total)
    result = ImportResult(list(dataset.headers), rows, unknown, {}, getattr(dataset, "not_imported", []))
    try:
        with page_cache_for_bulk_writes():
            result.new_names = write_rows(rows, fields, school_id, order=order)
        if not dry_run:
            totals = result.totals
            details = {"file": file_name, "rows": totals["rows"], "created": totals["new"],
                       "updated": totals["update"], "unchanged": totals["unchanged"], "errors": totals["error"]}
            if skipped := result.count("skipped"):  # possible duplicates the admin chose to skip
                details["skipped"] = skipped
            audit.record("students imported", actor=actor, school_id=school_id, details=details)
            if before_commit:
                before_commit(result)
    except BaseException:
        db.session.rollback()
        raise
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
        _refresh_statistics(result.count("new") + result.count("update"))
    return result


ANALYZE_AFTER_ROWS = 10_000
ANALYZED_TABLES = ("student", "student_name_part", "student_program", "student_tag", "student_section", "guardian",
                   "duplicate_key")


def _refresh_statistics(written: int) -> None:
    """After a large import, update PostgreSQL's statistics at once, as its manual advises after a bulk load.

    Until autovacuum gets to it (never, where it is off), the planner takes the new rows for a handful and reads
    whole tables for the next import's lookups (0.12 s per thousand ids at 2 million name words). ANALYZE
    samples each table, blocks no reads or writes, and skips a table the app's database user does not own.
    """
    if written < ANALYZE_AFTER_ROWS or db.session.get_bind().dialect.name != "postgresql":
        return
    try:
        db.session.execute(text(f"ANALYZE {', '.join(ANALYZED_TABLES)}"))
        db.session.commit()
    except SQLAlchemyError:  # the import is committed: a job that did its work must not be reported failed
        db.session.rollback()
        log.warning("ANALYZE after an import failed", exc_info=True)


CHECK_ROWS = 10_000  # rows of a spreadsheet read at upload, to find its header and a first student


def check_file(data: bytes, file_name: str) -> list[str]:
    """Check an upload without reading all of it: its kind, size, header and at least one student; the header."""
    dataset = rows_dataset(upload_rows(data, file_name, max_rows=CHECK_ROWS), stop_after=1)
    match_headers(dataset.headers)
    if not len(dataset):
        raise FileNotAccepted(_("The file has a header row but no students under it."))
    return dataset.headers
