"""A child's way through the school: Leave and Return, arrivals, each a movement with its order.

A student who leaves stays in the school's archive (status Left), with the movement that says when, why and by
which order; only Delete erases. Every way in (Add, an import's new rows, an activated sign-up, Return) writes an
"arrived" or "returned" movement, so that the movement book can count from movements alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import selectinload

from roster import permissions
from roster.errors import NotFound, ValidationFailed, too_long
from roster.extensions import db
from roster.i18n import N_
from roster.models import LeaveReason, Movement, MovementKind, Order, Section, Status, Student, UserSession, utcnow
from roster.services import accounts, audit, refusals_roll_back
from roster.sql import id_in

# The reasons a school gives for a leaving, as codes with their words (translated where shown).
REASONS = {
    "moved in the country": N_("moved to another school in the country"),
    "moved abroad": N_("moved abroad"),
    "graduated": N_("graduated"),
    "expelled": N_("expelled"),
    "health": N_("health"),
    "other": N_("other"),
}
# A status's words, where a page says it of a student ("has left").
NOT_STUDYING = {
    Status.LEFT.value: N_("This student has left the school: their record is kept read-only. Return them to change "
                          "it."),
    Status.GRADUATED.value: N_("This student has graduated: their record is kept read-only."),
    Status.TRANSFERRED.value: N_("This student was transferred to another school: their record is kept read-only."),
}


# Reasons Roster writes itself: a transfer between the platform's schools (its leaving, its arrival).
TRANSFERRED, FROM_PLATFORM = "transferred", "from a school of the platform"
OWN_REASONS = {TRANSFERRED: N_("transferred to a school of the platform"),
               FROM_PLATFORM: N_("from a school of the platform")}


def reasons(school_id: int) -> list[tuple[str, str]]:
    """The reasons a leaving may give in this school: Roster's (translated) and the school's own."""
    own = db.session.scalars(select(LeaveReason.name).where(LeaveReason.school_id == school_id)
                             .order_by(LeaveReason.name))
    return [(code, _(text)) for code, text in REASONS.items()] + [(name, name) for name in own]


@refusals_roll_back
def save_reason(school_id: int, reason_id: int | None, name: str, *, actor) -> int:
    """Add or rename one of the school's own reasons; its name is what the leavings it is given keep."""
    permissions.require(actor, school_id, "students.edit")
    name = " ".join((name or "").split())
    if not name:
        raise ValidationFailed({"name": [_("Enter the reason.")]})
    if len(name) > 120:
        raise ValidationFailed({"name": [too_long(120)]})
    taken = db.session.scalar(select(LeaveReason.id).where(LeaveReason.school_id == school_id,
                                                           func.lower(LeaveReason.name) == name.lower()))
    if (taken and taken != reason_id) or name in REASONS or name.lower() in {_(t).lower() for t in REASONS.values()}:
        raise ValidationFailed({"name": [_("The list already has this reason.")]})
    reason = LeaveReason(school_id=school_id) if reason_id is None else db.session.scalar(
        select(LeaveReason).where(LeaveReason.id == reason_id, LeaveReason.school_id == school_id))
    if reason is None:
        raise NotFound(_("No such reason in this school."))
    reason.name = name
    db.session.add(reason)
    db.session.flush()
    audit.record("leave reason saved", actor=actor, school_id=school_id, details={"name": name})
    db.session.commit()
    return reason.id


def delete_reason(school_id: int, reason_id: int, *, actor) -> None:
    """Take one of the school's own reasons off the list; the leavings that gave it keep it."""
    permissions.require(actor, school_id, "students.edit")
    reason = db.session.scalar(select(LeaveReason).where(LeaveReason.id == reason_id,
                                                         LeaveReason.school_id == school_id))
    if reason is None:
        raise NotFound(_("No such reason in this school."))
    audit.record("leave reason deleted", actor=actor, school_id=school_id, details={"name": reason.name})
    db.session.delete(reason)
    db.session.commit()


def reason_label(code: str) -> str:
    text = REASONS.get(code) or OWN_REASONS.get(code)
    return _(text) if text else code


@dataclass(frozen=True)
class OrderGiven:
    """An order as a form gives it: a number and a date, both or neither."""

    number: str = ""
    on: date | None = None


def _order(school_id: int, given: OrderGiven | None, errors: dict, *, on: date | None = None) -> Order | None:
    """The school's order of that number and year, made when new; a number already used that year for another
    date is a typo to fix, not a second order. A number without a date is dated `on` (the movement's date)."""
    if given is not None and given.number and given.on is None and isinstance(on, date):
        given = OrderGiven(given.number, on)
    number = " ".join((given.number if given else "").split())
    if not number and (given is None or given.on is None):
        return None
    if not number:
        errors.setdefault("order_number", []).append(_("Enter the order's number, or clear its date."))
        return None
    if len(number) > 50:
        errors.setdefault("order_number", []).append(too_long(50))
        return None
    if given.on is None:
        errors.setdefault("order_date", []).append(_("Enter the order's date."))
        return None
    existing = db.session.scalar(select(Order).where(Order.school_id == school_id, Order.year == given.on.year,
                                                     Order.number == number))
    if existing is not None and existing.date != given.on:
        errors.setdefault("order_number", []).append(_(
            "Order %(number)s of %(year)s is dated %(date)s: check the number or the date.", number=number,
            year=given.on.year, date=existing.date.isoformat()))
        return None
    if existing is not None:
        return existing
    order = Order(school_id=school_id, number=number, year=given.on.year, date=given.on)
    db.session.add(order)
    db.session.flush()
    return order


def _check_date(on, errors: dict, field: str = "date") -> None:
    if not isinstance(on, date):
        errors.setdefault(field, []).append(_("Enter a date as YYYY-MM-DD."))
    elif on > date.today():
        errors.setdefault(field, []).append(_("The date cannot be in the future."))
    elif on.year < 1900:
        errors.setdefault(field, []).append(_("Enter a date after 1900."))


# Ids per query: SQLite takes at most 32,766 parameters, and a bulk action may name 100,000. On PostgreSQL each
# chunk is one array parameter (roster.sql.id_in): psycopg prepares a statement run five times, and a prepared
# `IN ($1, …, $1000)` got a generic plan that read the table (0.6 s a chunk, not 25 ms).
CHUNK = 1000


def _chunks(ids):
    ids = list(ids)
    for start in range(0, len(ids), CHUNK):
        yield ids[start:start + CHUNK]


def _students(ids, school_id: int, actor, role, *, sections: bool = False) -> list[Student]:
    """The students of these ids the actor may change in the school (one query a chunk), with their sections
    when the caller changes those."""
    found = []
    for chunk in _chunks(sorted({int(i) for i in ids})):
        query = select(Student).where(id_in(Student.id, chunk), *permissions.visible_students(school_id, actor, role))
        found += db.session.scalars(query.options(selectinload(Student.sections)) if sections else query)
    return found


@refusals_roll_back
def leave(student_ids, school_id: int, *, on, reason: str, order: OrderGiven | None = None, note: str = "",
          actor) -> tuple[list[int], list[tuple[str, str]]]:
    """The students leave the school on that date, for that reason, by that order: each keeps their record (read
    only), no longer on today's list nor able to sign in here. Returns (who left, (name, why not) of the rest)."""
    role = permissions.require(actor, school_id, "students.edit")
    errors: dict[str, list[str]] = {}
    _check_date(on, errors)
    reason = (reason or "").strip()
    if reason not in dict(reasons(school_id)):
        errors["reason"] = [_("Choose a reason from the list.")]
    note = (note or "").strip()
    if len(note) > 2000:
        errors["note"] = [too_long(2000)]
    the_order = _order(school_id, order, errors, on=on)
    if errors:
        raise ValidationFailed(errors)
    students = _students(student_ids, school_id, actor, role)
    if not students:
        raise NotFound(_("No such student in this school."))
    left, skipped = [], []
    last = _last_dates([s.id for s in students])
    for student in students:
        if student.status != Status.STUDYING.value:
            skipped.append((student.full_name, _("not studying")))
            continue
        if student.id in last and last[student.id] > on:
            skipped.append((student.full_name, _("arrived after that date (%(date)s)",
                                                 date=last[student.id].isoformat())))
            continue
        left.append(student.id)
    for chunk in _chunks(left):  # one UPDATE a thousand, not one a student (10,000 on PostgreSQL: 8.6 s -> ...)
        db.session.execute(update(Student).where(id_in(Student.id, chunk)).values(
            status=Status.LEFT.value, dropout_date=on, dropout_reason=reason, dropout_note=note, updated_at=utcnow())
            .execution_options(synchronize_session=False))
    _record(school_id, left, MovementKind.LEFT, on, the_order, actor, reason=reason, note=note)
    leaving = set(left)
    _end_sessions([s.user for s in students if s.id in leaving and s.user_id is not None])
    if left:
        audit.record("students left", actor=actor, school_id=school_id,
                     details={"count": len(left), "reason": reason, "order": the_order.number if the_order else ""})
    db.session.commit()
    return left, skipped


@refusals_roll_back
def return_(student_id: int, school_id: int, *, on, order: OrderGiven | None = None, actor) -> None:
    """A student who left comes back on that date: studying again, with a Returned movement (the Left one stays)."""
    role = permissions.require(actor, school_id, "students.edit")
    [student] = _students([student_id], school_id, actor, role) or [None]
    if student is None:
        raise NotFound(_("No such student in this school."))
    errors: dict[str, list[str]] = {}
    if student.status != Status.LEFT.value:
        errors["date"] = [_("Only a student who has left can return.")]
    _check_date(on, errors)
    since = _last_dates([student.id]).get(student.id)
    if not errors and since is not None and on < since:
        errors["date"] = [_("The student left on %(date)s: they return on that day or later.", date=since.isoformat())]
    the_order = _order(school_id, order, errors, on=on)
    if errors:
        raise ValidationFailed(errors)
    student.status = Status.STUDYING.value
    student.dropout_date, student.dropout_reason, student.dropout_note = None, "", ""
    _record(school_id, [student.id], MovementKind.RETURNED, on, the_order, actor)
    audit.record("student returned", actor=actor, school_id=school_id, target=student,
                 details={"order": the_order.number if the_order else ""})
    db.session.commit()


def _end_sessions(users) -> None:
    """A student who may no longer sign in anywhere is signed out now, not at their session's end."""
    gone = [user.id for user in users if accounts.refusal(user)]
    for chunk in _chunks(gone):
        db.session.execute(delete(UserSession).where(id_in(UserSession.user_id, chunk)))


def arrived(school_id: int, student_ids: list[int], *, on: date | None = None, order: Order | None = None,
            actor=None) -> None:
    """Arrivals (Add, an import's new rows, an activated sign-up): one movement each, in the caller's
    transaction, in bulk. A child arrives once: one with a movement already (added by the school, then their
    sign-up activated) is not arriving again."""
    known = {sid for chunk in _chunks(student_ids) for sid in db.session.scalars(
        select(Movement.student_id).where(id_in(Movement.student_id, chunk)))}
    _record(school_id, [i for i in student_ids if i not in known], MovementKind.ARRIVED, on or date.today(), order,
            actor)


def check_order(school_id: int, given: OrderGiven | None, *, on: date | None = None) -> None:
    """Raise ValidationFailed now for an order that could not be made later (an import's, at its run)."""
    errors: dict[str, list[str]] = {}
    with db.session.no_autoflush:
        _order(school_id, given, errors, on=on)
    db.session.rollback()  # an order made new here is made again, for real, when the job runs
    if errors:
        raise ValidationFailed(errors)


def order_for(school_id: int, given: OrderGiven | None, *, on: date | None = None) -> Order | None:
    """The order a form or an import names (made when new); ValidationFailed when it cannot be."""
    errors: dict[str, list[str]] = {}
    the_order = _order(school_id, given, errors, on=on)
    if errors:
        raise ValidationFailed(errors)
    return the_order


MOVEMENT_COLUMNS = ("school_id", "student_id", "kind", "date", "reason", "note", "order_id", "actor_id", "created_at",
                    "from_sections", "to_sections")


def rows(school_id: int, student_ids: list[int], kind: MovementKind, on: date, order: Order | None, actor, *,
         reason: str = "", note: str = "", moves: dict[int, tuple[str, str]] | None = None) -> list[tuple]:
    """Movements as plain rows of MOVEMENT_COLUMNS: what every writer of movements writes (an import in bulk)."""
    actor_id = getattr(actor, "id", None) if getattr(actor, "is_authenticated", False) else None
    order_id, now = (order.id if order else None), utcnow()
    moves = moves or {}
    return [(school_id, sid, kind.value, on, reason, note, order_id, actor_id, now, *moves.get(sid, ("", "")))
            for sid in student_ids]


def _record(school_id: int, student_ids: list[int], kind: MovementKind, on: date, order: Order | None, actor,
            *, reason: str = "", note: str = "", moves: dict[int, tuple[str, str]] | None = None) -> None:
    if student_ids:
        db.session.execute(insert(Movement), [dict(zip(MOVEMENT_COLUMNS, row, strict=True)) for row in rows(
            school_id, student_ids, kind, on, order, actor, reason=reason, note=note, moves=moves)])


def record(school_id: int, student_ids: list[int], kind: MovementKind, on: date, actor, *, reason: str = "",
           note: str = "") -> None:
    """Movements another service makes (a transfer's two ends), in its transaction."""
    _record(school_id, student_ids, kind, on, None, actor, reason=reason, note=note)


def record_many(school_id: int, student_ids: list[int], kind: MovementKind, on: date, order: Order | None, actor,
                *, reason: str = "", note: str = "", moves: dict[int, tuple[str, str]] | None = None) -> None:
    """Movements of one kind, date and order for many children (a year's close), in the caller's transaction."""
    _record(school_id, student_ids, kind, on, order, actor, reason=reason, note=note, moves=moves)


def end_sessions_of(student_ids: list[int]) -> None:
    """The children's accounts are signed out where they may no longer sign in (they left, graduated)."""
    users = [s.user for chunk in _chunks(student_ids) for s in db.session.scalars(
        select(Student).where(id_in(Student.id, chunk), Student.user_id.is_not(None))
        .options(selectinload(Student.user)))]
    _end_sessions(users)


def moved(school_id: int, changes: dict[int, tuple[list[str], list[str]]], *, on: date | None = None,
          order: Order | None = None, actor=None) -> None:
    """Students whose sections changed (the form, an import, Move to section): a Moved movement each, with the
    sections' names before and after, in the caller's transaction."""
    moves = {sid: (", ".join(sorted(before))[:500], ", ".join(sorted(after))[:500])
             for sid, (before, after) in changes.items() if sorted(before) != sorted(after)}
    _record(school_id, list(moves), MovementKind.MOVED, on or date.today(), order, actor, moves=moves)


@refusals_roll_back
def move_to_section(student_ids, school_id: int, section_id, *, on, order: OrderGiven | None = None,
                    actor) -> tuple[list[int], list[tuple[str, str]]]:
    """Move To section: each student's sections become that one (their class); a Moved movement each. Returns
    (who moved, (name, why not) of the rest)."""
    role = permissions.require(actor, school_id, "students.edit")
    errors: dict[str, list[str]] = {}
    _check_date(on, errors)
    section = db.session.scalar(select(Section).where(Section.id == section_id, *Section.of_school(school_id))) \
        if isinstance(section_id, int) else None
    if section is None:
        errors["section"] = [_("Choose from this school's list.")]
    the_order = _order(school_id, order, errors, on=on)
    if errors:
        raise ValidationFailed(errors)
    students = _students(student_ids, school_id, actor, role, sections=True)
    if not students:
        raise NotFound(_("No such student in this school."))
    done, skipped, changes = [], [], {}
    for student in students:
        before = [s.name for s in student.sections]
        if student.status != Status.STUDYING.value:
            skipped.append((student.full_name, _("not studying")))
        elif before == [section.name]:
            skipped.append((student.full_name, _("already in %(section)s", section=section.name)))
        else:
            student.sections = [section]
            changes[student.id] = (before, [section.name])
            done.append(student.id)
    moved(school_id, changes, on=on, order=the_order, actor=actor)
    if done:
        audit.record("students moved", actor=actor, school_id=school_id,
                     details={"count": len(done), "section": section.name,
                              "order": the_order.number if the_order else ""})
    db.session.commit()
    return done, skipped


def _last_dates(student_ids: list[int]) -> dict[int, date]:
    """Each student's latest movement date: nobody leaves before they came, nor returns before they left."""
    return {sid: day for chunk in _chunks(student_ids) for sid, day in db.session.execute(
        select(Movement.student_id, func.max(Movement.date)).where(id_in(Movement.student_id, chunk))
        .group_by(Movement.student_id))}


def history(student_id: int) -> list[Movement]:
    """A student's movements, oldest first."""
    return list(db.session.scalars(select(Movement).where(Movement.student_id == student_id)
                                   .order_by(Movement.date, Movement.id)))


def forget(student_ids: list[int]) -> None:
    """An erased child's movements stay for the book's counts, without them: no student, no note."""
    if student_ids:
        db.session.execute(update(Movement).where(Movement.student_id.in_(student_ids))
                           .values(former_student=Movement.student_id, student_id=None, note="")
                           .execution_options(synchronize_session=False))


def require_studying(student: Student) -> None:
    """The one rule for a record that is not on today's list: read-only (Edit, Change email, Credentials)."""
    if student.status != Status.STUDYING.value:
        raise ValidationFailed({"status": [_(NOT_STUDYING[student.status])]})
