"""What a close of the school year did to each child (its entries), and its undo: of one child, or of the whole
close (then the year before is current again), each reversal a movement; refused while a child of the close has
changed since it was applied."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import delete, func, insert, or_, select, update

from roster.errors import NotFound, ValidationFailed
from roster.extensions import db
from roster.models import (
    Movement,
    MovementKind,
    SchoolYear,
    Section,
    Student,
    past_section_member,
    student_section,
    utcnow,
)
from roster.records import YearClose, YearCloseEntry
from roster.services import audit, movements, refusals_roll_back
from roster.services.year_close import APPLIED, CHUNK, GRADUATED, LEFT, PROMOTED, REPEATED, UNDONE, get
from roster.sql import id_in, pairs_in


def blockers(close: YearClose, student_ids: list[int] | None = None) -> list[tuple[str, str]]:
    """The children of a close changed since it was applied (name, why): undo would undo their later change."""
    if close.status != APPLIED or close.applied_at is None:
        return []
    entries = select(YearCloseEntry.student_id).where(YearCloseEntry.close_id == close.id,
                                                      YearCloseEntry.undone_at.is_(None))
    if student_ids is not None:
        entries = entries.where(YearCloseEntry.student_id.in_(student_ids))
    later = select(Movement.student_id).where(Movement.school_id == close.school_id,
                                              Movement.created_at > close.applied_at)
    rows = db.session.execute(
        select(Student.id, Student.last_name, Student.first_name, Student.middle_name, Student.updated_at)
        .where(Student.id.in_(entries), or_(Student.updated_at > close.applied_at, Student.id.in_(later)))
        .order_by(Student.search_key).limit(50)).all()
    return [(" ".join(p for p in (last, first, middle) if p),
             _("changed since the close (%(when)s)", when=changed.strftime("%Y-%m-%d %H:%M")))
            for _sid, last, first, middle, changed in rows]


@refusals_roll_back
def undo(close_id: int, school_id: int, *, actor, student_id: int | None = None) -> int:
    """Put the close's children back where they were (one child, or all: then this year is current again). Each
    reversal is a movement; refused while a child of it has changed since (the blockers say who)."""
    close = get(close_id, school_id, actor=actor)
    if close.status != APPLIED:
        raise ValidationFailed({"close": [_("Only an applied close can be undone.")]})
    names = [student_id] if student_id is not None else None
    if blocked := blockers(close, names):
        raise ValidationFailed({"close": [_("Undo would undo later changes of: %(names)s.", names="; ".join(
            f"{name} ({why})" for name, why in blocked))]})
    query = select(YearCloseEntry.id, YearCloseEntry.student_id, YearCloseEntry.kind,
                   YearCloseEntry.from_section_ids, YearCloseEntry.to_section_id, YearCloseEntry.previous_status,
                   YearCloseEntry.was_individual).where(YearCloseEntry.close_id == close.id,
                                                        YearCloseEntry.undone_at.is_(None))
    if student_id is not None:
        query = query.where(YearCloseEntry.student_id == student_id)
    entries = db.session.execute(query).all()  # plain rows: a whole school's are read at once
    if student_id is not None and not entries:
        raise NotFound(_("No such student in this close."))
    now, today = utcnow(), date.today()
    section_names = {i: n for i, n in db.session.execute(select(Section.id, Section.name).where(
        Section.school_id == school_id, Section.year_id.in_((close.from_year_id, close.to_year_id))))}
    for chunk in _chunks(entries):
        went = [(e.student_id, e.to_section_id) for e in chunk if e.to_section_id]
        if went:
            db.session.execute(delete(student_section).where(_links_of(student_section, went)))
        back = [(e.student_id, int(i)) for e in chunk for i in e.from_section_ids.split(",") if i]
        if back:
            db.session.execute(delete(past_section_member).where(_links_of(past_section_member, back)))
            db.session.execute(insert(student_section), [{"student_id": s, "section_id": i} for s, i in back])
        gone = defaultdict(list)  # back to the status they had, in one UPDATE a status
        for entry in chunk:
            if entry.kind in (GRADUATED, LEFT):
                gone[entry.previous_status].append(entry.student_id)
        for status, group in gone.items():
            db.session.execute(update(Student).where(id_in(Student.id, group)).values(
                status=status, dropout_date=None, dropout_reason="", dropout_note="", updated_at=now)
                .execution_options(synchronize_session=False))
        individual = [e.student_id for e in chunk if e.was_individual]
        if individual:
            db.session.execute(update(Student).where(id_in(Student.id, individual)).values(is_individual=True)
                               .execution_options(synchronize_session=False))
        returned = [e.student_id for e in chunk if e.kind in (GRADUATED, LEFT)]
        movements.record_many(school_id, returned, MovementKind.RETURNED, today, None, actor,
                              note=_("undo of the year's close"))
        moved = [e for e in chunk if e.kind in (PROMOTED, REPEATED)]
        movements.record_many(school_id, [e.student_id for e in moved], MovementKind.MOVED, today, None, actor,
                              note=_("undo of the year's close"),
                              moves={e.student_id: (section_names.get(e.to_section_id, ""), ", ".join(
                                  section_names.get(int(i), "") for i in e.from_section_ids.split(",") if i))
                                     for e in moved})
        db.session.execute(update(YearCloseEntry).where(id_in(YearCloseEntry.id, [e.id for e in chunk]))
                           .values(undone_at=now).execution_options(synchronize_session=False))
    if student_id is None:
        db.session.execute(update(SchoolYear).where(SchoolYear.school_id == school_id).values(is_current=False)
                           .execution_options(synchronize_session=False))
        db.session.flush()
        db.session.execute(update(SchoolYear).where(SchoolYear.id == close.from_year_id).values(is_current=True)
                           .execution_options(synchronize_session=False))
        close.status, close.undone_at = UNDONE, now
    audit.record("year close undone" if student_id is None else "year close undone for a child", actor=actor,
                 school_id=school_id, details={"from": close.from_year.title, "children": len(entries)})
    db.session.commit()
    return len(entries)


def _links_of(links, pairs: list[tuple[int, int]]):
    """(student, section) IN pairs, looked up by the link table's key."""
    return pairs_in(links.c.student_id, links.c.section_id, pairs)


def _chunks(items):
    items = list(items)
    for begin in range(0, len(items), CHUNK):
        yield items[begin:begin + CHUNK]


def entry_count(close_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(YearCloseEntry).where(
        YearCloseEntry.close_id == close_id))


def entries(close_id: int, *, page: int = 0, size: int = 100) -> list[tuple[YearCloseEntry, str]]:
    """A close's children (name order), a page of them, with their names."""
    rows = db.session.execute(
        select(YearCloseEntry, Student.last_name, Student.first_name, Student.middle_name)
        .join(Student, Student.id == YearCloseEntry.student_id).where(YearCloseEntry.close_id == close_id)
        .order_by(Student.search_key, Student.id).offset(page * size).limit(size)).all()
    return [(entry, " ".join(p for p in (last, first, middle) if p)) for entry, last, first, middle in rows]
