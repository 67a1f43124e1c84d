"""Fixtures: an app per test on a shared schema (SQLite file, or PostgreSQL with ROSTER_TEST_DATABASE_URL)."""

import contextlib
import os
import re

import pytest
from jinja2 import StrictUndefined
from sqlalchemy import text

from roster import create_app
from roster.extensions import db
from tests import factories

DATABASE_URL = os.environ.get("ROSTER_TEST_DATABASE_URL")
LIVE_APPS = []  # the apps of the running test, whose background mail threads must end before servers stop


def app_config(database_url: str, **extra) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SESSION_COOKIE_SECURE": False,
        # Cheap argon2id in tests; production keeps argon2-cffi's defaults.
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 1024,
        "ARGON2_PARALLELISM": 1,
        # No housekeeping loop unless a test asks for one (mail_config does): its sweeps would reach into the
        # next test's rows on the shared schema.
        "HOUSEKEEPING_SECONDS": 0,
        # Two-factor sign-in is required of admins in production; tests of it turn it on (test_two_factor).
        "TWO_FACTOR_REQUIRED": False,
        **extra,
    }


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    return DATABASE_URL or "sqlite:///" + str(tmp_path_factory.mktemp("db") / "roster-test.db")


@pytest.fixture(scope="session")
def _schema(database_url):
    app = create_app(app_config(database_url))
    with app.app_context():
        db.drop_all()
        db.create_all()
        db.session.remove()
        db.engine.dispose()


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
        tables = [t.name for t in db.metadata.sorted_tables]
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
            else:
                for table in reversed(db.metadata.sorted_tables):
                    conn.execute(table.delete())
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


CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_INPUT.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


class Browser:
    """A signed-in test client for what needs no form: reading pages, and forged requests.

    post() sends a hand-made form with this session's CSRF token: only for tests about requests no page offers
    (another school's ids, a role without the button, a replay). Forms a page renders are filled and submitted
    with tests.agent (the `agent` fixture), as a person would.
    """

    def __init__(self, app):
        self.app = app
        self.client = app.test_client()

    def get(self, url, **kw):
        return self.client.get(url, **kw)

    def token(self) -> str:
        # Flask-WTF's token belongs to the session, so any page's form gives one that every form accepts.
        return csrf_from(self.client.get("/login", follow_redirects=True).get_data(as_text=True))

    def post(self, url, data=None, *, csrf=True, **kw):
        data = dict(data or {})
        if csrf:
            data.setdefault("csrf_token", self.token())
        return self.client.post(url, data=data, **kw)

    def sign_in(self, login, password=factories.PASSWORD):
        response = self.post("/login", {"login": login, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        return response

    def sign_out(self):
        return self.post("/logout")


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


def stop_server(server, thread):
    """Stop serving, then wait for the requests still being answered (a page the browser left, a script's late
    request): their database connections go back to the pool before the test's engine is disposed, instead of
    being collected later, still open, inside another test."""
    server.shutdown()
    thread.join(5)
    server.server_close()


# Mail: a real SMTP server (aiosmtpd) on a free port.

def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SMTPInbox:
    """What a real SMTP server received: one email.message.Message per mail."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        import email
        from email import policy

        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float = 20):
        import time

        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.messages) >= count, f"{len(self.messages)} mails arrived, {count} expected"
        return self.messages


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


def mail_config(port: int, **extra) -> dict:
    """Real SMTP on port; retries 50 ms apart, made by the housekeeping loop as in production."""
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port, "MAIL_TIMEOUT": 3,
            "MAIL_RETRY_DELAYS": (0.05, 0.05), "HOUSEKEEPING_SECONDS": 0.05,
            "MAIL_DEFAULT_SENDER": "roster@school.example", **extra}


def eventually(check, timeout: float = 20, every: float = 0.05):
    """Wait until check() gives something true (work done by a background thread or process); return it."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            assert result, f"still {result!r} after {timeout} s"
            return result
        time.sleep(every)


# Celery: a real worker on Redis, in a process of its own, for the tests that check the production path.

CELERY_BROKER = "redis://127.0.0.1:6379/15"


@contextlib.contextmanager
def celery_worker(database_url: str, tmp_path, **env):
    """Run `celery worker` on the test database and Redis db 15; fail the test if the worker logged a traceback."""
    import subprocess
    import sys

    environment = {**os.environ, "SECRET_KEY": "worker-secret", "DATABASE_URL": database_url,
                   "CELERY_BROKER_URL": CELERY_BROKER, "FLASK_DEBUG": "0", **env}
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(tmp_path / "worker.log", "wb") as worker_log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "app.celery_app", "worker", "--pool=solo", "--concurrency=1",
             "--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=root, env=environment, stdout=worker_log, stderr=subprocess.STDOUT,
        )
    try:
        yield worker
    finally:
        worker.terminate()
        worker.wait(10)
        log = (tmp_path / "worker.log").read_text(errors="replace")
        assert "Traceback" not in log, log
