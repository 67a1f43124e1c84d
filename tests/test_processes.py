"""Processes that die lose no accepted work; a slow mail server keeps no import waiting; load stays correct.

The Roster server here is a real `flask run` process, killed with SIGKILL mid-work and started again; pages
are opened and forms submitted over HTTP with the agent (WebTest through a proxy to the live server).
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import pytest
from sqlalchemy import func, select

from roster import tasks
from roster.extensions import db
from roster.models import School, Student
from roster.records import ImportJob, MailMessage
from roster.services import importing
from tests.agent import Agent
from tests.helpers import (
    CELERY_BROKER,
    SMTPInbox,
    celery_worker,
    eventually,
    filter_arg,
    free_port,
    mail_config,
)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class RosterServer:
    """`flask run` on the test database, as `make run` starts Roster; start(), kill() and start() again."""

    def __init__(self, database_url, tmp_path, **env):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp_path / "server.log"
        self.env = {**os.environ, "SECRET_KEY": "server-secret", "DATABASE_URL": database_url, "FLASK_DEBUG": "0",
                    "PUBLIC_URL": self.url, "ROSTER_SESSION_COOKIE_SECURE": "false",
                    "ROSTER_ARGON2_TIME_COST": "1", "ROSTER_ARGON2_MEMORY_COST": "1024",
                    "ROSTER_ARGON2_PARALLELISM": "1", "ROSTER_HOUSEKEEPING_SECONDS": "0.5",
                    "ROSTER_TWO_FACTOR_REQUIRED": "false", **env}
        self.env.pop("CELERY_BROKER_URL", None)
        self.process = None

    def start(self):
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "app", "run", "--host", "127.0.0.1", "--port",
                 str(self.port), "--no-reload", "--no-debugger"],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log_path.read_text()
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(self.url + "/login", timeout=2) as response:
                    if response.status == 200:
                        return self
            time.sleep(0.1)
        raise AssertionError("the server did not start: " + self.log_path.read_text())

    def kill(self):
        """SIGKILL: no shutdown, no cleanup, as when the machine loses power or the OOM killer strikes."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        log = self.log_path.read_text(errors="replace")
        assert "Traceback" not in log, log


@pytest.fixture
def server(database_url, tmp_path, world):
    made = []

    def make(**env):
        made.append(RosterServer(database_url, tmp_path, **env))
        return made[-1]

    yield make
    for each in made:
        each.stop()


def remote_agent(app, server, login="admin@alpha.example"):
    user = Agent(app, url=server.url)
    user.sign_in(login)
    return user


def mails(app):
    with app.app_context():
        return [(m.to_address, m.status, m.attempts) for m in db.session.scalars(select(MailMessage))]


def test_a_mail_waiting_for_its_retry_is_sent_after_the_server_is_killed_and_started_again(app, server):
    """SMTP down → invite → the first attempt fails → the server is killed → SMTP up → the server starts again
    → the mail arrives within its retry delay (no request needed: the restarted process sweeps at once)."""
    smtp_port = free_port()
    roster = server(MAIL_SERVER="127.0.0.1", MAIL_PORT=str(smtp_port), ROSTER_MAIL_RETRY_DELAYS="[3, 3]",
                    ROSTER_MAIL_TIMEOUT="2").start()
    admin = remote_agent(app, roster)
    admin.submit(admin.get("/admin/invite/"), field="emails", emails="new.pupil@pupil.example", expect=(200,))
    eventually(lambda: mails(app) == [("new.pupil@pupil.example", "queued", 1)])  # its retry is 3 s away
    roster.kill()
    from aiosmtpd.controller import Controller

    inbox = SMTPInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        started = time.monotonic()
        roster.start()
        (message,) = inbox.wait_for(1, timeout=15)
        assert message["To"] == "new.pupil@pupil.example"
        assert time.monotonic() - started < 10
        eventually(lambda: mails(app) == [("new.pupil@pupil.example", "sent", 2)])
    finally:
        roster.stop()
        controller.stop()


def students_csv(count: int) -> bytes:
    return ("Last name,First name,Personal file number\n"
            + "".join(f"Pupil{n},Pat,K-{n}\n" for n in range(count))).encode()


def job_state(app, job_id):
    with app.app_context():
        job = db.session.get(ImportJob, job_id)
        return job.status, job.done_rows, job.message


def test_an_import_whose_web_process_is_killed_says_failed_at_once_when_it_starts_again(app, server):
    """Embedded default: imports run in a thread of the web process. Killed mid-run and started again, the
    process fails its own unfinished job before its first answer; nothing of the run was saved."""
    roster = server().start()
    admin = remote_agent(app, roster)
    page = admin.get("/admin/imports/").click(href="/admin/imports/new")
    job_url = admin.submit(page, id="upload-form", upload=("file", "big.csv", students_csv(40_000)),
                           expect=(302,)).location
    job_id = int(job_url.rstrip("/").rsplit("/", 1)[1])
    eventually(lambda: job_state(app, job_id)[0] == "validated", timeout=60)
    admin.submit(admin.get(job_url), action="/confirm", expect=(302,))
    eventually(lambda: (state := job_state(app, job_id))[0] == "running" and state[1] > 0, timeout=30, every=0.01)
    roster.kill()
    assert job_state(app, job_id)[0] == "running"  # nobody runs it any more
    roster.start()
    status, _, message = job_state(app, job_id)
    assert status == "failed" and message == importing.RESTARTED_MESSAGE
    page = " ".join(admin.get(job_url).html.get_text(" ").split())
    assert "Failed" in page and "Roster restarted during this import; nothing was saved." in page
    with app.app_context():
        assert db.session.scalar(select(func.count(Student.id)).where(Student.personal_file_number.like("K-%"))) == 0


@pytest.mark.skipif(os.environ.get("ROSTER_SKIP_REDIS"), reason="no Redis here")
def test_a_celery_worker_killed_mid_import_leaves_a_failed_job_once_its_heartbeat_is_missed(
        make_app, database_url, world, tmp_path):
    """With Celery, the worker beats for the jobs it runs; killed, its job is failed by the web process's
    housekeeping once IMPORT_STALLED_AFTER passes without a beat (120 s in production, 3 s here)."""
    app = make_app(CELERY_BROKER_URL=CELERY_BROKER, HOUSEKEEPING_SECONDS=0.2, IMPORT_STALLED_AFTER=3)
    with celery_worker(database_url, tmp_path, ROSTER_HOUSEKEEPING_SECONDS="0.5") as worker:
        admin = Agent(app)
        admin.sign_in("admin@alpha.example")
        page = admin.get("/admin/imports/").click(href="/admin/imports/new")
        job_url = admin.submit(page, id="upload-form", upload=("file", "big.csv", students_csv(28_000)),
                               expect=(302,)).location
        job_id = int(job_url.rstrip("/").rsplit("/", 1)[1])
        eventually(lambda: (state := job_state(app, job_id))[0] == "uploaded" and state[1] > 0, timeout=60,
                   every=0.01)
        with app.app_context():
            assert db.session.get(ImportJob, job_id).runner.endswith(f":{worker.pid}")
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        killed = time.monotonic()
        eventually(lambda: job_state(app, job_id)[0] == "failed", timeout=30)
        assert time.monotonic() - killed < 3 + 10
        assert "its worker went away" in job_state(app, job_id)[2]
        assert "Failed" in admin.get(job_url).text


def silent_smtp_server():
    """A port that accepts connections and never says a word: every attempt waits for MAIL_TIMEOUT."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    return listener


def test_an_import_preview_finishes_while_the_mail_server_hangs(make_app, world):
    """Mail that waits on a silent server has threads of its own: the preview does not queue behind it."""
    listener = silent_smtp_server()
    try:
        app = make_app(**mail_config(listener.getsockname()[1], MAIL_TIMEOUT=2, HOUSEKEEPING_SECONDS=0))
        admin = Agent(app)
        admin.sign_in("admin@alpha.example")
        for addresses in ("one@pupil.example two@pupil.example", "three@pupil.example four@pupil.example"):
            admin.submit(admin.get("/admin/invite/"), field="emails", emails=addresses, expect=(200,))
        page = admin.get("/admin/imports/").click(href="/admin/imports/new")
        started = time.monotonic()
        job_url = admin.submit(page, id="upload-form", upload=("file", "one.csv", students_csv(1)),
                               expect=(302,)).location
        eventually(lambda: not admin.get(job_url + "/progress").json["working"], timeout=10)
        assert time.monotonic() - started < 3  # the four mails hold their threads for 2 s each
        assert admin.get(job_url + "/progress").json["status"] == "validated"
        assert {status for _, status, _ in mails(app)} <= {"queued", "sending"}
        tasks.wait_for_background_work(app)  # the mails' attempts time out before the test's rows go
    finally:
        listener.close()


def test_concurrent_sign_ins_and_filtered_lists_give_no_error_and_no_other_schools_data(app, world, live_server):
    """20 people of two schools sign in at once, then each asks for the filtered list 5 times in parallel."""
    errors = []

    def person(n):
        login, own, other = (("admin@alpha.example", "Inside Ivan", "Beta Boris") if n % 2 else
                             ("admin@beta.example", "Beta Boris", "Inside Ivan"))
        user = Agent(app, url=live_server)
        try:
            user.sign_in(login)
            full_name = filter_arg(user.get("/admin/students/").text, "Full name")
            for _ in range(5):
                page = user.get(f"/admin/students/?{full_name}=" + own.split()[0].lower())
                if page.status_int != 200 or own not in page.text or other in page.text:
                    errors.append((login, page.status_int))
        except Exception as exc:  # noqa: BLE001 - every failure is reported below
            errors.append((login, repr(exc)))

    threads = [threading.Thread(target=person, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []


def test_the_access_log_never_shows_a_token(app, world, server):
    """A sign-up link and a reset link opened on a live server: its access log has the paths, not the tokens."""
    with app.app_context():
        token = db.session.scalar(select(School.signup_token).where(School.id == world.school_a.id))
    roster = server().start()
    visitor = Agent(app, url=roster.url)
    assert visitor.open(f"/join/{token}").status_int == 200  # moved to /join, its token in the session
    visitor.get("/reset-password/Zq8-secret-reset-token")
    visitor.get("/join/invite/Zq8-secret-invite-token")
    visitor.get("/join/confirm/Zq8-secret-confirm-token")
    roster.stop()
    log = roster.log_path.read_text()
    assert "GET /join/[token]" in log and "GET /reset-password/[token]" in log and "/join/invite/[token]" in log
    assert "GET /join/confirm/[token]" in log
    assert token not in log and "Zq8-secret" not in log
