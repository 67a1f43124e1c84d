"""Writing an import in bulk: new students, changed fields, links and guardians (COPY on PostgreSQL)."""

from __future__ import annotations

import logging
import operator
from collections import defaultdict

from sqlalchemy import DateTime, delete, insert, select, text, update

from roster import fields
from roster.extensions import db
from roster.models import (
    LINKS,
    AccountStatus,
    Guardian,
    Movement,
    MovementKind,
    Section,
    Source,
    Status,
    Student,
    student_name_part,
    utcnow,
)
from roster.services import duplicates, movements, years
from roster.services import students as student_service
from roster.services.importing.columns import LABELS, chunks
from roster.services.importing.results import RowResult
from roster.sql import id_in, insert_plain
from roster.text import fold, name_parts, name_search_key

log = logging.getLogger(__name__)

# A new student's values for the columns a file leaves empty: every row of one bulk INSERT has the same keys.
NEW_STUDENT = {"phone_normalized": "", **{name: fields.STUDENT[name].empty for name in fields.IMPORTED_VALUES}}


# An update's fields that duplicates are found by (roster.services.duplicates): a change to one re-indexes it.
KEYED = {"last_name", "first_name", "birth_date", "phone_normalized", "email", "national_id"}
GUARDIANS_LABEL = "Guardians"

WRITE_CHUNK = 5000  # rows per round of statements: memory stays flat however long the file is


def write_rows(rows: list[RowResult], in_file: set[str], school_id: int, *, order=None) -> dict[str, list[str]]:
    """Write the new and changed rows in bulk: a few statements per 5,000 rows, never one per row. `order`: the
    new students' order of arrival (movements.OrderGiven), made now where new."""
    written = [row for row in rows if row.status in ("new", "update")]
    link_ids, new_names = _ensure_names(written, in_file, school_id)
    now = utcnow()
    the_order = movements.order_for(school_id, order) if any(row.status == "new" for row in written) else None
    for chunk in chunks(written, WRITE_CHUNK):
        _insert_new([row for row in chunk if row.status == "new"], school_id, now, the_order)
        _update_changed([row for row in chunk if row.status == "update"], school_id, now)
        _write_links_and_guardians(chunk, link_ids)
    return new_names


def _insert_new(new: list[RowResult], school_id: int, now, order=None) -> None:
    if not new:
        return
    records = []
    for row in new:
        record = {**NEW_STUDENT, **row.values}
        record.update(school_id=school_id, source=Source.IMPORT.value, created_at=now, updated_at=now,
                      account_status=AccountStatus.NO_ACCOUNT.value, status=Status.STUDYING.value,
                      search_key=name_search_key(record["last_name"], record["first_name"], record["middle_name"]))
        records.append(record)
    ids = _insert_returning_ids(records)
    for row, student_id in zip(new, ids, strict=True):
        row.student_id = student_id
    insert_plain(student_name_part, ("student_id", "school_id", "part"), [
        (sid, school_id, part) for record, sid in zip(records, ids, strict=True)
        for part in name_parts(record["search_key"])])
    duplicates.write_keys([(sid, key, wide) for row, sid in zip(new, ids, strict=True)
                           for key, wide in (row.keys if row.keys is not None else
                                             duplicates.keys(duplicates.person(row.values, _guardians(row)))).items()],
                          school_id)
    for row in new:
        row.keys = None  # written: 100,000 rows need not hold them to the end
    # Each new student arrived today, by the job's order where it names one.
    insert_plain(Movement.__table__, movements.MOVEMENT_COLUMNS,
                  movements.rows(school_id, ids, MovementKind.ARRIVED, now.date(), order, None))


def _insert_returning_ids(records: list[dict]) -> list[int]:
    """Insert students and return their ids in order, the fastest way each database allows.

    PostgreSQL: the ids are drawn from the table's sequence in one query and the rows go in by COPY (15x
    faster than batched INSERTs here). SQLite could return ids in order only one row per statement, so there
    the rows go in one executemany and the ids are read back: SQLite gives each new row the largest id so far
    plus one, and no one else can insert while this transaction holds the write lock, so the newest
    len(records) ids of the table are these rows', in order.
    """
    table = Student.__table__
    if db.session.get_bind().dialect.name == "postgresql":
        sequence = db.session.scalar(text("SELECT pg_get_serial_sequence('student', 'id')"))
        ids = db.session.scalars(text("SELECT nextval(CAST(:sequence AS regclass)) FROM generate_series(1, :n)"),
                                 {"sequence": sequence, "n": len(records)}).all()
        columns = tuple(records[0])
        rows = [(student_id, *(record[c] for c in columns)) for student_id, record in zip(ids, records, strict=True)]
        insert_plain(table, ("id", *columns), rows)
        return ids
    columns = tuple(records[0])
    insert_plain(table, columns, _sqlite_rows(table, columns, records))
    ids = db.session.scalars(select(table.c.id).order_by(table.c.id.desc()).limit(len(records))).all()
    return ids[::-1]


def _sqlite_rows(table, columns: tuple[str, ...], records: list[dict]) -> list[tuple]:
    """The records as tuples for the driver's executemany (SQLAlchemy's per-row parameter handling was a third of
    the insert). Date-times are written as SQLAlchemy writes them on SQLite (with microseconds, which sqlite3's
    own adapter leaves out when they are 0), each distinct value once: they are the import's moment."""
    dialect = db.session.get_bind().dialect
    values = operator.itemgetter(*columns)
    rows = [values(record) for record in records]
    moments = {position: _Processed(table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
               for position, name in enumerate(columns) if isinstance(table.c[name].type, DateTime)}
    if not moments:
        return rows
    return [tuple(moments[n][v] if v is not None and n in moments else v for n, v in enumerate(row)) for row in rows]


class _Processed(dict):
    """A value as a type's bind processor writes it, worked out once per distinct value."""

    def __init__(self, process):
        super().__init__()
        self.process = process

    def __missing__(self, value):
        self[value] = result = self.process(value)
        return result


def _update_changed(changed: list[RowResult], school_id: int, now) -> None:
    """Write the fields each update changes, one executemany per set of fields. A student whose own fields stay
    (only programs, tags, sections or guardians change) is not rewritten, as when the form changes only tags."""
    by_fields: dict[tuple, list[dict]] = defaultdict(list)
    for row in changed:
        if row.updates:
            by_fields[tuple(row.updates)].append({"id": row.student_id, **row.updates, "updated_at": now})
    for records in by_fields.values():
        db.session.execute(update(Student), records)
    renamed = [(row.student_id, school_id, row.updates["search_key"])
               for row in changed if row.updates and "search_key" in row.updates]
    for chunk in chunks(renamed):
        student_service.index_names(chunk)
    keyed = [row.student_id for row in changed if (row.updates and KEYED & set(row.updates)) or
             (row.guardians is not None and GUARDIANS_LABEL in row.changes)]
    duplicates.index(keyed, school_id)


def _guardians(row: RowResult) -> list[dict]:
    if row.guardians is None:
        return []
    return row.guardians if isinstance(row.guardians, list) else list(row.guardians.values())


def _write_links_and_guardians(written: list[RowResult], link_ids: dict) -> None:
    """New students' programs, tags, sections and guardians; an update's, replaced where they change."""
    for name, (model, link_table) in LINKS.items():
        label = LABELS[name]
        named = [row for row in written if name in row.links and (row.status == "new" or label in row.changes)]
        other = f"{model.__tablename__}_id"
        for chunk in chunks([row.student_id for row in named if row.status == "update"]):
            db.session.execute(delete(link_table).where(id_in(link_table.c.student_id, chunk)))
        ids_of = {names: [link_ids[name][fold(n)] for n in names] for names in {row.links[name] for row in named}}
        insert_plain(link_table, ("student_id", other), [
            (row.student_id, link_id) for row in named for link_id in ids_of[row.links[name]]])
    with_guardians = [row for row in written if row.guardians is not None]
    for chunk in chunks([row.student_id for row in with_guardians if row.status == "update"]):
        db.session.execute(delete(Guardian).where(id_in(Guardian.student_id, chunk)))
    guardians = []
    for row in with_guardians:
        listed = row.guardians if row.status == "update" else [row.guardians[n] for n in sorted(row.guardians)]
        guardians += [(row.student_id, *(g[f] for f in fields.GUARDIAN_FIELDS)) for g in listed]
    insert_plain(Guardian.__table__, ("student_id", *fields.GUARDIAN_FIELDS), guardians)


def _ensure_names(rows: list[RowResult], in_file: set[str], school_id: int):
    """Ids of every program, tag and section the rows name (case-insensitively), creating the missing ones."""
    link_ids: dict[str, dict[str, int]] = {}
    new_names: dict[str, list[str]] = {}
    for name, (model, _) in LINKS.items():
        if name not in in_file:
            continue
        known = {fold(n): i for i, n in db.session.execute(
            select(model.id, model.name).where(*model.of_school(school_id)))}
        missing: dict[str, str] = {}
        for names in dict.fromkeys(row.links.get(name, ()) for row in rows):  # each cell once, in file order
            for item in names:
                if fold(item) not in known:
                    missing.setdefault(fold(item), item)
        if missing:
            extra = {"year_id": years.current_id(school_id)} if model is Section else {}  # a new section: this year's
            created = db.session.execute(
                insert(model).returning(model.id, model.name, sort_by_parameter_order=True),
                [{"school_id": school_id, "name": n, **extra} for n in missing.values()]).all()
            known |= {fold(n): i for i, n in created}
            new_names[name] = sorted(missing.values())
        link_ids[name] = known
    return link_ids, new_names
