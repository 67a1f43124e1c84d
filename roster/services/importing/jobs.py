"""Jobs: an upload stored, previewed (a dry run), confirmed and run; who runs it, its heartbeat, its end."""

from __future__ import annotations

import csv
import io
import itertools
import logging
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.orm import defer
from sqlalchemy.orm.attributes import set_committed_value

from roster import i18n, permissions
from roster.errors import NotFound, RosterError
from roster.extensions import db
from roster.i18n import N_
from roster.models import School, utcnow
from roster.records import ImportJob, ImportStatus
from roster.services import movements
from roster.services.importing import dedupe, oneroster
from roster.services.importing.columns import COLUMNS, ERROR_COLUMN, header_key
from roster.services.importing.pipeline import check_file, import_students
from roster.services.importing.reading import read_file
from roster.services.importing.results import ImportResult, RowResult
from roster.services.importing.values import cell_value
from roster.services.movements import OrderGiven
from roster.urls import clean_file_name

log = logging.getLogger(__name__)

def create_job(school_id: int, file_name: str, data: bytes, *, actor, order: OrderGiven | None = None,
               identifier: str | None = None) -> int:
    """Store an upload as a job, once it reads as a student list; its preview is made next (run_job, dry run).
    `order` is the new students' order of arrival, for the whole file (checked now, made when the job runs);
    `identifier`, where a OneRoster file's identifier goes (oneroster.IDENTIFIER_FIELDS; None: the file number)."""
    permissions.require(actor, school_id, "students.import")
    file_name = clean_file_name(file_name, default="upload.csv")
    order = OrderGiven(" ".join((order.number or "").split()), order.on or (date.today() if order.number else None)) \
        if order else OrderGiven()
    movements.check_order(school_id, order)
    check_file(data, file_name)
    job = ImportJob(school_id=school_id, uploaded_by_id=getattr(actor, "id", None), file_name=file_name,
                    content=data, status=ImportStatus.UPLOADED.value, language=i18n.current(),
                    order_number=order.number, order_date=order.on,
                    identifier_field=identifier if identifier in oneroster.IDENTIFIER_FIELDS else None)
    db.session.add(job)
    db.session.commit()
    return job.id


def run_now(school_id: int, file_name: str, data: bytes, *, actor, dry_run: bool = False,
            runner: str | None = None) -> ImportJob:
    """Import a file at once, with no preview to confirm (the command line): a job like any other, run right here.

    A dry run is that job's preview: its counts and report are read, then the job goes (nothing stays written).
    The job comes back detached, its counts and report loaded.
    """
    job_id = create_job(school_id, file_name, data, actor=actor)
    if not dry_run:
        db.session.execute(update(ImportJob).where(ImportJob.id == job_id).values(
            status=ImportStatus.RUNNING.value, started_at=utcnow(), runner=runner))
        db.session.commit()
    run_job(job_id, dry_run=dry_run, runner=runner)
    job = db.session.scalar(select(ImportJob).where(ImportJob.id == job_id).options(defer(ImportJob.content)))
    job.report  # noqa: B018 - loaded before the job leaves the session
    db.session.expunge(job)
    if dry_run:
        db.session.execute(delete(ImportJob).where(ImportJob.id == job_id))
        db.session.commit()
    return job


def get_job(job_id: int, school_id: int, *, actor) -> ImportJob:
    """The school's job as a reader should see it (as_seen), without its stored upload (up to 10 MB; the progress
    bar asks for the job every second) and with its report only when read."""
    permissions.require(actor, school_id, "students.import")
    job = db.session.scalar(select(ImportJob).where(ImportJob.id == job_id, ImportJob.school_id == school_id)
                            .options(defer(ImportJob.content), defer(ImportJob.report)))
    if job is None:
        raise NotFound(_("No such import in this school."))
    return as_seen(job)


# Kept in English (a job's message is in the language of whoever uploaded it; these are written by whichever
# process notices): its page shows them translated.
STALLED_MESSAGE = N_("The import stopped before it finished: its worker went away (a restart?) and nothing was "
                     "saved. Upload the file again.")
RESTARTED_MESSAGE = N_("Roster restarted during this import; nothing was saved. Upload the file again.")
UNFINISHED = (ImportStatus.UPLOADED.value, ImportStatus.RUNNING.value)


def assign(job_id: int, runner: str) -> None:
    """Record which process has the job ("host:pid"): the one whose thread will make its preview or run."""
    db.session.execute(update(ImportJob).where(ImportJob.id == job_id)
                       .values(runner=runner, progress_at=utcnow()).execution_options(synchronize_session=False))
    db.session.commit()


def beat(runner: str) -> None:
    """The heartbeat of the unfinished jobs a process has: they are not taken for stalled while it lives."""
    db.session.execute(update(ImportJob).where(ImportJob.runner == runner, ImportJob.status.in_(UNFINISHED))
                       .values(progress_at=utcnow()).execution_options(synchronize_session=False))
    db.session.commit()


def runners_on(host: str) -> list[str]:
    """The processes of this host that have unfinished jobs."""
    return list(db.session.scalars(select(ImportJob.runner).distinct().where(
        ImportJob.status.in_(UNFINISHED), ImportJob.runner.startswith(f"{host}:", autoescape=True))))


def fail_runners(runners: list[str]) -> int:
    """End the unfinished jobs of processes that are gone: Failed, as nothing of theirs was committed."""
    if not runners:
        return 0
    ended = db.session.execute(
        update(ImportJob).where(ImportJob.runner.in_(runners), ImportJob.status.in_(UNFINISHED))
        .values(status=ImportStatus.FAILED.value, message=RESTARTED_MESSAGE, content=None, finished_at=utcnow())
        .execution_options(synchronize_session=False))
    db.session.commit()
    return ended.rowcount


def _silent_since(now) -> tuple[datetime, datetime]:
    """A job unfinished whose last sign of life is older than this is stalled: (taken by a worker, not taken)."""
    cfg = current_app.config
    return (now - timedelta(seconds=cfg["IMPORT_STALLED_AFTER"]),
            now - timedelta(seconds=max(cfg["IMPORT_QUEUED_FOR"], cfg["IMPORT_STALLED_AFTER"])))


def as_seen(job: ImportJob) -> ImportJob:
    """A job whose process has been silent too long reads as Failed at once, with the reason, though only the
    housekeeping loop (fail_stalled_jobs) writes it so: a page view never writes. The loaded values change, not
    the row (nothing is flushed)."""
    if job.status in UNFINISHED:
        taken, queued = _silent_since(utcnow())
        if (job.progress_at or job.started_at or job.created_at) < (taken if job.runner else queued):
            set_committed_value(job, "status", ImportStatus.FAILED.value)
            set_committed_value(job, "message", STALLED_MESSAGE)
    return job


def fail_stalled_jobs() -> int:
    """End the jobs whose process has given no sign of life for IMPORT_STALLED_AFTER (a job no worker has
    taken yet: IMPORT_QUEUED_FOR): Failed, as nothing of theirs was committed, instead of Checking or Running
    for ever. Returns how many."""
    now = utcnow()
    taken, queued = _silent_since(now)
    last_sign = func.coalesce(ImportJob.progress_at, ImportJob.started_at, ImportJob.created_at)
    ended = db.session.execute(
        update(ImportJob).where(
            ImportJob.status.in_(UNFINISHED),
            or_(and_(ImportJob.runner.is_not(None), last_sign < taken), last_sign < queued))
        .values(status=ImportStatus.FAILED.value, message=STALLED_MESSAGE, content=None, finished_at=now)
        .execution_options(synchronize_session=False))
    db.session.commit()
    return ended.rowcount


def confirm_job(job_id: int, school_id: int, *, actor, choices: dict[str, str] | None = None) -> bool:
    """Move a previewed job to running, once (a double click starts one run); True when this call did it.
    choices: the admin's choice for each possible duplicate, by row number (importing.dedupe)."""
    get_job(job_id, school_id, actor=actor)
    choices = {str(int(number)): choice for number, choice in (choices or {}).items()
               if str(number).isdigit() and choice in dedupe.CHOICES}
    moved = db.session.execute(
        update(ImportJob).where(ImportJob.id == job_id, ImportJob.status == ImportStatus.VALIDATED.value)
        .values(status=ImportStatus.RUNNING.value, done_rows=0, started_at=utcnow(), duplicate_choices=choices)
        .execution_options(synchronize_session=False))
    db.session.commit()
    return moved.rowcount == 1


def cancel_job(job_id: int, school_id: int, *, actor) -> None:
    """Drop a job that has not run: its file and preview go."""
    job = get_job(job_id, school_id, actor=actor)
    if job.status not in (ImportStatus.UPLOADED.value, ImportStatus.VALIDATED.value):
        raise RosterError(_("This import has already run; it cannot be cancelled."))
    db.session.delete(job)
    db.session.commit()


def run_job(job_id: int, *, dry_run: bool, runner: str | None = None) -> None:
    """Make a job's preview (dry_run) or run it, recording progress, results and the end state.

    Called by the background task. A run's end (Completed, its counts and report) is written in the import's own
    transaction: a job says Completed exactly when its students are saved, and one left Running saved nothing.
    A failure of the whole run leaves nothing written and says why.
    """
    job = db.session.get(ImportJob, job_id)
    expected = ImportStatus.UPLOADED.value if dry_run else ImportStatus.RUNNING.value
    if job is None or job.status != expected or job.content is None:
        return
    school_id, file_name, data = job.school_id, job.file_name, job.content
    order = OrderGiven(job.order_number, job.order_date) if job.order_number else None
    choices = dict(job.duplicate_choices or {})
    identifier = job.identifier_field
    actor = job.uploaded_by or permissions.SYSTEM
    job.progress_at = utcnow()
    job.runner = runner or job.runner
    language = job.language
    db.session.commit()  # hold no transaction open while the file is read
    with i18n.speaking(language):  # its report and messages in the language of the page it was uploaded from
        _run(job_id, school_id, file_name, data, actor, dry_run=dry_run, order=order, choices=choices,
             identifier=identifier)


def _run(job_id: int, school_id: int, file_name: str, data: bytes, actor, *, dry_run: bool,
         order: OrderGiven | None = None, choices: dict | None = None, identifier: str | None = None) -> None:

    last = [0.0]

    def progress(done: int, total: int) -> None:
        # At most every PROGRESS_SECONDS (and at the end): each report is a commit of its own, and a page polls
        # about once a second (a report per 1,000 rows was 0.8 s of a 100,000-row import on SQLite).
        now = time.monotonic()
        if done >= total or now - last[0] >= PROGRESS_SECONDS:
            last[0] = now
            _report_progress(job_id, done, total)

    def record_end(result: ImportResult) -> None:
        status = ImportStatus.COMPLETED_WITH_ERRORS if result.count("error") else ImportStatus.COMPLETED
        _record_end(job_id, status, result=result)

    try:
        dataset = read_file(data, file_name, school=db.session.get(School, school_id), identifier=identifier)
        result = import_students(dataset, school_id,
                                 dry_run=dry_run, actor=actor,
                                 file_name=file_name, progress=progress, order=order, choices=choices,
                                 before_commit=None if dry_run else record_end)
    except RosterError as exc:
        _fail(job_id, str(exc))
        return
    except Exception:
        log.exception("Import job %s failed", job_id)
        _fail(job_id, _("An unexpected error stopped the import; nothing was saved. Try again, or tell us."))
        raise
    if dry_run:
        _record_end(job_id, ImportStatus.VALIDATED, result=result, keep_file=True)
        db.session.commit()


PROGRESS_SECONDS = 0.5


def _report_progress(job_id: int, done: int, total: int) -> None:
    """Write progress on a connection of its own: the import's transaction is not committed until the end."""
    with db.engine.begin() as connection:
        connection.execute(update(ImportJob).where(ImportJob.id == job_id).values(
            done_rows=done, total_rows=total, progress_at=utcnow()))


def _fail(job_id: int, message: str) -> None:
    db.session.rollback()
    _record_end(job_id, ImportStatus.FAILED, message=message)
    db.session.commit()


def _record_end(job_id: int, status: ImportStatus, *, message: str = "", result: ImportResult | None = None,
                keep_file: bool = False) -> None:
    """Write how a job ended (or its preview), in the current transaction; a job cancelled meanwhile is gone."""
    values: dict = {"status": status.value, "message": message}
    if result is not None:
        totals = result.totals
        values.update(total_rows=totals["rows"], done_rows=totals["rows"], created_count=totals["new"],
                      updated_count=totals["update"], unchanged_count=totals["unchanged"],
                      error_count=totals["error"], report=_report(result), failed_rows_csv=_failed_csv(result))
    if not keep_file:
        values.update(content=None, finished_at=utcnow())
    db.session.execute(update(ImportJob).where(ImportJob.id == job_id).values(**values)
                       .execution_options(synchronize_session=False))


def _report(result: ImportResult) -> dict:
    """What the job's page shows: read at each view of it, so bounded however many rows the file had."""
    errors = (_row_json(r) for r in result.rows if r.status == "error")
    possible = (_duplicate_json(r) for r in result.rows if r.duplicate)
    not_imported: dict[str, dict] = {}
    for name, reason in result.not_imported:
        entry = not_imported.setdefault(reason, {"count": 0, "names": []})
        entry["count"] += 1
        if len(entry["names"]) < 20:
            entry["names"].append(name)
    return {
        "not_imported": not_imported,
        "skipped": result.count("skipped"), "duplicate_count": result.possible_duplicates,
        "duplicates": list(itertools.islice(possible, current_app.config["IMPORT_REPORT_ERRORS"])),
        "unknown_columns": result.unknown_columns,
        "new_names": result.new_names,
        "first_rows": [_row_json(r) for r in result.rows[:current_app.config["IMPORT_PREVIEW_ROWS"]]],
        "errors": list(itertools.islice(errors, current_app.config["IMPORT_REPORT_ERRORS"])),
    }


def _row_json(row: RowResult) -> dict:
    return {"number": row.number, "status": row.status, "name": row.name, "errors": row.errors,
            "changes": row.changes, "student_id": row.student_id}


def _duplicate_json(row: RowResult) -> dict:
    kind, other, name, reasons = row.duplicate
    return {"number": row.number, "name": row.name, "kind": kind, "other": other, "other_name": name,
            "reasons": list(reasons), "choice": row.choice}


def _failed_csv(result: ImportResult) -> bytes | None:
    """Every failed row as it was in the file, with an Error column, as plain UTF-8 CSV: to download, fix and
    upload again as it is. Kept beside the job, not in its report: 100,000 failed rows are megabytes."""
    if not result.count("error"):
        return None
    keep = [i for i, h in enumerate(result.headers) if header_key(h) != header_key(ERROR_COLUMN)]
    buffer = io.BytesIO()
    text = io.TextIOWrapper(buffer, encoding="utf-8", newline="")
    writer = csv.writer(text)
    writer.writerow([result.headers[i] for i in keep] + [ERROR_COLUMN])
    for row in result.rows:
        if row.status == "error":
            # Each message is a sentence: "Gender: … (or m, f). Email: …", never ".;" between them.
            reason = " ".join(f"{column}: {message}" if column else message for column, message in row.errors)
            writer.writerow([cell_value(row.cells[i]) for i in keep] + [f"Row {row.number}: {reason}"])
    text.flush()
    text.detach()
    return buffer.getvalue()


def failed_rows(job: ImportJob) -> tuple[list[str], Iterator[list[str]]]:
    """The headers and rows of a job's failed rows, read as they are streamed out (the template's headers and no
    rows when none failed)."""
    if not job.failed_rows_csv:
        return [label for _, label in COLUMNS] + [ERROR_COLUMN], iter(())
    reader = csv.reader(io.TextIOWrapper(io.BytesIO(job.failed_rows_csv), encoding="utf-8", newline=""))
    return next(reader), reader
