"""Two records of one child made one, and undone within MERGE_UNDO_DAYS.

The admin picks the record that stays and, field by field, which value stays. Programs, tags, sections (this
year's and past years') and guardians are united; the movements, transfers, sign-up claims, audit history and
import reports' rows of the other record move to the survivor. The other record stays, hidden (status
"merged"), holding its own values and guardians, and gives up its email, file number, national id and account
(a school has each once): undo gives them back. What the survivor gained after the merge stays on it.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from roster import fields, permissions
from roster.errors import NotFound, ValidationFailed
from roster.extensions import db
from roster.models import (
    Guardian,
    Movement,
    SignUpClaim,
    Status,
    Student,
    Transfer,
    past_section_member,
    student_name_part,
    student_program,
    student_section,
    student_tag,
    utcnow,
)
from roster.name_keys import name_key, phone_digits
from roster.records import AuditEvent, ImportJob, StudentMerge
from roster.services import audit, duplicates, refusals_roll_back
from roster.services import students as student_service

# Once a school: the merged record gives them up.
UNIQUE = ("email", "personal_file_number", "national_id", "external_id")
LINK_TABLES = {"programs": student_program, "tags": student_tag, "sections": student_section,
               "past_sections": past_section_member}
OTHER_ID = {"programs": "program_id", "tags": "tag_id", "sections": "section_id", "past_sections": "section_id"}
ACCOUNT = ("user_id", "account_status")
# Rows of the other record's history that move to the survivor: (model, column).
MOVED = {"movements": (Movement, "student_id"), "transfers": (Transfer, "student_id"),
         "transfers_in": (Transfer, "new_student_id"), "claims": (SignUpClaim, "student_id")}


def mergeable(country: str | None) -> list[str]:
    """The fields whose value the admin chooses, in the form's order (the school's country hides some)."""
    hidden = fields.hidden_for(country)
    return [name for name in fields.EDITED if name not in hidden]


def _dump(name: str, value):
    return value.isoformat() if isinstance(value, date) else value


def _load(name: str, value):
    field = fields.STUDENT.get(name)
    if field is not None and field.kind == fields.DATE and value:
        return date.fromisoformat(value)
    return value


def _pair(school_id: int, survivor_id, merged_id) -> tuple[Student, Student]:
    try:
        survivor_id, merged_id = int(survivor_id), int(merged_id)
    except (TypeError, ValueError) as exc:
        raise NotFound(_("No such student in this school.")) from exc
    if survivor_id == merged_id:
        raise ValidationFailed({"": [_("A record cannot be merged with itself: choose two students.")]})
    found = {s.id: s for s in db.session.scalars(
        select(Student).where(Student.school_id == school_id, Student.id.in_((survivor_id, merged_id))))}
    if len(found) != 2:
        raise NotFound(_("No such student in this school."))
    for student in found.values():
        if student.status == Status.MERGED.value:
            raise ValidationFailed({"": [_("%(name)s was already merged into another record.",
                                           name=student.full_name)]})
    return found[survivor_id], found[merged_id]


def pair(school_id: int, first_id, second_id, *, actor) -> tuple[Student, Student]:
    """The two students of a merge page, checked as a merge checks them."""
    permissions.require(actor, school_id, "students.merge")
    return _pair(school_id, first_id, second_id)


@refusals_roll_back
def merge(school_id: int, survivor_id, merged_id, take: list[str], *, actor) -> int:
    """Merge merged_id into survivor_id, taking the named fields' values from merged_id; return the merge's id."""
    permissions.require(actor, school_id, "students.merge")
    survivor, merged = _pair(school_id, survivor_id, merged_id)
    if survivor.user_id and merged.user_id:
        raise ValidationFailed({"": [_("Both records have an account to sign in with, and a child keeps one: "
                                       "the records were not merged. Delete the account of the one that is "
                                       "not used (erase that student) or ask the child which one they use.")]})
    # The claim: of two submits at once, one merges; the other finds the record merged and changes nothing.
    claimed = db.session.execute(update(Student).where(Student.id == merged.id, Student.status != Status.MERGED.value)
                                 .values(status=Status.MERGED.value).execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        db.session.rollback()
        raise ValidationFailed({"": [_("%(name)s was already merged into another record.", name=merged.full_name)]})
    merged_values = {name: _dump(name, getattr(merged, name)) for name in (*UNIQUE, *ACCOUNT, "phone_normalized")}
    merged_values["status"] = merged.status
    db.session.refresh(merged)
    for name in (*UNIQUE, "user_id"):
        setattr(merged, name, None)
    db.session.flush()
    country = duplicates.country_of(school_id)
    take = [name for name in take if name in mergeable(country)]
    taken = {}
    for name in take:
        value = _load(name, merged_values[name]) if name in merged_values else getattr(merged, name)
        if getattr(survivor, name) != value:
            taken[name] = [_dump(name, getattr(survivor, name)), _dump(name, value)]
            setattr(survivor, name, value)
            if name == "phone":
                taken["phone_normalized"] = [survivor.phone_normalized, merged_values["phone_normalized"]]
                survivor.phone_normalized = merged_values["phone_normalized"]
    if merged_values["user_id"] and not survivor.user_id:
        for name in ACCOUNT:
            taken[name] = [getattr(survivor, name), merged_values[name]]
            setattr(survivor, name, merged_values[name])
    survivor.refresh_search_key()
    added = _unite_links(survivor.id, merged.id) | {"guardians": _unite_guardians(survivor, merged)}
    moved = _move(merged.id, survivor.id)
    db.session.execute(delete(student_name_part).where(student_name_part.c.student_id == merged.id))
    record = StudentMerge(school_id=school_id, survivor_id=survivor.id, merged_id=merged.id, taken=taken,
                          merged_values=merged_values, added=added, moved=moved, by_id=getattr(actor, "id", None))
    db.session.add(record)
    _flush_or_explain()
    student_service.index_names([(survivor.id, school_id, survivor.search_key)])
    duplicates.index([survivor.id, merged.id], school_id)
    audit.record("students merged", actor=actor, school_id=school_id, target=survivor, details={
        "survivor": survivor.id, "merged": merged.id, "name": survivor.full_name, "merged_name": merged.full_name,
        "fields": [name for name in taken if name not in ("phone_normalized", *ACCOUNT)]})
    db.session.commit()
    return record.id


def _unite_links(survivor_id: int, merged_id: int) -> dict[str, list[int]]:
    """The survivor gains the merged record's programs, tags and sections it lacked; the merged record's links
    are kept (for undo) in the merge, not in the link tables (no list, count or archive finds it)."""
    added = {}
    for name, table in LINK_TABLES.items():
        other = table.c[OTHER_ID[name]]
        theirs = set(db.session.scalars(select(other).where(table.c.student_id == merged_id)))
        ours = set(db.session.scalars(select(other).where(table.c.student_id == survivor_id)))
        new = sorted(theirs - ours)
        if new:
            db.session.execute(insert(table), [{"student_id": survivor_id, OTHER_ID[name]: i} for i in new])
        db.session.execute(delete(table).where(table.c.student_id == merged_id))
        added[name] = new
        added[f"merged_{name}"] = sorted(theirs)
    return added


def _guardian_key(guardian: Guardian) -> tuple[str, str]:
    return name_key(guardian.full_name), phone_digits(guardian.phone)


def _unite_guardians(survivor: Student, merged: Student) -> list[int]:
    """Copies of the merged record's guardians the survivor lacks (the same name and phone is one guardian)."""
    known = {_guardian_key(g) for g in survivor.guardians}
    copies = []
    for guardian in merged.guardians:
        if _guardian_key(guardian) in known:
            continue
        known.add(_guardian_key(guardian))
        copy = Guardian(**{name: getattr(guardian, name) for name in fields.GUARDIAN_FIELDS})
        survivor.guardians.append(copy)
        copies.append(copy)
    db.session.flush()
    return [g.id for g in copies]


def _move(from_id: int, to_id: int) -> dict[str, list[int]]:
    """Move the history rows of one record to the other; return their ids by kind."""
    moved = {}
    for kind, (model, column) in MOVED.items():
        attribute = getattr(model, column)
        ids = list(db.session.scalars(select(model.id).where(attribute == from_id)))
        if ids:
            db.session.execute(update(model).where(model.id.in_(ids)).values({column: to_id})
                               .execution_options(synchronize_session=False))
        moved[kind] = ids
    events = list(db.session.scalars(select(AuditEvent.id).where(AuditEvent.target_type == "student",
                                                                  AuditEvent.target_id == from_id)))
    if events:
        db.session.execute(update(AuditEvent).where(AuditEvent.id.in_(events)).values(target_id=to_id))
    moved["audit"] = events
    moved["imports"] = _relink_import_reports(from_id, to_id)
    return moved


def _relink_import_reports(from_id: int, to_id: int, only: list | None = None) -> list[list[int]]:
    """The school's import reports name the survivor where they named the other record: [job id, row number]
    of each row changed (a report keeps a bounded number of rows)."""
    changed = []
    school_id = db.session.scalar(select(Student.school_id).where(Student.id == to_id))
    jobs = select(ImportJob).where(ImportJob.school_id == school_id)
    if only is not None:
        jobs = jobs.where(ImportJob.id.in_({job_id for job_id, _number in only}))
    wanted = {tuple(item) for item in only} if only is not None else None
    for job in db.session.scalars(jobs):
        report, touched = dict(job.report or {}), False
        for key in ("first_rows", "errors"):
            rows = []
            for row in report.get(key) or []:
                if row.get("student_id") == from_id and (wanted is None or (job.id, row.get("number")) in wanted):
                    row = {**row, "student_id": to_id}
                    changed.append([job.id, row.get("number")])
                    touched = True
                rows.append(row)
            report[key] = rows
        if touched:
            job.report = report
    return changed


def _flush_or_explain() -> None:
    try:
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        raise ValidationFailed({"": [_("Another student of this school holds a value one of these records "
                                       "needs back (an email, a file number or a national number): change "
                                       "it there first.")]}) from exc


def undoable(student_id: int, school_id: int) -> list[StudentMerge]:
    """The merges into this student that may still be undone, newest first."""
    since = utcnow() - timedelta(days=current_app.config["MERGE_UNDO_DAYS"])
    return list(db.session.scalars(
        select(StudentMerge).where(StudentMerge.school_id == school_id, StudentMerge.survivor_id == student_id,
                                   StudentMerge.undone_at.is_(None), StudentMerge.created_at >= since)
        .order_by(StudentMerge.id.desc())))


def merged_name(record: StudentMerge) -> str:
    student = db.session.get(Student, record.merged_id)
    return student.full_name if student else ""


@refusals_roll_back
def undo(school_id: int, merge_id, *, actor) -> list[str]:
    """Put both records back as they were before the merge; return the fields the survivor keeps because they
    changed since (what was added to it since stays on it)."""
    permissions.require(actor, school_id, "students.merge")
    try:
        record = db.session.get(StudentMerge, int(merge_id))
    except (TypeError, ValueError):
        record = None
    if record is None or record.school_id != school_id:
        raise NotFound(_("No such merge in this school."))
    if record.undone_at is not None:
        raise ValidationFailed({"": [_("This merge was already undone.")]})
    if record.created_at < utcnow() - timedelta(days=current_app.config["MERGE_UNDO_DAYS"]):
        raise ValidationFailed({"": [_("A merge can be undone for %(days)d days; this one is older.",
                                       days=current_app.config["MERGE_UNDO_DAYS"])]})
    claimed = db.session.execute(update(StudentMerge).where(StudentMerge.id == record.id,
                                                            StudentMerge.undone_at.is_(None))
                                 .values(undone_at=utcnow()).execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        db.session.rollback()
        raise ValidationFailed({"": [_("This merge was already undone.")]})
    survivor = db.session.get(Student, record.survivor_id)
    merged = db.session.get(Student, record.merged_id)
    kept = []
    for name, (before, taken) in record.taken.items():
        if _dump(name, getattr(survivor, name)) == taken:
            setattr(survivor, name, _load(name, before))
        elif name not in ("phone_normalized", *ACCOUNT):
            kept.append(name)
    survivor.refresh_search_key()
    db.session.flush()
    values = record.merged_values
    for name in UNIQUE:
        setattr(merged, name, values[name])
    if values["user_id"] and survivor.user_id != values["user_id"]:
        merged.user_id = values["user_id"]
    merged.status = values["status"]
    _restore_links(record, survivor.id, merged.id)
    if record.added.get("guardians"):
        db.session.execute(delete(Guardian).where(Guardian.id.in_(record.added["guardians"]),
                                                  Guardian.student_id == survivor.id))
    _move_back(record.moved, survivor.id, merged.id)
    _flush_or_explain()
    db.session.expire(survivor, ["guardians"])
    student_service.index_names([(survivor.id, school_id, survivor.search_key),
                                 (merged.id, school_id, merged.search_key)])
    duplicates.index([survivor.id, merged.id], school_id)
    audit.record("merge undone", actor=actor, school_id=school_id, target=survivor, details={
        "survivor": survivor.id, "merged": merged.id, "name": survivor.full_name, "merged_name": merged.full_name,
        "kept": kept})
    db.session.commit()
    return kept


def _restore_links(record: StudentMerge, survivor_id: int, merged_id: int) -> None:
    for name, table in LINK_TABLES.items():
        other = table.c[OTHER_ID[name]]
        if record.added.get(name):
            db.session.execute(delete(table).where(table.c.student_id == survivor_id,
                                                   other.in_(record.added[name])))
        theirs = record.added.get(f"merged_{name}") or []
        model_table = other.foreign_keys and next(iter(other.foreign_keys)).column.table
        existing = set(db.session.scalars(select(model_table.c.id).where(model_table.c.id.in_(theirs)))) if theirs \
            else set()
        rows = [{"student_id": merged_id, OTHER_ID[name]: i} for i in theirs if i in existing]
        if rows:
            db.session.execute(insert(table), rows)


def _move_back(moved: dict, survivor_id: int, merged_id: int) -> None:
    for kind, (model, column) in MOVED.items():
        if moved.get(kind):
            attribute = getattr(model, column)
            db.session.execute(update(model).where(model.id.in_(moved[kind]), attribute == survivor_id)
                               .values({column: merged_id}).execution_options(synchronize_session=False))
    if moved.get("audit"):
        db.session.execute(update(AuditEvent).where(AuditEvent.id.in_(moved["audit"]))
                           .values(target_id=merged_id))
    if moved.get("imports"):
        _relink_import_reports(survivor_id, merged_id, only=moved["imports"])
