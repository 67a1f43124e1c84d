"""Importing a student list from CSV, XLSX or ODS, or a OneRoster export (flow 2 of design.md).

files reads an upload into rows (or says clearly why it cannot); reading tells a OneRoster export (oneroster)
from a list; values reads each row's cells; matching maps the headers to fields and the rows to the school's
students (external ID, national id, personal file number, else email); dedupe marks possible duplicates; writing
writes the file in bulk; pipeline runs all of it in one transaction, a dry run (the preview) being the very
same code, rolled back; jobs carry a file from the upload through the preview to the run, on a Celery worker
or in a thread of the web process. columns is the catalog they share; results the rows' outcomes.

This module names the API the rest of Roster uses.
"""

from roster.services.importing.columns import COLUMNS, ERROR_COLUMN, LABELS, template
from roster.services.importing.files import FileNotAccepted
from roster.services.importing.jobs import (
    RESTARTED_MESSAGE,
    STALLED_MESSAGE,
    UNFINISHED,
    as_seen,
    assign,
    beat,
    cancel_job,
    confirm_job,
    create_job,
    fail_runners,
    fail_stalled_jobs,
    failed_rows,
    get_job,
    run_job,
    run_now,
    runners_on,
)
from roster.services.importing.matching import match_headers
from roster.services.importing.pipeline import check_file, import_students
from roster.services.importing.reading import read_file
from roster.services.importing.results import ImportResult, RowResult

__all__ = [
    "COLUMNS", "ERROR_COLUMN", "LABELS", "RESTARTED_MESSAGE", "STALLED_MESSAGE", "UNFINISHED", "FileNotAccepted",
    "ImportResult", "RowResult", "as_seen", "assign", "beat", "cancel_job", "check_file", "confirm_job", "create_job",
    "fail_runners", "fail_stalled_jobs", "failed_rows", "get_job", "import_students", "match_headers",
    "read_file", "run_job", "run_now", "runners_on", "template",
]
