"""The Students list as plain values: which students a set of filters names, in which order, and how many.

The list page, its Export and the export of selected rows all ask here, with the same plain values
(filters as (name, text) pairs, a sort column's name), so that a file holds exactly the students on screen.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from flask_babel import gettext
from sqlalchemy import ARRAY, Integer, Select, bindparam, false, func, intersect, or_, select
from sqlalchemy.orm import selectinload

from roster import fields, national_id, permissions
from roster.extensions import db
from roster.i18n import N_
from roster.models import LINKS as MODEL_LINKS
from roster.models import Status, Student, student_name_part
from roster.services.students import school_country
from roster.sql import contains
from roster.text import fold, phone_search_digits, prefix_range, search_words, whole_phone

# Up to this many name matches are looked up first and handed to the list as ids (on PostgreSQL one array
# parameter): a two-letter name ("ан", 2,853 of 100,000 students) went from 54–68 ms to 36–42 ms at 5,000 there.
NAME_MATCH_ID_LIMIT = 5000
WALK_LINKS = 2000  # students holding a filter's items from which a page in name order walks the name index
WALK_ROWS = 200  # ... when it is among the first this many rows


def name_matches(query: str, school_id: int) -> list:
    """Each word of the query must begin a word of the full name (last, first or middle), in any order and case.

    "иван петр" finds "ИВАНОВ Пётр Сергеевич". Each word is a range scan of the name-word index and the words
    meet there (INTERSECT).
    """
    matches = []
    for word in search_words(query):
        low, high = prefix_range(word[:100])
        matches.append(select(student_name_part.c.student_id).where(
            student_name_part.c.school_id == school_id,
            student_name_part.c.part >= low, student_name_part.c.part < high))
    if not matches:
        return []
    ids_query = matches[0] if len(matches) == 1 else intersect(*matches)
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    if len(matches) == 1 and not postgresql:  # one range scan: SQLite reads it as a subquery faster than as ids
        return [Student.id.in_(ids_query)]
    # The matches are read once and handed to the page and to its count as ids: as a subquery each of them ran
    # the range scans and their INTERSECT again ("иванов петр": 8 ms each on SQLite). PostgreSQL, besides,
    # cannot guess how many ids such a subquery yields and would read the whole school.
    ids = db.session.scalars(ids_query.limit(NAME_MATCH_ID_LIMIT + 1)).all()
    if len(ids) > NAME_MATCH_ID_LIMIT:
        return [Student.id.in_(ids_query)]
    if postgresql:
        # A join with the unnested array: with `id = ANY(array)` the planner would rather filter the whole
        # school's index than look up a few thousand ids by primary key (18.6 ms against 9 ms for 2,853).
        return [Student.id.in_(select(func.unnest(bindparam("name_ids", ids, type_=ARRAY(Integer)))))]
    # SQLite: the ids as one JSON parameter read by json_each, so that it looks them up by primary key (as a
    # list of literal parameters it walks the whole school's name index instead: 'сейтказ' 20 -> 40 ms).
    return [Student.id.in_(select(func.json_each(json.dumps(ids)).table_valued("value").c.value))]


def phone_matches(query: str, school_id: int) -> list:
    """Match however either side is written: a whole number, read in the school's country, is an exact
    (indexed) match in E.164; a part of one is found anywhere in the stored numbers (their national significant
    number follows the country code), with or without the country's trunk prefix."""
    region = school_country(school_id)
    whole = whole_phone(query, region)
    if whole:
        return [Student.phone_normalized == whole]
    parts = phone_search_digits(query, region)
    if not parts:
        return [Student.id.is_(None)]
    return [or_(*(contains(Student.phone_normalized, digits) for digits in sorted(parts)))]


def text_matches(name: str):
    """The text anywhere in the field, ignoring case: an email as stored (in lower case); any other text as
    people write it (as typed, lower, upper or capitalised: SQLite's lower() folds only ASCII, and no index
    would serve a folded column anyway)."""
    column = getattr(Student, name)
    if fields.STUDENT[name].kind == fields.EMAIL:
        return lambda query, school_id: [contains(column, fold(query).strip())]

    def matches(query: str, school_id: int) -> list:
        text = query.strip()
        forms = sorted({text, text.lower(), text.upper(), text.capitalize()})
        return [or_(*(contains(column, form) for form in forms))]
    return matches


def exact_matches(name: str):
    """The whole value, in the case typed or in upper or lower case (so a unique index serves it)."""
    column = getattr(Student, name)

    def matches(query: str, school_id: int) -> list:
        value = query.strip()
        if name in national_id.STORED_AS_DIGITS:  # "112-233-445 95" finds what is stored as 11223344595
            value = national_id.SEPARATORS.sub("", value)
        return [column.in_({value, value.upper(), value.lower()})]
    return matches


def named_items(model, school_id: int, wanted: list[str]) -> tuple[list[int], list[str]]:
    """The school's programs, tags or sections named by ids or by names (ignoring case): (ids, what named none).

    Filters and exports take a value typed by hand as well as a suggestion chosen, and never drop one silently.
    """
    rows = db.session.execute(select(model.id, model.name).where(*model.of_school(school_id))).all()
    by_id = {str(i): i for i, _ in rows}
    by_name = {fold(name): i for i, name in rows}
    ids, unknown = set(), []
    for token in (t.strip() for t in wanted):
        if token:
            found = by_id.get(token) or by_name.get(fold(token))
            if found is None:
                unknown.append(token)
            else:
                ids.add(found)
    return sorted(ids), unknown


@dataclass(frozen=True)
class Link:
    """Programs, tags or sections: a student holding any of those a value names."""

    table: object
    model: type
    unknown_message: str  # names that are none of the school's: one whole message per kind (N_)

    def student_ids(self, ids: list[int]):
        """The students holding any of the items: rows of the link table only (its (item, student) index)."""
        if not ids:
            return select(self.table.c.student_id).where(false())
        return select(self.table.c.student_id).where(self.table.c[f"{self.model.__tablename__}_id"].in_(ids))

    def many(self, ids: list[int]) -> bool:
        """At least WALK_LINKS students hold these items (a capped count of the link table's index)."""
        if not ids:
            return False
        return db.session.scalar(select(func.count()).select_from(
            self.student_ids(ids).limit(WALK_LINKS).subquery())) >= WALK_LINKS

    def held(self, ids: list[int]):
        """The condition as EXISTS: checked for each student met, by the link table's (student, item) key."""
        item = self.table.c[f"{self.model.__tablename__}_id"]
        return select(self.table.c.student_id).where(self.table.c.student_id == Student.id, item.in_(ids)).exists()

    def unknown(self, names: str) -> str:
        return gettext(self.unknown_message, names=names)

    def options(self, school_id: int) -> list[tuple[str, str]]:
        rows = db.session.execute(
            select(self.model.id, self.model.name).where(*self.model.of_school(school_id)).order_by(self.model.name))
        return [(str(i), n) for i, n in rows]


# A value that names none of the school's items: one whole message per kind.
UNKNOWN = {
    "programs": N_("No program named %(names)s in this school: no student is listed for the Programs filter."),
    "tags": N_("No tag named %(names)s in this school: no student is listed for the Tags filter."),
    "sections": N_("No section named %(names)s in this school: no student is listed for the Sections filter."),
}
LINKS = {name: Link(table, model, UNKNOWN[name]) for name, (model, table) in MODEL_LINKS.items()}
# How each filter of roster.fields selects: its own matcher for names and phones, else by how it filters.
MATCHERS = {fields.CONTAINS: text_matches, fields.EXACT: exact_matches}
TEXT_FILTERS: dict[str, Callable[[str, int], list]] = {
    name: {"full_name": name_matches, "phone": phone_matches}.get(name) or MATCHERS[how](name)
    for name, how in fields.FILTERS if how in (fields.WORDS, fields.PHONE_MATCH, fields.CONTAINS, fields.EXACT)}
FLAGS = tuple(name for name, how in fields.FILTERS if how == fields.YES_NO)  # "1" or "0"
EQUALS = tuple(name for name, how in fields.FILTERS if how == fields.EQUALS)
STATUS = "status"  # no Status filter: the students studying (today's list); "all": every status
NOT_STUDYING = [s.value for s in Status if s != Status.STUDYING]  # IN, not !=: an index range for each


@dataclass
class Found:
    """What a set of filters names: the conditions, a message for each value that names nothing, and the
    link-table sets that alone can count the list (programs, tags, sections only)."""

    conditions: list = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    link_sets: list = field(default_factory=list)
    only_links: bool = True
    links: dict = field(default_factory=dict)  # each link filter's (Link, item ids), by its place in conditions
    studying_only: int | None = None  # the school whose studying students alone are listed (no Status filter)


def _narrow(found: Found, name: str, value: str, school_id: int) -> None:
    if name in LINKS:
        link = LINKS[name]
        ids, unknown = named_items(link.model, school_id, value.split(","))
        if unknown:
            names = ", ".join(f"“{u[:60]}”" for u in unknown)
            message = link.unknown(names)
            if message not in found.messages:
                found.messages.append(message)
            ids = []
        ids_query = link.student_ids(ids)
        found.links[len(found.conditions)] = (link, ids)
        found.conditions.append(Student.id.in_(ids_query))
        found.link_sets.append(ids_query)
        return
    found.only_links = False
    if name in TEXT_FILTERS:
        found.conditions += TEXT_FILTERS[name](value, school_id)
    elif name in FLAGS:
        found.conditions.append(getattr(Student, name) == (value == "1"))
    elif name in EQUALS:
        found.conditions.append(getattr(Student, name) == value)
    elif name == STATUS:
        if value != "all":
            found.conditions.append(Student.status == value)
    else:
        raise ValueError(f"No filter named {name!r}.")


def find(school_id: int, filters: Iterable[tuple[str, str]], *, actor) -> Found:
    """The students of the school this actor may see that every filter names (the permission checked)."""
    role = permissions.require(actor, school_id, "students.view")
    found = Found(conditions=list(permissions.visible_students(school_id, actor, role)))
    found.only_links = role != permissions.TEACHER  # a teacher's count must go through their sections
    filters = list(filters)
    private = not permissions.allows(role, "students.see_private")
    for name, value in filters:
        if private and name in fields.PRIVATE:  # a teacher's filter by what they may not see matches no one
            found.conditions.append(false())
            found.only_links = False
            continue
        _narrow(found, name, value, school_id)
    if not any(name == STATUS for name, _value in filters):
        found.conditions.append(Student.status == Status.STUDYING.value)
        found.studying_only = school_id
    return found


# The columns a sort names (the list's headers), then always the id: pages never repeat or skip a row.
SORTS = {name: tuple(getattr(Student, c) for c in columns) for name, columns in fields.SORTS.items()}
DEFAULT_SORT = (Student.search_key, Student.id)
SORTABLE = tuple(SORTS)


def ordered(statement: Select, sort: str | None, descending: bool) -> Select:
    """Sorted by the named column (a name that is none of SORTABLE sorts by the id alone), then the id."""
    last = Student.id.desc() if descending else Student.id
    if sort is None:
        return statement.order_by(*DEFAULT_SORT, last)
    if sort not in SORTABLE:
        return statement.order_by(last)
    columns = SORTS[sort]
    return statement.order_by(*(c.desc() if descending else c for c in columns), last)


def statement(found: Found, sort: str | None = None, descending: bool = False, *, ids=None) -> Select:
    """The found students as one SELECT, in the sort's order; `ids` narrows it to rows chosen on the page."""
    query = select(Student).where(*found.conditions)
    if ids is not None:
        query = query.where(Student.id.in_(ids))
    return ordered(query, sort, descending)


def page(found: Found, sort: str | None, descending: bool, number: int, size: int) -> list[Student]:
    """One page of the list, with each student's programs, tags and sections (one query each, not per row)."""
    query = statement(_walking(found, sort, number, size), sort, descending).options(
        selectinload(Student.programs), selectinload(Student.tags), selectinload(Student.sections))
    return list(db.session.scalars(query.limit(size).offset(number * size if number else None)))


def _walking(found: Found, sort: str | None, number: int, size: int) -> Found:
    """SQLite, one of the first pages in name order: a link filter that many students pass checked as EXISTS along
    the name index, which stops after the page. Otherwise SQLite looks up every student holding the item and sorts
    them all (a tag of 12,500 of 100,000: 14 ms against 0.3–1.4 ms); a deep page, though, would walk a long way."""
    if (sort is not None or not found.links or (number or 0) * size + size > WALK_ROWS
            or db.session.get_bind().dialect.name != "sqlite"):
        return found
    walked = {n: link.held(ids) for n, (link, ids) in found.links.items() if link.many(ids)}
    if not walked:
        return found
    return replace(found, conditions=[walked.get(n, c) for n, c in enumerate(found.conditions)])


def count(found: Found, cap: int) -> int | None:
    """How many students were found, stopping at cap + 1 (the caller shows "cap+").

    Programs, tags and sections alone are counted in their link tables (every linked student is of the item's
    school), without reading the students, less the few linked students who are not studying (the list's
    default); anything else counts the filtered list.
    """
    if not (found.link_sets and found.only_links):
        ids = select(Student.id).where(*found.conditions)
        return db.session.scalar(select(func.count()).select_from(ids.limit(cap + 1).subquery()))
    ids = found.link_sets[0].distinct() if len(found.link_sets) == 1 else intersect(*found.link_sets)
    gone = 0
    if found.studying_only is not None:
        linked = ids.subquery()
        gone = db.session.scalar(select(func.count()).select_from(linked).where(linked.c.student_id.in_(
            select(Student.id).where(Student.school_id == found.studying_only, Student.status.in_(NOT_STUDYING)))))
    return db.session.scalar(select(func.count()).select_from(ids.limit(cap + 1 + gone).subquery())) - gone
