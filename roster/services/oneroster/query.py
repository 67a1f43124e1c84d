"""The query of a OneRoster REST read: its parameters (limit, offset, sort and orderBy, filter, fields) checked
and applied, to records made in Python or to SQL a page at a time, and the specification's error payload."""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import Select, and_, func, or_, select, union_all

from roster.extensions import db

ACTIVE, TO_BE_DELETED = "active", "tobedeleted"


class ApiError(Exception):
    """An answer in the specification's error payload: HTTP status, imsx_CodeMinor value, description."""

    def __init__(self, status: int, code_minor: str, description: str):
        super().__init__(description)
        self.status, self.code_minor, self.description = status, code_minor, description

    def payload(self) -> dict:
        return {"imsx_codeMajor": "failure", "imsx_severity": "error", "imsx_description": self.description,
                "imsx_CodeMinor": {"imsx_codeMinorField": [
                    {"imsx_codeMinorFieldName": "TargetEndSystem", "imsx_codeMinorFieldValue": self.code_minor}]}}


_CONDITION = re.compile(r"\s*([A-Za-z][A-Za-z0-9.]*)\s*(!=|>=|<=|=|>|<|~)\s*'([^']*)'\s*")
_LOGIC = re.compile(r"(AND|OR)\b")
COMPARE = {"=": operator.eq, "!=": operator.ne, ">": operator.gt, ">=": operator.ge, "<": operator.lt,
           "<=": operator.le}


@dataclass
class Params:
    limit: int = 100
    offset: int = 0
    sort: str | None = None
    descending: bool = False
    conditions: tuple = ()  # (field, operator, value)
    logic: str = "AND"
    fields: tuple | None = None


def _number(args, name: str, default: int, low: int, high: int | None = None) -> int:
    text = args.get(name)
    if text is None or text == "":
        return default
    if not text.isdigit() or int(text) < low:
        raise ApiError(400, "invaliddata", f"{name} must be a whole number of at least {low}.")
    return min(int(text), high) if high else int(text)


def parse_filter(text: str) -> tuple[tuple, str]:
    """`givenName='Ann' AND dateLastModified>'2026-01-01T00:00:00Z'`: the conditions and their one logical
    operator (the binding allows one kind, AND or OR, in a filter)."""
    conditions, logic, position = [], set(), 0
    while True:
        match = _CONDITION.match(text, position)
        if match is None:
            raise ApiError(400, "invalid_filter_field", f"The filter {text!r} is not field operator 'value'"
                           " (operators = != > >= < <= ~, joined by AND or OR).")
        conditions.append(match.groups())
        position = match.end()
        if position == len(text):
            break
        joined = _LOGIC.match(text, position)
        if joined is None:
            raise ApiError(400, "invalid_filter_field", f"The filter {text!r} joins its conditions with neither "
                           "AND nor OR.")
        logic.add(joined.group(1))
        position = joined.end()
    if len(logic) > 1:
        raise ApiError(400, "invalid_filter_field", "A filter joins its conditions with AND or with OR, not both.")
    return tuple(conditions), (logic.pop() if logic else "AND")


def params(args) -> Params:
    limit = _number(args, "limit", 100, 1, current_app.config["ONEROSTER_PAGE_LIMIT"])
    offset = _number(args, "offset", 0, 0)
    order = (args.get("orderBy") or "asc").lower()
    if order not in ("asc", "desc"):
        raise ApiError(400, "invaliddata", "orderBy is asc or desc.")
    conditions, logic = parse_filter(args["filter"]) if args.get("filter") else ((), "AND")
    fields = tuple(f.strip() for f in args["fields"].split(",") if f.strip()) if args.get("fields") else None
    return Params(limit, offset, args.get("sort") or None, order == "desc", conditions, logic, fields)


def _timestamp(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(400, "invalid_filter_field", f"{value!r} is not an ISO 8601 date and time.") from None
    if moment.tzinfo is not None:  # stored times are UTC without a zone
        moment = (moment - moment.utcoffset()).replace(tzinfo=None)
    return moment


def select_fields(record: dict, fields: tuple | None) -> dict:
    if fields is None:
        return record
    unknown = [f for f in fields if f not in record]
    if unknown:
        raise ApiError(400, "invalid_selection_field", f"No such field: {', '.join(unknown)}.")
    return {f: record[f] for f in fields}


def _matches(record: dict, condition: tuple) -> bool:
    field, operator, value = condition
    if field not in record:
        raise ApiError(400, "invalid_filter_field", f"No such field to filter on: {field}.")
    have = record[field]
    have = have["sourcedId"] if isinstance(have, dict) else have
    have = "true" if have is True else "false" if have is False else str(have)
    if operator == "~":
        return value.lower() in have.lower()
    return COMPARE[operator](have, value)


def listed(records: list[dict], p: Params) -> tuple[int, list[dict]]:
    """A collection made in Python: filtered, sorted, paged, its fields selected."""
    if p.conditions:
        test = all if p.logic == "AND" else any
        records = [r for r in records if test(_matches(r, c) for c in p.conditions)]
    if p.sort:
        if records and p.sort not in records[0]:
            raise ApiError(400, "invalid_sort_field", f"No such field to sort by: {p.sort}.")
        records = sorted(records, key=lambda r: str(r.get(p.sort, "")), reverse=p.descending)
    page = records[p.offset:p.offset + p.limit]
    return len(records), page


def _condition(table, names: dict, condition: tuple):
    field, operator, value = condition
    if field not in names:
        raise ApiError(400, "invalid_filter_field", f"No such field to filter on: {field}.")
    column = table.c[names[field]]
    if field == "dateLastModified":
        value = _timestamp(value)
    elif field in ("status", "enabledUser"):
        truth = {"status": {ACTIVE: True, TO_BE_DELETED: False}, "enabledUser": {"true": True, "false": False}}
        if value not in truth[field] or operator not in ("=", "!="):
            raise ApiError(400, "invalid_filter_field", f"{field} is compared with = or != to one of "
                           f"{', '.join(truth[field])}.")
        value = truth[field][value]
    if operator == "~":
        return func.lower(column).contains(value.lower(), autoescape=True)
    return COMPARE[operator](column, value)


def _where(table, names: dict, p: Params) -> list:
    where = [_condition(table, names, c) for c in p.conditions]
    return [and_(*where) if p.logic == "AND" else or_(*where)] if where else []


def sql_page(statement: Select, names: dict, p: Params, order: tuple[str, ...]):
    """A page of a collection read in SQL: (total, rows)."""
    table = statement.subquery()
    where = _where(table, names, p)
    total = db.session.scalar(select(func.count()).select_from(table).where(*where))
    keys = [table.c[c] for c in order]
    if p.sort:
        if p.sort not in names:
            raise ApiError(400, "invalid_sort_field", f"No such field to sort by: {p.sort}.")
        column = table.c[names[p.sort]]
        keys.insert(0, column.desc() if p.descending else column)
    rows = db.session.execute(select(table).where(*where).order_by(*keys).limit(p.limit).offset(p.offset)).all()
    return total, rows


def parts_page(parts: list[tuple[Select, tuple[str, ...]]], names: dict, p: Params, union_order: tuple[str, ...]):
    """A page over parts read in turn (students, then teachers), each with its own order (one its indexes give):
    each part is counted and read on its own, so a page at any offset costs an index walk, not a sort of the
    school. A part may bring a cheaper statement to count (when no condition applies). A sort asked for, over
    several parts, is one query over their union."""
    if p.sort and len(parts) > 1:
        return _sorted_union(parts, names, p, union_order)
    if len(parts) == 1:
        return sql_page(parts[0][0], names, p, parts[0][1])
    rows, offset, total = [], p.offset, 0
    for part, order, *counted in parts:
        table = part.subquery()
        where = _where(table, names, p)
        counter = counted[0].subquery() if counted and counted[0] is not None else table
        count = db.session.scalar(select(func.count()).select_from(counter).where(*(where if counter is table
                                                                                     else ())))
        total += count
        if len(rows) < p.limit and offset < count:
            rows += db.session.execute(select(table).where(*where).order_by(*(table.c[c] for c in order))
                                       .limit(p.limit - len(rows)).offset(offset)).all()
        offset = max(0, offset - count)
    return total, rows


def _sorted_union(parts, names: dict, p: Params, order: tuple[str, ...]):
    """A sorted page over several parts: the union sorted as narrow rows (the sort key, which part, which
    record), then the page's records read from their parts."""
    if p.sort not in names:
        raise ApiError(400, "invalid_sort_field", f"No such field to sort by: {p.sort}.")
    table = union_all(*(part[0] for part in parts)).subquery()
    where = _where(table, names, p)
    total = db.session.scalar(select(func.count()).select_from(table).where(*where))
    column = table.c[names[p.sort]]
    keys = db.session.execute(select(table.c.kind, table.c.pk).where(*where)
                              .order_by(column.desc() if p.descending else column, *(table.c[c] for c in order))
                              .limit(p.limit).offset(p.offset)).all()
    found = {}
    for part, *_rest in parts:
        sub = part.subquery()
        for row in db.session.execute(select(sub).where(sub.c.pk.in_([pk for _kind, pk in keys]))):
            found[(row.kind, row.pk)] = row
    return total, [found[key] for key in map(tuple, keys) if key in found]
