"""Migrations: one head, an empty database upgrades, and models and migrations agree (SQLite and PostgreSQL)."""

import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from sqlalchemy import create_engine, inspect, text

from roster import create_app, search_index
from roster.extensions import db
from tests.conftest import DATABASE_URL, app_config


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
