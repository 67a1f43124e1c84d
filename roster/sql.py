"""SQL constructs that read the same on SQLite and PostgreSQL."""

from contextlib import contextmanager

from sqlalchemy import Boolean
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from roster.extensions import db


class contains(FunctionElement):  # noqa: N801 - reads as SQL: contains(column, text)
    """True where the column holds the text anywhere; no LIKE wildcards to escape, and faster than LIKE."""

    type = Boolean()
    inherit_cache = True
    name = "contains"


@compiles(contains)
def _contains_postgresql(element, compiler, **kw):
    # LIKE, so that the pg_trgm indexes of roster.search_index answer it; wildcards in the text are escaped.
    column, text = list(element.clauses)
    pattern = "'%%' || replace(replace(replace({0}, '\\', '\\\\'), '%%', '\\%%'), '_', '\\_') || '%%'"
    return f"({compiler.process(column, **kw)} LIKE {pattern.format(compiler.process(text, **kw))})"


@compiles(contains, "sqlite")
def _contains_sqlite(element, compiler, **kw):
    column, text = list(element.clauses)
    return f"(instr({compiler.process(column, **kw)}, {compiler.process(text, **kw)}) > 0)"


def id_in(column, ids: list):
    """`column IN ids`, as one array parameter on PostgreSQL: a thousand separate parameters cost more to send
    and plan than the query takes to run. Any column type: ids, emails, file numbers."""
    from sqlalchemy import ARRAY, any_, bindparam

    from roster.extensions import db

    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(ids), type_=ARRAY(column.type)))
    return column.in_(ids)


def pairs_in(first, second, pairs: list[tuple]):
    """`(first, second) IN pairs`, each pair looked up by the two-column key: on PostgreSQL the pairs are two array
    parameters unnested (a long list of row values gets a generic plan that reads the table once psycopg prepares
    it); on SQLite, row values (two IN lists side by side make it try every combination)."""
    from sqlalchemy import ARRAY, bindparam, func, select, tuple_

    from roster.extensions import db

    if db.session.get_bind().dialect.name == "postgresql":
        rows = func.unnest(bindparam(None, [a for a, _b in pairs], type_=ARRAY(first.type)),
                           bindparam(None, [b for _a, b in pairs], type_=ARRAY(second.type)))
        rows = rows.table_valued("a", "b").render_derived()
        return tuple_(first, second).in_(select(rows.c.a, rows.c.b))
    return tuple_(first, second).in_(pairs)


def insert_plain(table, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Insert rows of plain values straight through the driver: COPY on PostgreSQL, executemany on SQLite.

    SQLAlchemy's per-row parameter handling costs more than the insert itself at 100,000 rows. The values are
    ints, strings, booleans, dates and None, which both drivers take as they are.
    """
    if not rows:
        return
    connection = db.session.connection()
    names = ", ".join(columns)
    if connection.dialect.name == "postgresql":
        with connection.connection.driver_connection.cursor() as cursor:
            with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        return
    connection.exec_driver_sql(f"INSERT INTO {table.name} ({names}) VALUES ({', '.join('?' * len(columns))})",
                               rows)


def names_joined(name, *where, outer, separator: str = "; "):
    """A scalar subquery of `outer`'s rows: the names `where` finds for each, in name order, joined by separator
    ("" for none) — an export's programs and tags joined by the database, not a query per chunk and a loop in
    Python."""
    from sqlalchemy import func, literal, select

    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import aggregate_order_by

        joined = select(func.string_agg(name, aggregate_order_by(literal(separator), name))).where(*where)
    else:  # SQLite keeps a subquery's ORDER BY for group_concat: it does not flatten it into an aggregate
        ordered = select(name.label("name")).where(*where).order_by(name).correlate(outer).subquery()
        joined = select(func.group_concat(ordered.c.name, separator))
    return func.coalesce(joined.scalar_subquery(), "")


@contextmanager
def page_cache_for_bulk_writes(megabytes: int = 64):
    """SQLite: a larger page cache (default 2 MB) while one transaction writes many rows. Each student row goes
    into ten indexes; with 2 MB their pages are evicted and read back again and again (an import of 100,000
    rows: 1.4 s of its 6 s in the database). Back to what it was afterwards, so idle connections stay small."""
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        yield
        return
    before = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    connection.exec_driver_sql(f"PRAGMA cache_size=-{int(megabytes) * 1024}")
    try:
        yield
    finally:
        try:
            connection.exec_driver_sql(f"PRAGMA cache_size={int(before)}")
        except Exception:  # noqa: BLE001 - a failed write's connection is discarded anyway
            pass
