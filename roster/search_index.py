"""Trigram indexes for substring search on PostgreSQL (pg_trgm), kept outside the ORM metadata.

Phone and email filters match any part of the value. On PostgreSQL a GIN trigram index answers
`LIKE '%part%'` without reading every student of a big school; SQLite has no such index, and there the
covering sort index keeps the scan cheap instead (see Student.__table_args__).

The same statements serve the migration, `db.create_all()` (tests) and the schema comparison, which must
not report these indexes as drift.
"""

from sqlalchemy import DDL, event

INDEXES = {
    "ix_student_phone_normalized_trgm": "phone_normalized",
    "ix_student_email_trgm": "email",
}
POSTGRESQL_DDL = ["CREATE EXTENSION IF NOT EXISTS pg_trgm"] + [
    f"CREATE INDEX IF NOT EXISTS {name} ON student USING gin ({column} gin_trgm_ops)"
    for name, column in INDEXES.items()
]


def create(connection) -> None:
    """Create the indexes where the database supports them (PostgreSQL); do nothing elsewhere."""
    if connection.dialect.name == "postgresql":
        for statement in POSTGRESQL_DDL:
            connection.exec_driver_sql(statement)


def listen(student_table) -> None:
    """Create the indexes whenever create_all() creates the student table."""
    for statement in POSTGRESQL_DDL:
        event.listen(student_table, "after_create", DDL(statement).execute_if(dialect="postgresql"))


def include_name(name, type_, parent_names) -> bool:
    """For Alembic: leave the trigram indexes out of autogenerate and schema comparison."""
    return not (type_ == "index" and name in INDEXES)
