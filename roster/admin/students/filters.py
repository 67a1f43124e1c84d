"""The Students list's filters over names of the school (programs, tags, sections) and over text fields."""

from typing import NamedTuple

from flask import g
from flask_admin.contrib.sqla import filters as sqla_filters
from sqlalchemy import false, select

from roster.admin import context
from roster.extensions import db
from roster.models import (
    Student,
)
from roster.services import students


class LinkChoice(NamedTuple):
    ids: list[int]  # the school's items the filter value names
    unknown: list[str]  # what it names that is none of them


def _student_text_filter(name: str, operation: str, conditions, *, per_school=False):
    """A text filter whose matching lives in roster.services.students."""

    class TextFilter(sqla_filters.BaseSQLAFilter):
        def apply(self, query, value, alias=None):
            return query.filter(*(conditions(value, context.school_id()) if per_school else conditions(value)))

        def operation(self):
            return operation

    return TextFilter(Student.id, name)


class LinkFilter(sqla_filters.BaseSQLAFilter):
    """Programs, tags or sections: any of those chosen.

    `id IN (link rows)`, not a join: no student twice and counts stay right; and the link table's
    (other_id, student_id) index answers it without visiting every student of the school.
    A value names the school's items by id (a suggestion chosen) or by name, matched ignoring case (typed, or
    an address written by hand); a value that names none of them lists no one and says so beside the filters,
    never the whole school.
    """

    def __init__(self, name: str, link_table, model, noun: str):
        super().__init__(Student.id, name, data_type="select2-tags")
        self.link_table, self.model, self.noun = link_table, model, noun
        self.link_column = link_table.c[f"{model.__tablename__}_id"]

    def school_options(self, school_id: int):
        rows = db.session.execute(
            select(self.model.id, self.model.name).where(self.model.school_id == school_id).order_by(self.model.name)
        )
        return [(str(i), n) for i, n in rows]

    def validate(self, value):
        return True  # every value is answered: by its items, or by a message that it names none

    def clean(self, value) -> LinkChoice:
        cache = g.setdefault("link_choices", {})
        key = (self.name, value)
        if key not in cache:
            cache[key] = self._resolve(value)
        return cache[key]

    def _resolve(self, value: str) -> LinkChoice:
        return LinkChoice(*students.named_items(self.model, context.school_id(), value.split(",")))

    def message(self, choice: LinkChoice) -> str | None:
        if not choice.unknown:
            return None
        names = ", ".join(f"“{u[:60]}”" for u in choice.unknown)
        return f"No {self.noun} named {names} in this school: no student is listed for the {self.name} filter."

    def student_ids(self, value: LinkChoice):
        """The students holding any of the chosen items: rows of the link table only."""
        if value.unknown or not value.ids:
            return select(self.link_table.c.student_id).where(false())
        return select(self.link_table.c.student_id).where(self.link_column.in_(value.ids))

    def apply(self, query, value, alias=None):
        message = self.message(value)
        if message and message not in g.setdefault("filter_messages", []):
            g.filter_messages.append(message)
        return query.filter(Student.id.in_(self.student_ids(value)))

    def operation(self):
        return "any of"
