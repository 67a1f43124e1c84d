"""The book of student movement (книга движения учащихся): for a period and the school or a section, how many
were on the list at its start, how many arrived and returned, how many left (by reason), and how many at its end,
with the children behind every number. Computed from movements and the list, never typed.

A child is on the list on a day when their last movement up to that day is an arrival or a return. A child with
no movement up to that day was on it when their first movement after it is a leaving (they came before Roster
kept movements), or, with no movement at all, when they are studying today.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from roster import permissions
from roster.errors import ValidationFailed
from roster.extensions import db
from roster.models import Movement, MovementKind, Order, Status, Student, student_section
from roster.services import audit

ERASED = "[erased]"
PAGE_SIZE = 100  # the book's rows a page shows; the export holds them all
PRESENT_AFTER = {MovementKind.ARRIVED.value: True, MovementKind.RETURNED.value: True, MovementKind.LEFT.value: False}


@dataclass
class Entry:
    """A child of the book: who, and their arrivals and departures in the period (date, order number)."""

    student_id: int
    name: str
    arrived: list[tuple[date, str]] = field(default_factory=list)
    left: list[tuple[date, str, str]] = field(default_factory=list)  # (date, reason, order number)


@dataclass
class Book:
    start: date
    end: date
    # The children behind each figure: one id a movement (a child who left twice in the period counts twice).
    at_start: list[int] = field(default_factory=list)
    arrived: list[int] = field(default_factory=list)
    returned: list[int] = field(default_factory=list)
    left: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))  # by reason
    arrived_by: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))  # by where from
    at_end: list[int] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)  # every child on the list at some day of the period
    months: list[tuple[date, int, int]] = field(default_factory=list)  # (month, arrivals and returns, leavings)

    @property
    def left_total(self) -> int:
        return sum(len(ids) for ids in self.left.values())

    def page(self, number: int, size: int = PAGE_SIZE) -> list[Entry]:
        """One page of the alphabetical book, its names read now."""
        return _named(self.entries[number * size:(number + 1) * size])

    def rows(self):
        """Every entry of the book with its name, a chunk at a time (for the export)."""
        for start in range(0, len(self.entries), 1000):
            yield from _named(self.entries[start:start + 1000])

    def children(self, figure: str, reason: str | None = None) -> list[int]:
        """The ids behind one number of the book (as many as the number)."""
        if figure == "left":
            return list(self.left.get(reason, [])) if reason else [i for ids in self.left.values() for i in ids]
        if figure == "arrived" and reason is not None:
            return list(self.arrived_by.get(reason, []))
        return list({"at_start": self.at_start, "arrived": self.arrived, "returned": self.returned,
                     "at_end": self.at_end}[figure])


def period(preset: str | None, start: date | None, end: date | None, *, today: date | None = None,
           year=None):
    """The book's dates: a custom range, else this quarter ("quarter") or this school year ("year": the
    school's current year, `year`, else the one from 1 September that holds today)."""
    today = today or date.today()
    if start or end:
        if not (start and end):
            raise ValidationFailed({"start": [_("Enter both dates of the period.")]})
        if start > end:
            raise ValidationFailed({"start": [_("The period's start comes after its end.")]})
        return start, end
    if preset == "year":
        if year is not None:
            return year.start, year.end
        first = date(today.year if today.month >= 9 else today.year - 1, 9, 1)
        return first, date(first.year + 1, 8, 31)
    first = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    last = (date(first.year + (first.month + 3 > 12), (first.month + 2) % 12 + 1, 1) - timedelta(days=1))
    return first, last


def compute(school_id: int, start: date, end: date, *, actor, section_id: int | None = None) -> Book:
    """The book of the school (or one of its sections) for the period; teachers, of their sections only.

    At 100,000 students it reads the ids in name order from the name index, the statuses of the few who are not
    studying, and the movements; names are read only for the book's rows shown (`Book.page`, `Book.rows`).
    """
    role = permissions.require(actor, school_id, "students.view")
    scope = [Student.school_id == school_id, *permissions.visible_students(school_id, actor, role)]
    if section_id is not None:
        scope.append(Student.id.in_(select(student_section.c.student_id)
                                    .where(student_section.c.section_id == section_id)))
    ordered = db.session.scalars(select(Student.id).where(*scope).order_by(Student.search_key, Student.id)).all()
    in_scope = set(ordered)
    away = set(db.session.scalars(select(Student.id).where(*scope, Student.status.in_(
        [s.value for s in Status if s != Status.STUDYING]))))
    by_student: dict[int, list[tuple]] = defaultdict(list)
    rows = db.session.execute(
        select(Movement.student_id, Movement.former_student, Movement.kind, Movement.date, Movement.reason,
               Order.number)
        .outerjoin(Order, Order.id == Movement.order_id)
        .where(Movement.school_id == school_id, Movement.kind.in_(list(PRESENT_AFTER)))  # moves count no one
        .order_by(Movement.date, Movement.id))
    whole_school = section_id is None and role != permissions.TEACHER
    for student_id, former, kind, day, reason, number in rows:
        if student_id in in_scope:
            by_student[student_id].append((kind, day, reason, number or ""))
        elif student_id is None and former is not None and whole_school:  # an erased child: counted, unnamed
            if -former not in by_student:
                ordered.append(-former)
                away.add(-former)
            by_student[-former].append((kind, day, reason, number or ""))
    book = Book(start, end)
    monthly: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for student_id in ordered:
        history = by_student.get(student_id)
        if not history:  # most of a school: no movement, on the list throughout if studying
            if student_id not in away:
                book.at_start.append(student_id)
                book.at_end.append(student_id)
                book.entries.append(Entry(student_id, ""))
            continue
        present = _present_before(history, start, Status.LEFT.value if student_id in away else Status.STUDYING.value)
        entry = Entry(student_id, "")
        if present:
            book.at_start.append(student_id)
        ever = present
        for kind, day, reason, number in history:
            if day < start or day > end:
                continue
            month = day.replace(day=1)
            if kind == MovementKind.LEFT.value:
                book.left[reason or ""].append(student_id)
                entry.left.append((day, reason, number))
                monthly[month][1] += 1
                present = False
            else:
                if kind == MovementKind.RETURNED.value:
                    book.returned.append(student_id)
                else:
                    book.arrived.append(student_id)
                    book.arrived_by[reason or ""].append(student_id)
                entry.arrived.append((day, number))
                monthly[month][0] += 1
                present = ever = True
        if present:
            book.at_end.append(student_id)
        if ever:
            book.entries.append(entry)
    month = start.replace(day=1)
    while month <= end:
        book.months.append((month, *monthly.get(month, [0, 0])))
        month = (month + timedelta(days=32)).replace(day=1)
    return book


def _present_before(history: list[tuple], start: date, status: str) -> bool:
    before = [kind for kind, day, _reason, _number in history if day < start]
    if before:
        return PRESENT_AFTER[before[-1]]
    if history:
        return history[0][0] == MovementKind.LEFT.value
    return status == Status.STUDYING.value


def record_export(school_id: int, book: Book, fmt: str, *, actor) -> None:
    """A download of the book names children: audited as an export, with its period and size."""
    audit.record("movement book exported", actor=actor, school_id=school_id, details={
        "format": fmt, "start": book.start.isoformat(), "end": book.end.isoformat(), "rows": len(book.entries)})
    db.session.commit()


def names_of(ids) -> dict[int, str]:
    """Full names of some students (an erased child, by the negative number they are kept under: "[erased]")."""
    ids = [i for i in ids if i > 0]
    names = {i: ERASED for i in ids}
    for start in range(0, len(ids), 1000):
        for sid, last_name, first_name, middle_name in db.session.execute(
                select(Student.id, Student.last_name, Student.first_name, Student.middle_name)
                .where(Student.id.in_(ids[start:start + 1000]))):
            names[sid] = " ".join(p for p in (last_name, first_name, middle_name) if p)
    return names


def _named(entries: list[Entry]) -> list[Entry]:
    names = names_of([e.student_id for e in entries])
    for entry in entries:
        entry.name = names.get(entry.student_id, ERASED)
    return entries
