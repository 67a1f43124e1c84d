"""A school's orders (приказы, бұйрықтар): each with the movements it ordered, for the Orders page and an order's
printable page."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select

from roster import permissions
from roster.errors import NotFound
from roster.extensions import db
from roster.models import Movement, Order, School, Student


@dataclass(frozen=True)
class Listed:
    order: Order
    movements: int
    kinds: tuple[str, ...]


def of_school(school_id: int, *, actor) -> list[Listed]:
    """The school's orders, newest first, each with how many movements it ordered and of which kinds."""
    permissions.require(actor, school_id, "students.edit")
    counts: dict[int, dict[str, int]] = {}
    for order_id, kind, count in db.session.execute(
            select(Movement.order_id, Movement.kind, func.count()).where(
                Movement.school_id == school_id, Movement.order_id.is_not(None))
            .group_by(Movement.order_id, Movement.kind)):
        counts.setdefault(order_id, {})[kind] = count
    orders = db.session.scalars(select(Order).where(Order.school_id == school_id)
                                .order_by(Order.date.desc(), Order.id.desc()))
    return [Listed(o, sum(counts.get(o.id, {}).values()), tuple(sorted(counts.get(o.id, {})))) for o in orders]


def printable(order_id: int, school_id: int, *, actor) -> tuple[School, Order, list[tuple[str, Movement]]]:
    """An order of the school with its movements and the children's names (another school's: not found)."""
    permissions.require(actor, school_id, "students.edit")
    order = db.session.scalar(select(Order).where(Order.id == order_id, Order.school_id == school_id))
    if order is None:
        raise NotFound(_("No such order in this school."))
    rows = db.session.execute(
        select(Movement, Student.last_name, Student.first_name, Student.middle_name)
        .outerjoin(Student, Student.id == Movement.student_id)
        .where(Movement.order_id == order.id).order_by(Student.search_key, Movement.id)).all()
    named = [(" ".join(p for p in (last, first, middle) if p) or "[erased]", movement)
             for movement, last, first, middle in rows]
    return db.session.get(School, school_id), order, named
