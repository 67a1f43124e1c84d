"""Retention: `flask roster purge` (and the daily Celery beat task) removes what is past its period, with a frozen
clock standing in for the months going by."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from roster import tasks
from roster.extensions import db
from roster.models import AccountStatus, Invitation, Student, UserSession, utcnow
from roster.records import AuditEvent, ImportJob, MailMessage
from roster.services import invitations, retention
from tests import factories
from tests.agent import Agent


@pytest.fixture
def story(app, world, agent):
    """A pending sign-up, an invitation, its mail, and a finished import with a failed row, all made today."""
    with app.app_context():
        factories.set_status(db.session.get(Student, world.out_section.id), AccountStatus.PENDING)
        db.session.commit()
        invitations.invite(world.school_a.id, "later.pupil@example.org", actor=world.admin_a)
    admin = agent("admin_a")
    page = admin.upload_import("list.csv", b"Last name,First name,Date of birth\nKim,Dana,2011-01-01\n"
                               b"Lee,Ann,31.02.2011\n")
    admin.confirm_import(page)
    tasks.wait_for_background_work(app)
    return admin


def purge(app, monkeypatch, days: int, *, dry_run: bool = False) -> str:
    """`flask roster purge` run `days` from now."""
    frozen = utcnow() + timedelta(days=days)
    monkeypatch.setattr(retention, "utcnow", lambda: frozen)
    result = app.test_cli_runner().invoke(args=["roster", "purge", *(["--dry-run"] if dry_run else [])])
    assert result.exit_code == 0, result.output
    return result.output


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_each_kind_goes_when_its_time_is_up_and_not_before(app, world, story, agent, monkeypatch):
    output = purge(app, monkeypatch, 29)
    assert output.count(": 0") == 6 and "idle sessions: 1" in output  # nothing is due yet but the admin's session
    output = purge(app, monkeypatch, 31, dry_run=True)
    assert "Would remove (dry run: nothing removed):" in output and "import reports: 1" in output
    with app.app_context():
        assert "purged" not in db.session.scalars(select(ImportJob)).one().report  # a dry run removes nothing
    assert "import reports: 1" in purge(app, monkeypatch, 31)  # 30 days after the import finished
    assert "expired invitations: 0" in purge(app, monkeypatch, 43)
    assert "expired invitations: 1" in purge(app, monkeypatch, 45)  # 30 days after its 14 days
    assert count(app, Invitation) == 0
    assert "pending sign-ups: 0" in purge(app, monkeypatch, 89)
    assert count(app, Student, Student.id == world.out_section.id) == 1
    output = purge(app, monkeypatch, 91)
    assert "Removed:" in output and "pending sign-ups: 1" in output and "mail bodies: 0" in output
    assert count(app, Student, Student.id == world.out_section.id) == 0  # erased, as Delete erases
    with app.app_context():
        job = db.session.scalars(select(ImportJob)).one()
        assert job.report["purged"] and job.report["errors"] == [] and job.failed_rows_csv is None
        assert job.created_count == 1 and job.error_count == 1  # the counts stay
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "retention purge")
                                   .order_by(AuditEvent.id)).all()[-1]
        assert event.details["pending sign-ups"] == 1 and event.actor_id is None
    # (the admin's session went as idle on the frozen clock: they sign in again)
    assert "Its rows were removed after the retention period" in agent("admin_a").get(f"/admin/imports/{job.id}").text

    assert "mail bodies: 0" in purge(app, monkeypatch, 179)
    assert "mail bodies: 1" in purge(app, monkeypatch, 181)  # the invitation's mail
    with app.app_context():
        mail = db.session.scalars(select(MailMessage).where(MailMessage.kind == "invitation")).one()
        assert mail.body_text == retention.PURGED and mail.to_address == "later.pupil@example.org"

    before = count(app, AuditEvent)
    purge(app, monkeypatch, 3 * 365 - 1)
    assert count(app, AuditEvent) == before + 1  # only the run's own event was added
    purge(app, monkeypatch, 3 * 365 + 1)
    assert count(app, AuditEvent) == 1  # the last run's own event, made today


def test_the_celery_beat_task_runs_the_purge_daily(app, world, monkeypatch):
    schedule = app.extensions["celery"].conf.beat_schedule["retention-purge"]
    assert schedule["task"] == "roster.tasks.purge" and schedule["schedule"] == 24 * 3600
    frozen = utcnow() + timedelta(days=10_000)
    monkeypatch.setattr(retention, "utcnow", lambda: frozen)
    with app.app_context():
        tasks.purge.run()
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "retention purge")) is not None


def test_the_periods_are_settings(make_app, world, monkeypatch):
    app = make_app(RETENTION_PENDING_SIGN_UP_DAYS=5)
    with app.app_context():
        factories.set_status(db.session.get(Student, world.out_section.id), AccountStatus.PENDING)
        db.session.commit()
    assert "pending sign-ups: 1" in purge(app, monkeypatch, 6, dry_run=True)
    assert Agent(app).get("/login").status_int == 200


def test_a_session_idle_past_its_timeout_goes_with_its_client_address(app, world, monkeypatch):
    """A session no one can use any more (idle for longer than SESSION_IDLE_TIMEOUT) still holds the client's
    address and the time they were last seen: the daily purge removes it, and only it."""
    admin = Agent(app, address="203.0.113.7")
    admin.sign_in(world.admin_a.email)
    with app.app_context():
        assert db.session.scalars(select(UserSession.ip_address)).all() == ["203.0.113.7"]
    frozen = utcnow() + timedelta(hours=11)
    monkeypatch.setattr(retention, "utcnow", lambda: frozen)
    assert "idle sessions: 0" in app.test_cli_runner().invoke(args=["roster", "purge"]).output
    assert count(app, UserSession) == 1
    assert "idle sessions: 1" in purge(app, monkeypatch, 1)  # 24 hours on: past the 12 hours' timeout
    assert count(app, UserSession) == 0
    assert admin.get("/admin/students/").status_int == 302  # signed out, as the timeout had already done


def test_children_who_left_are_kept_unless_the_school_sets_a_period(make_app, world, monkeypatch):
    """Off by default (the school's archive); with RETENTION_LEFT_DAYS set, a child who left longer ago than that
    is erased, as Delete erases, and their movements stay counted without them."""
    from datetime import date

    from roster.models import Movement, User
    from roster.services import movements

    app = make_app()
    with app.app_context():
        movements.leave([world.out_section.id], world.school_a.id, on=date.today(), reason="other",
                        actor=db.session.get(User, world.admin_a.id))
    assert "children who left: 0" in purge(app, monkeypatch, 400)  # kept: no period set
    assert count(app, Student, Student.id == world.out_section.id) == 1
    app = make_app(RETENTION_LEFT_DAYS=30)
    assert "children who left: 0" in purge(app, monkeypatch, 29)
    assert "children who left: 1" in purge(app, monkeypatch, 31)
    assert count(app, Student, Student.id == world.out_section.id) == 0
    assert count(app, Movement, Movement.kind == "left", Movement.student_id.is_(None)) == 1
