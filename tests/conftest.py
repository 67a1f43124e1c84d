"""Fixtures: an app per test on a shared schema (SQLite file, or PostgreSQL with ROSTER_TEST_DATABASE_URL)."""

import os

import pytest
from jinja2 import StrictUndefined
from sqlalchemy import text

from roster import create_app
from roster.extensions import db
from tests import factories
from tests.helpers import DATABASE_URL, LIVE_APPS, Browser, SMTPInbox, app_config, free_port, mail_config, stop_server


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    return DATABASE_URL or "sqlite:///" + str(tmp_path_factory.mktemp("db") / "roster-test.db")


@pytest.fixture(scope="session")
def _schema(database_url):
    app = create_app(app_config(database_url))
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            # From an empty schema: tables a run of other code left (one with a foreign key this code dropped)
            # would stop drop_all, which knows only this code's tables.
            with db.engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
        else:
            db.drop_all()
        db.create_all()
        db.session.remove()
        db.engine.dispose()


_RESTART_SEQUENCES = """
SELECT setval(pg_get_serial_sequence(quote_ident(c.table_name), c.column_name), 1, false)
FROM information_schema.columns c
WHERE c.table_schema = current_schema() AND c.column_default LIKE 'nextval%'
"""


@pytest.fixture
def app(database_url, _schema):
    from roster import tasks

    app = create_app(app_config(database_url))
    app.jinja_env.undefined = StrictUndefined
    LIVE_APPS.append(app)
    yield app
    LIVE_APPS.remove(app)
    tasks.stop_housekeeping(app)
    tasks.wait_for_background_work(app)  # no mail thread may outlive its test
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            # DELETE, not TRUNCATE: on tables of a few rows it is ten times faster on PostgreSQL (35 → 4 ms a
            # test); the ids start again at 1 there as on SQLite.
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
            if conn.dialect.name == "postgresql":
                conn.execute(text(_RESTART_SEQUENCES))
        db.engine.dispose()


@pytest.fixture
def make_app(database_url, _schema):
    """Build an extra app with its own settings; its database connections are closed afterwards."""
    made = []

    def make(**config):
        extra = create_app(app_config(database_url, **config))
        made.append(extra)
        LIVE_APPS.append(extra)
        return extra

    yield make
    from roster import tasks

    for extra in made:
        LIVE_APPS.remove(extra)
        tasks.stop_housekeeping(extra)
        tasks.wait_for_background_work(extra)
        with extra.app_context():
            db.engine.dispose()


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def web(app):
    return Browser(app)


@pytest.fixture
def world(app):
    """Two schools, each with an admin, a teacher with one section, students in and out of that section.

    Built in an app context of its own and returned as plain snapshots: requests made by the test must not
    share an app context (and its `g` and session) with the test itself.
    """
    with app.app_context():
        return factories.two_schools()


def _signed_in_as(kind, app, world):
    def sign_in(name):
        client = kind(app)
        if name != "anonymous":
            client.sign_in(world[name].email)
        return client

    return sign_in


@pytest.fixture
def as_role(app, world):
    """A signed-in Browser (reading pages, forged requests) for one of world's people, by name."""
    return _signed_in_as(Browser, app, world)


@pytest.fixture
def agent(app, world):
    """A WebTest user agent signed in through the sign-in form as one of world's people, by name."""
    from tests.agent import Agent

    return _signed_in_as(Agent, app, world)


# Browser tests: Debian's Chromium driven by Playwright against the app served on a free port.

def pytest_collection_modifyitems(config, items):
    """Tests of markup and keys (marked `markup`) say the same on either database: `make test` runs them on its
    SQLite pass and skips them on the PostgreSQL pass, to stay within its time."""
    if not DATABASE_URL:
        return
    skip = pytest.mark.skip(reason="markup and keys: checked on the SQLite pass")
    for item in items:
        if "markup" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("ROSTER_CHROMIUM", "/usr/bin/chromium"),
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"],
    }


@pytest.fixture(autouse=True)
def _no_csp_violations(request):
    """A browser test fails on any script, style or frame the Content-Security-Policy refused: what the
    policy blocks, a person's browser blocks too."""
    if "page" not in request.fixturenames:
        yield
        return
    page = request.getfixturevalue("page")
    refused = []
    page.on("console", lambda message: refused.append(message.text)
            if "Content Security Policy" in message.text else None)
    yield
    assert refused == []


@pytest.fixture
def live_server(app):
    """Serve the test app over real HTTP in a thread; yields its base URL."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    server.daemon_threads = False  # so that server_close() waits for requests still being answered
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    stop_server(server, thread)


@pytest.fixture
def mail_site(make_app, world, outbox, smtp_port):
    """The app over real HTTP, mailing to the test's SMTP server, its links pointing at itself: (app, base URL)."""
    import threading

    from werkzeug.serving import make_server

    app = make_app(**mail_config(smtp_port))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    server.daemon_threads = False
    app.config["PUBLIC_URL"] = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, app.config["PUBLIC_URL"]
    stop_server(server, thread)


# Mail: a real SMTP server (aiosmtpd) on a free port.

@pytest.fixture
def smtp_port():
    return free_port()


@pytest.fixture
def outbox(smtp_port):
    from aiosmtpd.controller import Controller

    inbox = SMTPInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    yield inbox
    from roster import tasks

    for live in LIVE_APPS:
        tasks.stop_housekeeping(live)
        tasks.wait_for_background_work(live)
    controller.stop()


# Celery: a real worker on Redis, in a process of its own, for the tests that check the production path.
