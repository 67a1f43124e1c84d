"""Background work: Celery when CELERY_BROKER_URL is set, else a thread of this process.

Tasks are a few lines around a service call, with ids as arguments (Flask's FlaskTask pattern).
"""

import time
from concurrent.futures import ThreadPoolExecutor

from celery import Celery, Task, shared_task
from flask import Flask, current_app

from roster.services import importing, mail


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
    })
    celery.set_default()
    app.extensions["celery"] = celery
    app.extensions["roster_executor"] = ThreadPoolExecutor(max_workers=2, thread_name_prefix="roster-task")
    app.extensions["roster_futures"] = []
    return celery


@shared_task(bind=True, ignore_result=True, max_retries=None)
def deliver_mail(self, message_id: int) -> None:
    delays = current_app.config["MAIL_RETRY_DELAYS"]
    final = self.request.retries >= len(delays)
    if not mail.deliver(message_id, final=final):
        raise self.retry(countdown=delays[self.request.retries])


def _deliver_in_process(app: Flask, message_ids: list[int]) -> None:
    """Deliver one commit's mails in turn, each with its retries; with no mail server, keep them all at once."""
    with app.app_context():
        if not app.config.get("MAIL_SERVER"):
            mail.keep_unsent(message_ids)
            return
        delays = app.config["MAIL_RETRY_DELAYS"]
        for message_id in message_ids:
            for attempt in range(len(delays) + 1):
                if mail.deliver(message_id, final=attempt == len(delays)):
                    break
                time.sleep(delays[attempt])


@shared_task(ignore_result=True)
def run_import(job_id: int, dry_run: bool) -> None:
    importing.run_job(job_id, dry_run=dry_run)


def _run_import_in_process(app: Flask, job_id: int, dry_run: bool) -> None:
    with app.app_context():
        importing.run_job(job_id, dry_run=dry_run)


def start_import(job_id: int, *, dry_run: bool) -> None:
    """Make an import's preview or run it: on the Celery worker where a broker is configured, else in a thread."""
    app = current_app._get_current_object()
    if app.config["CELERY_BROKER_URL"]:
        run_import.delay(job_id, dry_run)
        return
    _keep(app, app.extensions["roster_executor"].submit(_run_import_in_process, app, job_id, dry_run))


def dispatch(message_ids: list[int]) -> None:
    """Deliver committed mails: on the Celery worker where a broker is configured, else in a thread here."""
    app = current_app._get_current_object()
    if app.config["CELERY_BROKER_URL"]:
        for message_id in message_ids:
            deliver_mail.delay(message_id)
        return
    _keep(app, app.extensions["roster_executor"].submit(_deliver_in_process, app, list(message_ids)))


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
