"""What tests import besides fixtures: the app's test settings, a client for forged requests, real SMTP and
Celery helpers, waiting for background work. conftest.py holds the fixtures and uses these."""

import contextlib
import os
import re

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


def stop_server(server, thread):
    """Stop serving, then wait for the requests still being answered (a page the browser left, a script's late
    request): their database connections go back to the pool before the test's engine is disposed, instead of
    being collected later, still open, inside another test."""
    server.shutdown()
    thread.join(5)
    server.server_close()


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


# A Redis database of the test run's own: `make test` runs its SQLite and PostgreSQL passes side by side, and
# a worker of one pass must never take the other's tasks.
CELERY_BROKER = f"redis://127.0.0.1:6379/{os.environ.get('ROSTER_TEST_REDIS_DB', '15')}"


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


def row_action(page, student: str, action: str) -> None:
    """In a browser, open a Students row's context menu (the button right of the name) and choose an action."""
    page.wait_for_load_state()  # Bootstrap's menu script, at the page's end, has run
    row = page.locator("tr", has_text=student).first
    row.locator(".row-menu-button").click()
    row.locator(".dropdown-menu.show").get_by_text(action, exact=True).click()


def school_records(app, school_id: int) -> dict[str, list[tuple]]:
    """Every column of a school's mail log, invitations and audit log, for checking that nothing of them
    changed (another school's action must leave them exactly as they were)."""
    from sqlalchemy import select

    from roster.extensions import db
    from roster.models import Invitation
    from roster.records import AuditEvent, MailMessage

    with app.app_context():
        return {model.__tablename__: [tuple(row) for row in db.session.execute(
                    select(*model.__table__.columns).where(model.school_id == school_id).order_by(model.id))]
                for model in (MailMessage, Invitation, AuditEvent)}


def filter_arg(page_html: str, name: str, position: int = 0) -> str:
    """The URL argument of the list filter that the page's filter form names `name` ("Tags"), as its filter bar
    sends it (flt<position>_<index>): tests find a filter by its name, never by its number."""
    import json

    data = re.search(r'<div id="filter-groups-data"[^>]*>(.*?)</div>', page_html, re.S)
    assert data, "the page has no filter form"
    [item] = json.loads(data.group(1))[name]
    return f"flt{position}_{item['index']}"
