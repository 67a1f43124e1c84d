"""Bulk changes for many students at once: Leave, Move to section, a tag or program added or removed, Send
credentials, Activate — for the rows ticked or for everyone a list's filters match.

A change of up to one chunk (a thousand students; fifty for credentials, whose passwords are hashed one by one) is
made at once. A bigger one makes its first chunk at once too (so that a bad date, reason or order is the form's
error, before anything runs in the background), then a BulkJob does the rest in the background, a chunk a
transaction: each chunk's change and the job's progress are committed together, so the job's page shows how far it
got, and a job whose process died is resumed where it stopped by any other Roster process (housekeeping).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, delete, insert, or_, select, update

from roster import i18n, permissions
from roster.errors import NotFound, RosterError, ValidationFailed
from roster.extensions import db
from roster.models import LINKS, Status, Student, utcnow
from roster.records import BulkJob, BulkStatus
from roster.services import audit, credentials, movements, refusals_roll_back, students
from roster.sql import id_in

CHUNKS = {"credentials": 50}  # a generated password is hashed per student (Argon2): fifty a transaction
CHUNK = 1000
NAMES_KEPT = 50  # a report names the first fifty of each reason; it counts them all

# Each kind: what a school admin must be allowed to do it.
PERMISSIONS = {"leave": "students.edit", "move": "students.edit", "add_link": "students.edit",
               "remove_link": "students.edit", "credentials": "students.credentials",
               "activate": "students.activate"}


@dataclass
class Outcome:
    """What a bulk change did: the ids changed, and (name, why) of those it skipped; or the job doing the rest."""

    changed: list[int] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    job_id: int | None = None


def chunk_size(kind: str) -> int:
    return CHUNKS.get(kind, CHUNK)


def _on(value) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) and value else value


def _apply(kind: str, ids: list[int], school_id: int, params: dict, actor) -> tuple[list[int], list[tuple[str, str]]]:
    """One chunk of a bulk change, in one transaction, by the service that owns the rule."""
    order = movements.OrderGiven(params.get("order_number") or "", _on(params.get("order_date")))
    if kind == "leave":
        return movements.leave(ids, school_id, on=_on(params["date"]), reason=params["reason"], order=order,
                               note=params.get("note") or "", actor=actor)
    if kind == "move":
        return movements.move_to_section(ids, school_id, params["section_id"], on=_on(params["date"]), order=order,
                                         actor=actor)
    if kind in ("add_link", "remove_link"):
        return relink(ids, school_id, params["link"], params["link_id"], add=kind == "add_link", actor=actor)
    if kind == "credentials":
        result = credentials.issue_many(ids, school_id, actor=actor)
        return [issued.student_id for issued in result.sent], [(n, _(why)) for n, why in result.skipped]
    if kind == "activate":
        activated = set(students.activate(ids, school_id, actor=actor))
        rest = db.session.scalars(select(Student).where(id_in(Student.id, [i for i in ids if i not in activated])))
        return list(activated), [(s.full_name, _("not pending") if s.status == Status.STUDYING.value
                                  else _("not studying")) for s in rest]
    raise ValueError(kind)


def start(kind: str, student_ids: list[int], school_id: int, params: dict, *, actor, described: str = "") -> Outcome:
    """Make a bulk change: at once when it is small, else its first chunk at once and the rest as a job.

    Raises what the service of `kind` raises for a bad form (ValidationFailed: nothing was changed)."""
    permissions.require(actor, school_id, PERMISSIONS[kind])
    ids = list(dict.fromkeys(int(i) for i in student_ids))
    size = chunk_size(kind)
    changed, skipped = _apply(kind, ids[:size], school_id, params, actor)
    if len(ids) <= size:
        return Outcome(changed, skipped)
    job = BulkJob(school_id=school_id, created_by_id=getattr(actor, "id", None), kind=kind,
                  params={k: (v.isoformat() if isinstance(v, date) else v) for k, v in params.items()},
                  student_ids=ids, described=described, total=len(ids), done=size, changed=len(changed),
                  skipped=_tally({}, skipped), language=i18n.current(), progress_at=utcnow())
    db.session.add(job)
    audit.record("bulk change started", actor=actor, school_id=school_id,
                 details={"kind": kind, "count": len(ids), "filters": described})
    db.session.commit()
    return Outcome(changed, skipped, job.id)


def _tally(report: dict, skipped: list[tuple[str, str]]) -> dict:
    report = {reason: dict(entry) for reason, entry in (report or {}).items()}
    for name, why in skipped:
        entry = report.setdefault(why, {"count": 0, "names": []})
        entry["count"] += 1
        if len(entry["names"]) < NAMES_KEPT:
            entry["names"].append(name)
    return report


def run_job(job_id: int, *, runner: str | None = None) -> None:
    """Do the rest of a job, a chunk a transaction, from where it stands (a first run, or one resumed)."""
    job = db.session.get(BulkJob, job_id)
    if job is None or job.status != BulkStatus.RUNNING.value:
        return
    job.runner, job.progress_at = runner or job.runner, utcnow()
    db.session.commit()
    with i18n.speaking(job.language):
        while True:
            job = db.session.get(BulkJob, job_id)
            if job is None or job.status != BulkStatus.RUNNING.value:
                return
            actor = job.created_by
            if job.done >= job.total or actor is None:
                _finish(job, _("The account that asked for it is gone.") if actor is None else "")
                return
            school_id, kind, params, start_at = job.school_id, job.kind, dict(job.params), job.done
            ids = job.student_ids[start_at:start_at + chunk_size(kind)]
            # The chunk is claimed before the service call, which commits the claim with the chunk's change: of two
            # processes on one job (one took it for stalled), the second finds `done` moved on and reads it again.
            claimed = db.session.execute(
                update(BulkJob).where(BulkJob.id == job_id, BulkJob.status == BulkStatus.RUNNING.value,
                                      BulkJob.done == start_at)
                .values(done=start_at + len(ids), progress_at=utcnow(), runner=runner or job.runner)
                .execution_options(synchronize_session=False))
            if claimed.rowcount != 1:
                db.session.rollback()
                continue
            try:
                changed, skipped = _apply(kind, ids, school_id, params, actor)
            except NotFound:  # every one of the chunk is gone (erased meanwhile): on with the next
                changed, skipped = [], []
                db.session.execute(update(BulkJob).where(BulkJob.id == job_id).values(done=start_at + len(ids)))
            except RosterError as exc:  # the section or order went meanwhile, the admin lost the right…
                _finish(db.session.get(BulkJob, job_id), _message(exc))
                return
            db.session.expire_all()
            job = db.session.get(BulkJob, job_id)
            job.changed += len(changed)
            job.skipped = _tally(job.skipped, skipped)
            db.session.commit()


def _message(exc: RosterError) -> str:
    if isinstance(exc, ValidationFailed):
        return " ".join(m for messages in exc.field_errors.values() for m in messages)
    return str(exc)


def _finish(job: BulkJob, message: str) -> None:
    job.status = BulkStatus.FAILED.value if message else BulkStatus.COMPLETED.value
    job.message, job.finished_at, job.student_ids = message, utcnow(), []  # the ids were only the work list
    audit.record("bulk change ended", actor=job.created_by or permissions.SYSTEM, school_id=job.school_id,
                 details={"kind": job.kind, "status": job.status, "changed": job.changed,
                          "skipped": job.skipped_count, "total": job.total})
    db.session.commit()


def get_job(job_id: int, school_id: int, *, actor) -> BulkJob:
    job = db.session.scalar(select(BulkJob).where(BulkJob.id == job_id, BulkJob.school_id == school_id))
    if job is None:
        raise NotFound(_("No such bulk change in this school."))
    permissions.require(actor, school_id, PERMISSIONS.get(job.kind, "students.edit"))
    return job


def beat(runner: str) -> None:
    """The heartbeat of the jobs a process runs: they are not taken for stalled while it lives."""
    db.session.execute(update(BulkJob).where(BulkJob.runner == runner, BulkJob.status == BulkStatus.RUNNING.value)
                       .values(progress_at=utcnow()).execution_options(synchronize_session=False))
    db.session.commit()


def claim_stalled(runner: str, dead: list[str]) -> list[int]:
    """The running jobs whose process is gone (one of `dead`, or silent for IMPORT_STALLED_AFTER), now this
    runner's: their work goes on here."""
    silent: datetime = utcnow() - timedelta(seconds=current_app.config["IMPORT_STALLED_AFTER"])
    stalled = or_(BulkJob.progress_at < silent, BulkJob.progress_at.is_(None),
                  and_(BulkJob.runner.is_not(None), BulkJob.runner.in_(dead or [""])))
    ids = list(db.session.scalars(select(BulkJob.id).where(BulkJob.status == BulkStatus.RUNNING.value, stalled)))
    taken = []
    for job_id in ids:  # one conditional update each: of two processes, one takes a job
        running = (BulkJob.id == job_id, BulkJob.status == BulkStatus.RUNNING.value, stalled)
        moved = db.session.execute(update(BulkJob).where(*running).values(runner=runner, progress_at=utcnow())
                                   .execution_options(synchronize_session=False))
        if moved.rowcount == 1:
            taken.append(job_id)
    db.session.commit()
    return taken


def runners_on(host: str) -> list[str]:
    return list(db.session.scalars(select(BulkJob.runner).distinct().where(
        BulkJob.status == BulkStatus.RUNNING.value, BulkJob.runner.startswith(f"{host}:", autoescape=True))))


@refusals_roll_back
def relink(student_ids, school_id: int, link: str, link_id, *, add: bool,
           actor) -> tuple[list[int], list[tuple[str, str]]]:
    """Add a tag or program to the students, or take it away (their other tags and programs stay). Returns (who
    changed, (name, why not) of the rest)."""
    role = permissions.require(actor, school_id, "students.edit")
    if link not in ("tags", "programs"):
        raise ValidationFailed({"link": [_("Choose from this school's list.")]})
    model, table = LINKS[link]
    item = db.session.scalar(select(model).where(model.id == link_id, model.school_id == school_id)) \
        if isinstance(link_id, int) else None
    if item is None:
        raise ValidationFailed({"link": [_("Choose from this school's list.")]})
    column = table.c[f"{link[:-1]}_id"]
    ids = sorted({int(i) for i in student_ids})
    found = db.session.execute(select(Student.id, Student.last_name, Student.first_name, Student.middle_name,
                                      Student.status)
                               .where(id_in(Student.id, ids), *permissions.visible_students(school_id, actor, role))
                               .order_by(Student.search_key, Student.id)).all()
    if not found:
        raise NotFound(_("No such student in this school."))
    having = set(db.session.scalars(select(table.c.student_id).where(column == item.id,
                                                                      id_in(table.c.student_id, ids))))
    changed, skipped = [], []
    for sid, last, first, middle, status in found:
        name = " ".join(p for p in (last, first, middle) if p)
        if status != Status.STUDYING.value:
            skipped.append((name, _("not studying")))
        elif add and sid in having:
            skipped.append((name, _("already has %(name)s", name=item.name)))
        elif not add and sid not in having:
            skipped.append((name, _("does not have %(name)s", name=item.name)))
        else:
            changed.append(sid)
    if changed and add:
        db.session.execute(insert(table), [{"student_id": sid, column.name: item.id} for sid in changed])
    elif changed:
        db.session.execute(delete(table).where(column == item.id, id_in(table.c.student_id, changed)))
    if changed:
        db.session.execute(update(Student).where(id_in(Student.id, changed)).values(updated_at=utcnow())
                           .execution_options(synchronize_session=False))
        audit.record("students tagged" if add else "students untagged", actor=actor, school_id=school_id,
                     details={"count": len(changed), link: item.name})
    db.session.commit()
    return changed, skipped
