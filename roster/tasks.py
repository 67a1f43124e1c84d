"""Background work: Celery when CELERY_BROKER_URL is set, else threads of this process.

Tasks are a few lines around a service call, with ids as arguments (Flask's FlaskTask pattern). No task sleeps:
a mail's retry waits in the database for its time, and the housekeeping loop of every Roster process (web
server or worker) sweeps what is due, beats for the imports this process runs and ends the jobs of processes
that are gone. So a process that dies loses no accepted work: its mails are sent by another (or by itself
once restarted), and its imports say Failed instead of Running for ever.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor

from celery import Celery, Task, shared_task, signals
from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from roster.extensions import db
from roster.services import bulk, importing, mail, retention, year_close

log = logging.getLogger(__name__)


def runner_name() -> str:
    """This process, as an import job records who runs it: "host:pid"."""
    return f"{socket.gethostname()}:{os.getpid()}"


def celery_init_app(app: Flask) -> Celery:
    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    celery = Celery(app.name, task_cls=FlaskTask)
    celery.config_from_object({
        "broker_url": app.config["CELERY_BROKER_URL"] or "memory://",
        "task_ignore_result": True,
        "broker_connection_retry_on_startup": True,
        # `celery -A app.celery_app beat` runs the retention purge daily (cron runs `flask roster purge` without it).
        "beat_schedule": {"retention-purge": {"task": "roster.tasks.purge", "schedule": 24 * 3600}},
    })
    celery.set_default()
    app.extensions["celery"] = celery
    # Mail and imports have threads of their own: a silent mail server never keeps an import waiting.
    app.extensions["roster_mail_executor"] = ThreadPoolExecutor(max_workers=2, thread_name_prefix="roster-mail")
    app.extensions["roster_import_executor"] = ThreadPoolExecutor(max_workers=2, thread_name_prefix="roster-import")
    app.extensions["roster_futures"] = []

    @app.before_request
    def start_housekeeping_once():
        start_housekeeping(app)

    app_ref = weakref.ref(app)  # the signals are the process's; they must not keep every app made alive

    def in_worker(**kwargs):
        if (live := app_ref()) is not None:
            start_housekeeping(live)

    # A worker sweeps too (its pool's processes beat for the imports they run).
    signals.worker_ready.connect(in_worker, weak=False)
    signals.worker_process_init.connect(in_worker, weak=False)
    if _serving():
        start_housekeeping(app)  # from the start, not from the first request: mails due are sent meanwhile
    return celery


def _serving() -> bool:
    """Whether this process is a web server (`flask run`, gunicorn) rather than a command that exits."""
    program = sys.argv[0] if sys.argv else ""
    return os.path.basename(program) == "gunicorn" or ("flask" in program and "run" in sys.argv[1:])


@shared_task(ignore_result=True, name="roster.tasks.purge")
def purge() -> None:
    """What is past its retention period goes (roster.services.retention); daily, from Celery beat."""
    retention.purge()


@shared_task(ignore_result=True)
def deliver_mail(message_id: int) -> None:
    mail.deliver(message_id)


def _deliver_in_process(app: Flask, message_ids: list[int]) -> None:
    """Make one attempt at each of a commit's mails; with no mail server, keep them all at once."""
    with app.app_context():
        if not app.config.get("MAIL_SERVER"):
            mail.keep_unsent(message_ids)
            return
        for message_id in message_ids:
            mail.deliver(message_id)


@shared_task(ignore_result=True)
def run_import(job_id: int, dry_run: bool) -> None:
    start_housekeeping(current_app._get_current_object())  # the heartbeat of this job
    importing.run_job(job_id, dry_run=dry_run, runner=runner_name())


def _run_import_in_process(app: Flask, job_id: int, dry_run: bool) -> None:
    with app.app_context():
        importing.run_job(job_id, dry_run=dry_run, runner=runner_name())


def start_import(job_id: int, *, dry_run: bool) -> None:
    """Make an import's preview or run it: on the Celery worker where a broker is configured, else in a thread.

    A job for a thread of this process is this process's from now on: should it die, the job is failed when
    Roster starts again (or when its heartbeat is missed), not left waiting.
    """
    app = current_app._get_current_object()
    if app.config["CELERY_BROKER_URL"]:
        run_import.delay(job_id, dry_run)
        return
    importing.assign(job_id, runner_name())
    _keep(app, app.extensions["roster_import_executor"].submit(_run_import_in_process, app, job_id, dry_run))


@shared_task(ignore_result=True)
def run_bulk(job_id: int) -> None:
    start_housekeeping(current_app._get_current_object())  # the heartbeat of this job
    bulk.run_job(job_id, runner=runner_name())


def _run_bulk_in_process(app: Flask, job_id: int) -> None:
    with app.app_context():
        bulk.run_job(job_id, runner=runner_name())


def start_bulk(job_id: int) -> None:
    """Do the rest of a bulk change: on the Celery worker where a broker is configured, else in a thread here.
    A job whose process dies is taken up again by another process's housekeeping (roster.services.bulk)."""
    app = current_app._get_current_object()
    if app.config["CELERY_BROKER_URL"]:
        run_bulk.delay(job_id)
        return
    _keep(app, app.extensions["roster_import_executor"].submit(_run_bulk_in_process, app, job_id))


@shared_task(ignore_result=True)
def run_year_close(close_id: int) -> None:
    start_housekeeping(current_app._get_current_object())
    year_close.run(close_id, runner=runner_name())


def _run_year_close_in_process(app: Flask, close_id: int) -> None:
    with app.app_context():
        year_close.run(close_id, runner=runner_name())


def start_year_close(close_id: int) -> None:
    """Apply a close of the school year: on the Celery worker where a broker is configured, else in a thread."""
    app = current_app._get_current_object()
    if app.config["CELERY_BROKER_URL"]:
        run_year_close.delay(close_id)
        return
    _keep(app, app.extensions["roster_import_executor"].submit(_run_year_close_in_process, app, close_id))


def dispatch(message_ids: list[int]) -> None:
    """Deliver committed mails: on the Celery worker where a broker is configured, else in a thread here."""
    app = current_app._get_current_object()
    if app.config["CELERY_BROKER_URL"]:
        for message_id in message_ids:
            deliver_mail.delay(message_id)
        return
    _keep(app, app.extensions["roster_mail_executor"].submit(_deliver_in_process, app, list(message_ids)))


@event.listens_for(Session, "after_commit")
def _dispatch_after_commit(session) -> None:
    """The mails a commit made due go out now: how background work runs is decided here, not in services."""
    ids = mail.committed(session)
    if ids:
        dispatch(ids)


def _keep(app: Flask, future) -> None:
    """Remember a background job until it is waited for; finished ones that went well are let go, so that a
    long-running web process does not collect them forever."""
    futures = app.extensions["roster_futures"]
    futures[:] = [f for f in futures if not f.done() or f.exception() is not None]
    futures.append(future)


def wait_for_background_work(app: Flask, timeout: float = 30) -> None:
    """Wait for this process's background threads to finish (tests, CLI commands that exit at once)."""
    futures = app.extensions["roster_futures"]
    while futures:
        futures.pop().result(timeout=timeout)


# Housekeeping: one loop per process, every HOUSEKEEPING_SECONDS.

def start_housekeeping(app: Flask) -> None:
    """Start this process's housekeeping loop, once (after a fork too); its first pass runs here and now, so
    that a restarted process has failed its own dead imports before it answers its first request."""
    interval = app.config["HOUSEKEEPING_SECONDS"]
    state = app.extensions.setdefault("roster_housekeeping", {})
    if not interval or state.get("pid") == os.getpid():
        return
    with _housekeeping_lock:
        if state.get("pid") == os.getpid():
            return
        state["pid"] = os.getpid()
        state["stop"] = stop = threading.Event()
        with app.app_context():
            housekeeping(app, first=True)
        thread = threading.Thread(target=_housekeeping_loop, args=(app, interval, stop), daemon=True,
                                  name="roster-housekeeping")
        state["thread"] = thread
        thread.start()


_housekeeping_lock = threading.Lock()


def stop_housekeeping(app: Flask) -> None:
    state = app.extensions.get("roster_housekeeping") or {}
    if state.get("pid") == os.getpid():
        state["stop"].set()
        state["thread"].join(10)
        state.clear()


def _housekeeping_loop(app: Flask, interval: float, stop: threading.Event) -> None:
    while not stop.wait(interval):
        with app.app_context():
            housekeeping(app)


def housekeeping(app: Flask, *, first: bool = False) -> None:
    """One pass: dispatch the mails that are due, beat for this process's imports and bulk changes, end the
    imports whose process is gone (at start: at once for this host's dead processes; else after a missed
    heartbeat) and take up the bulk changes whose process is gone."""
    try:
        me = runner_name()
        host = socket.gethostname()
        if first:
            dead = [r for r in importing.runners_on(host) if r != me and not _alive(r)]
            importing.fail_runners(dead)
        importing.beat(me)
        importing.fail_stalled_jobs()
        bulk.beat(me)
        for job_id in bulk.claim_stalled(me, [r for r in bulk.runners_on(host) if r != me and not _alive(r)]):
            start_bulk(job_id)  # a bulk change whose process died goes on where it stopped
        year_close.beat(me)
        for close_id in year_close.stalled(me):
            start_year_close(close_id)  # so does a close of the school year
        due = mail.due_mails()
        if due:
            dispatch(due)
    except SQLAlchemyError as exc:  # a database away, locked or not migrated yet: the next pass tries again
        db.session.rollback()
        log.warning("Housekeeping pass skipped: %s", str(exc).splitlines()[0])
    except Exception:
        db.session.rollback()
        log.exception("Housekeeping pass failed")
    finally:
        db.session.remove()


def _alive(runner: str) -> bool:
    """Whether the process a runner names ("host:pid", on this host) still runs."""
    try:
        os.kill(int(runner.rsplit(":", 1)[1]), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, ValueError):
        return True
    return True
