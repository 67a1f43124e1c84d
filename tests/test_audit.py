"""Every service that changes state writes exactly one audit event, and never a password or a token."""

import json
import re

import pytest
from sqlalchemy import func, select

from roster import tasks
from roster.extensions import db
from roster.models import Invitation, Membership, PasswordReset, Student, User
from roster.records import AuditEvent
from roster.services import accounts, credentials, erasure, exporting, importing, invitations, schools, students
from tests.factories import PASSWORD

SECRET = "the students secret pass"


def actor(world, name):
    return db.session.get(User, world[name].id)


def invite_token(ctx, world):
    """An invitation with a known token (the real one only ever leaves in a mail)."""
    invitations.invite(world.school_a.id, "new@example.org", actor=actor(world, "admin_a"))
    token = "known-token-for-the-test-0123456789abcdef"
    db.session.scalar(select(Invitation)).token_digest = invitations.digest(token)
    db.session.commit()
    return token


SERVICES = {
    "student created": lambda w, ctx: students.create(w.school_a.id, {"last_name": "A", "first_name": "B"},
                                                      actor=actor(w, "admin_a")),
    "student updated": lambda w, ctx: students.update(w.in_section.id, w.school_a.id, {"first_name": "Ivo"},
                                                      actor=actor(w, "admin_a")),
    "student erased": lambda w, ctx: erasure.erase([w.out_section.id], w.school_a.id, actor=actor(w, "admin_a")),
    "students invited": lambda w, ctx: invitations.invite(w.school_a.id, "x@example.org", actor=actor(w, "admin_a")),
    "student signed up": lambda w, ctx: invitations.sign_up(
        invitations.resolve_link(invitation_token=ctx["token"]),
        {"last_name": "N", "first_name": "M", "phone": "", "password": SECRET, "confirm_password": SECRET,
         "accept_notice": True}),
    "student activated": lambda w, ctx: students.activate([ctx["pending"]], w.school_a.id, actor=actor(w, "admin_a")),
    "email changed": lambda w, ctx: students.change_email(w.out_section.id, w.school_a.id, "o@example.org",
                                                          "o@example.org", actor=actor(w, "admin_a")),
    "students exported": lambda w, ctx: exporting.begin(
        w.school_a.id, actor=actor(w, "admin_a"), filters=[], columns=["full_name"], fmt="csv"),
    "password changed": lambda w, ctx: accounts.change_password(w.admin_a.id, current=PASSWORD, new=SECRET,
                                                                confirm=SECRET, keep_session=None),
    "password reset requested": lambda w, ctx: accounts.request_password_reset("admin@alpha.example"),
    "password reset": lambda w, ctx: accounts.reset_password(ctx["reset"], new=SECRET, confirm=SECRET),
    "invitation revoked": lambda w, ctx: invitations.revoke(
        [db.session.scalar(select(Invitation.id))], w.school_a.id, actor=actor(w, "admin_a")),
    "credentials issued": lambda w, ctx: credentials.issue(
        w.in_section.id, w.school_a.id, login="", email="inside@alpha.example", password=SECRET,
        actor=actor(w, "teacher_a")),
    "students imported": lambda w, ctx: importing.import_students(
        importing.read_file(b"Last name,First name\nNew,Row\n", "a.csv"), w.school_a.id, dry_run=False,
        actor=actor(w, "admin_a"), file_name="a.csv"),
    "school renamed": lambda w, ctx: schools.rename(w.school_b.id, "Beta Lyceum", actor=actor(w, "platform")),
    "school deactivated": lambda w, ctx: schools.set_active(w.school_b.id, False, actor=actor(w, "platform")),
    "school link regenerated": lambda w, ctx: schools.regenerate_link(w.school_b.id, actor=actor(w, "platform")),
    "staff removed": lambda w, ctx: schools.remove_staff(
        db.session.scalar(select(Membership.id).where(Membership.user_id == w.teacher_a.id)), w.school_a.id,
        actor=actor(w, "admin_a")),
    "school created": lambda w, ctx: schools.create("Gamma School", actor=actor(w, "platform")),
    "staff added": lambda w, ctx: schools.invite_staff(w.school_b.id, "new.staff@example.org", "teacher",
                                                       actor=actor(w, "admin_b")),
}


@pytest.mark.parametrize("action", list(SERVICES))
def test_each_service_writes_one_event_and_no_secret(app, ctx, world, action):
    setup = {}
    setup["token"] = invite_token(ctx, world)
    pending = db.session.get(Student, world.out_section.id)
    pending.account_status = "pending"
    db.session.add(PasswordReset(user_id=world.admin_b.id, token_digest=accounts._digest("reset-token-123"),
                                 expires_at=invitations.utcnow().replace(year=2100)))
    db.session.commit()
    setup["pending"], setup["reset"] = pending.id, "reset-token-123"
    tasks.wait_for_background_work(app)
    before = db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == action))

    SERVICES[action](world, setup)
    tasks.wait_for_background_work(app)

    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()
    assert len(events) - before == 1
    text = json.dumps([e.details for e in events], ensure_ascii=False)
    for secret in (SECRET, PASSWORD, setup["token"], setup["reset"]):
        assert secret not in text
    assert not re.search(r"\$argon2", text)
