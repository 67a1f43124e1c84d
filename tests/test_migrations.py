"""Migrations: one head, an empty database upgrades, and models and migrations agree (SQLite and PostgreSQL)."""

import json
import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from sqlalchemy import create_engine, inspect, text

from roster import create_app, sealing, search_index
from roster.extensions import db
from tests.helpers import DATABASE_URL, app_config


@pytest.fixture
def empty_database_url(tmp_path):
    """A brand-new empty database of the kind the suite runs on."""
    if not DATABASE_URL or not DATABASE_URL.startswith("postgresql"):
        yield "sqlite:///" + str(tmp_path / "empty.db")
        return
    name = f"roster_migrations_{uuid.uuid4().hex[:8]}"
    admin = create_engine(DATABASE_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield DATABASE_URL.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_single_head_upgrades_an_empty_database_and_matches_the_models(empty_database_url):
    app = create_app(app_config(empty_database_url))
    with app.app_context():
        migrations = app.extensions["migrate"].directory
        script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config(migrations))
        assert len(script.get_heads()) == 1
        upgrade(directory=migrations)
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts=app.extensions["migrate"].configure_args)
            assert context.get_current_revision() == script.get_current_head()
            assert compare_metadata(context, db.metadata) == []
            if conn.dialect.name == "postgresql":
                indexes = {ix["name"] for ix in inspect(conn).get_indexes("student")}
                assert set(search_index.INDEXES) <= indexes
        db.engine.dispose()
    assert os.path.isdir(migrations)


def test_failed_rows_move_out_of_import_reports(empty_database_url):
    """c27a9e5d13f0: a job's failed rows leave its report for a CSV beside it; the report keeps the first errors."""
    app = create_app(app_config(empty_database_url))
    with app.app_context():
        migrations = app.extensions["migrate"].directory
        upgrade(directory=migrations, revision="8d41f0a2c6e3")
        report = {"errors": [{"number": n} for n in range(2, 1203)],
                  "failed": {"headers": ["Last name", "Error"], "rows": [["=A", "Row 2: a, b"], ["Б", "Row 3: c"]]}}
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO school (name, slug, signup_token, is_active, created_at) "
                              "VALUES ('S', 's', 't', true, '2026-01-01')"))
            conn.execute(text("INSERT INTO import_job (school_id, file_name, status, message, total_rows, done_rows, "
                              "created_count, updated_count, unchanged_count, error_count, report, created_at) "
                              "VALUES (1, 'f.csv', 'completed with errors', '', 1201, 1201, 0, 0, 0, 1201, :report, "
                              "'2026-01-01')"), {"report": json.dumps(report)})
        upgrade(directory=migrations)
        with db.engine.connect() as conn:
            stored, data = conn.execute(text("SELECT report, failed_rows_csv FROM import_job")).one()
        stored = json.loads(stored) if isinstance(stored, str) else stored
        assert "failed" not in stored and len(stored["errors"]) == 1000 and stored["errors"][0] == {"number": 2}
        assert bytes(data).decode("utf-8").splitlines() == ["Last name,Error", '=A,"Row 2: a, b"', "Б,Row 3: c"]
        db.engine.dispose()


def test_waiting_mail_passwords_are_sealed_by_the_migration(empty_database_url):
    """e5b8c3f0a914: a credentials mail still waiting keeps its password, sealed under SECRET_KEY."""
    app = create_app(app_config(empty_database_url))
    with app.app_context():
        migrations = app.extensions["migrate"].directory
        upgrade(directory=migrations, revision="c27a9e5d13f0")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO mail_message (kind, to_address, subject, body_text, body_html, status, "
                              "attempts, last_error, created_at, secret) VALUES ('credentials', 'a@example.org', "
                              "'S', 'B', '', 'queued', 0, '', '2026-01-01', 'Kw7#pLm9vT4qRx3z')"))
        upgrade(directory=migrations)
        with db.engine.connect() as conn:
            stored = conn.execute(text("SELECT secret FROM mail_message")).scalar_one()
        assert "Kw7#pLm9vT4qRx3z" not in stored and sealing.unseal(stored) == "Kw7#pLm9vT4qRx3z"
        db.engine.dispose()


def test_existing_schools_are_in_kazakhstan(empty_database_url):
    """a7c4e1f3b820: every school has a country, the region its phones are read in; those before it are KZ."""
    app = create_app(app_config(empty_database_url))
    with app.app_context():
        migrations = app.extensions["migrate"].directory
        upgrade(directory=migrations, revision="e5b8c3f0a914")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO school (name, slug, signup_token, is_active, created_at) "
                              "VALUES ('S', 's', 't', true, '2026-01-01')"))
        upgrade(directory=migrations)
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT country FROM school")).scalar_one() == "KZ"
        db.engine.dispose()


def test_a_drop_out_with_a_date_becomes_a_left_movement(empty_database_url):
    """a4d2e8f61b37: a student with a drop-out date left on that date (a Left movement with its reason and
    note); one with a reason or note but no date stays studying, the text kept on the record."""
    app = create_app(app_config(empty_database_url))
    with app.app_context():
        migrations = app.extensions["migrate"].directory
        upgrade(directory=migrations, revision="f3c1d9e7a245")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO school (name, slug, signup_token, is_active, created_at, country, "
                              "notice_version) VALUES ('S', 's', 't', true, '2026-01-01', 'KZ', 1)"))
            for last_name, dropped, reason in (("Gone", "2025-05-20", "moved"), ("Stays", None, "maybe")):
                conn.execute(text(
                    "INSERT INTO student (school_id, last_name, first_name, middle_name, search_key, phone, "
                    "phone_normalized, is_inclusive, is_individual, address, extra_phone, extra_email, dropout_date, "
                    "dropout_reason, dropout_note, account_status, source, created_at, updated_at, citizenship) "
                    "VALUES (1, :last, 'A', '', '', '', '', false, false, '', '', '', :dropped, :reason, 'note', "
                    "'no_account', 'manual', '2026-01-01', '2026-01-01', '')"),
                    {"last": last_name, "dropped": dropped, "reason": reason})
        upgrade(directory=migrations)
        with db.engine.connect() as conn:
            statuses = dict(conn.execute(text("SELECT last_name, status FROM student")).all())
            movements = conn.execute(text("SELECT kind, date, reason, note FROM movement")).all()
        assert statuses == {"Gone": "left", "Stays": "studying"}
        assert [(kind, str(day), reason, note) for kind, day, reason, note in movements] == [
            ("left", "2025-05-20", "moved", "note")]
        db.engine.dispose()


def test_sections_move_into_a_first_school_year_chosen_from_today(empty_database_url):
    """aff93ca489d0: each school gets one current year, the one from 1 September to 31 August that holds the day
    of the migration, and its sections (two schools may name a section alike) belong to it."""
    from datetime import date

    from roster.services import years

    app = create_app(app_config(empty_database_url))
    with app.app_context():
        migrations = app.extensions["migrate"].directory
        upgrade(directory=migrations, revision="3c604ab88bc2")
        with db.engine.begin() as conn:
            for n in (1, 2):
                conn.execute(text("INSERT INTO school (name, slug, signup_token, is_active, created_at, country, "
                                  "notice_version) VALUES (:n, :n, :n, true, '2026-01-01', 'KZ', 1)"), {"n": f"S{n}"})
                conn.execute(text("INSERT INTO section (school_id, name) VALUES (:s, '5А')"), {"s": n})
        upgrade(directory=migrations)
        title, start, end = years.span_of(date.today())
        with db.engine.connect() as conn:
            found = conn.execute(text('SELECT school_id, title, start, "end", is_current FROM school_year '
                                      "ORDER BY school_id")).all()
            sections = conn.execute(text("SELECT s.school_id, y.school_id FROM section s "
                                         "JOIN school_year y ON y.id = s.year_id ORDER BY s.id")).all()
        assert [(s, t, str(a), str(b), bool(c)) for s, t, a, b, c in found] == [
            (n, title, start.isoformat(), end.isoformat(), True) for n in (1, 2)]
        assert sections == [(1, 1), (2, 2)]
        db.engine.dispose()
