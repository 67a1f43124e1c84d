"""Schools (platform admins) and Staff (platform and school admins): onboarding, links, roles, all audited."""

import re

import pytest
from sqlalchemy import func, select

from roster import tasks
from roster.errors import Forbidden
from roster.extensions import db
from roster.models import Membership, School, Section, User
from roster.records import AuditEvent, MailMessage
from roster.services import schools
from tests.agent import Agent, follow, row_form
from tests.helpers import Browser, mail_config


def school(app, school_id) -> School:
    with app.app_context():
        found = db.session.get(School, school_id)
        db.session.expunge(found)
        return found


def save(user, url, **fields):
    """Open a form page (new/edit), fill it in, Save."""
    return user.submit(user.open(url), field=next(iter(fields)), **fields)


def press(user, school_id, action):
    """A button of the school's page (Regenerate, Deactivate, Activate again)."""
    return user.submit(user.get(f"/admin/schools/details/?id={school_id}"), action=action)


def remove_role(user, membership_id):
    return row_form(user.get("/admin/staff/"), "/delete/", membership_id).submit()


def switch(user, school_id):
    return user.submit(user.get("/admin/students/"), id="school-switcher", school_id=str(school_id))


def actions(app) -> list[str]:
    with app.app_context():
        return db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()


def test_platform_admin_creates_renames_and_deactivates_a_school(app, world, agent):
    platform = agent("platform")
    response = save(platform, "/admin/schools/new/", name="  Gamma   Lyceum ", slug="")
    assert response.status_code == 302
    with app.app_context():
        gamma = db.session.scalar(select(School).where(School.name == "Gamma Lyceum"))
        assert (gamma.slug, gamma.is_active) == ("gamma-lyceum", True)
        gamma_id = gamma.id
    page = platform.get(f"/admin/schools/details/?id={gamma_id}").text
    assert f"/join/{gamma.signup_token}" in page
    assert "This field is required." in save(platform, "/admin/schools/new/", name=" ").text
    page = save(platform, "/admin/schools/new/", name="Gamma Lyceum").text
    assert "Another school already uses this short name." in page
    assert save(platform, f"/admin/schools/edit/?id={gamma_id}", name="Gamma School No. 3").status_code == 302
    assert school(app, gamma_id).name == "Gamma School No. 3"
    assert press(platform, gamma_id, "/active").status_code == 302
    assert school(app, gamma_id).is_active is False
    assert actions(app)[-3:] == ["school created", "school renamed", "school deactivated"]


def test_only_platform_admins_manage_schools(app, world, as_role):
    for name in ("admin_a", "teacher_a"):  # forged: the pages are not theirs
        browser = as_role(name)
        assert browser.get("/admin/schools/").status_code == 403
        assert browser.post("/admin/schools/new/", {"name": "Sneaky"}).status_code == 403
        assert browser.post("/admin/schools/regenerate", {"id": world.school_a.id}).status_code == 403
        assert browser.post("/admin/schools/active", {"id": world.school_a.id, "active": "0"}).status_code == 403
    assert as_role("student_user").get("/admin/schools/").status_code == 403
    assert as_role("anonymous").get("/admin/schools/").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count(School.id))) == 2
        assert db.session.get(School, world.school_a.id).is_active


def test_a_regenerated_link_refuses_sign_ups_through_the_old_one(app, world, agent):
    old = school(app, world.school_a.id).signup_token
    visitor = agent("anonymous")
    opened = visitor.open(f"/join/{old}")  # opened before the link changes, sent after
    assert opened.status_code == 200
    platform = agent("platform")
    assert press(platform, world.school_a.id, "/regenerate").status_code == 302
    new = school(app, world.school_a.id).signup_token
    assert new != old
    assert visitor.get(f"/join/{old}").status_code == 404
    response = visitor.submit(opened, field="password", last_name="Late", first_name="Comer",
                              email="late@example.org", password="x" * 14, confirm_password="x" * 14,
                              expect=(404,))
    assert response.status_code == 404
    assert visitor.open(f"/join/{new}").status_code == 200
    assert actions(app)[-1] == "school link regenerated"


def test_a_deactivated_school_refuses_its_pages_and_link(app, world, agent):
    token = school(app, world.school_b.id).signup_token
    platform = agent("platform")
    press(platform, world.school_b.id, "/active")
    admin_b = Browser(app)
    admin_b.sign_in("admin@beta.example")  # the account still signs in; its school's pages do not open
    assert admin_b.get("/admin/students/").status_code == 403
    assert admin_b.get("/admin/").status_code == 403
    assert Browser(app).get(f"/join/{token}").status_code == 404
    with app.app_context():  # the data stays
        assert db.session.get(User, world.admin_b.id) is not None
        assert db.session.scalar(select(func.count()).select_from(Membership).where(
            Membership.school_id == world.school_b.id)) == 1
    names = platform.get("/admin/schools/").text
    assert "Beta School" in names
    press(platform, world.school_b.id, "/active")  # Activate again
    assert admin_b.get("/admin/students/").status_code == 200


def test_adding_a_new_person_mails_a_single_use_link_to_set_a_password(make_app, world, outbox, smtp_port):
    app = make_app(**mail_config(smtp_port))
    admin = Agent(app)
    admin.sign_in("admin@alpha.example")
    response = save(admin, "/admin/staff/new/", email=" New.Teacher@Example.org ", role="teacher",
                    last_name="Новикова", first_name="Алия")
    assert response.status_code == 302
    tasks.wait_for_background_work(app)
    (message,) = outbox.wait_for(1)
    assert message["To"] == "new.teacher@example.org" and "teacher of Alpha School" in message["Subject"]
    link = re.search(r"(http://\S+/reset-password/\S+)", message.get_body(("plain",)).get_content()).group(1)
    path = link.split("5000", 1)[1]
    newcomer = Agent(app)
    assert save(newcomer, path, new_password="alia's passphrase", confirm_password="alia's passphrase"
                ).status_code == 302
    assert newcomer.open(path).status_code == 404  # single use
    newcomer.sign_in("new.teacher@example.org", "alia's passphrase")
    assert newcomer.get("/admin/students/").status_code == 200
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "new.teacher@example.org"))
        assert (user.last_name, user.first_name) == ("Новикова", "Алия")
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "staff added")
                                  .order_by(AuditEvent.id.desc()).limit(1))
        assert event.details == {"email": "new.teacher@example.org", "role": "teacher", "account": "created"}


def test_someone_with_an_account_is_given_the_role_and_told(app, world, agent):
    platform = agent("platform")
    switch(platform, world.school_b.id)
    response = save(platform, "/admin/staff/new/", email="teacher@alpha.example", role="admin")
    assert response.status_code == 302
    tasks.wait_for_background_work(app)
    with app.app_context():
        kinds = db.session.scalars(select(MailMessage.kind).where(MailMessage.to_address == "teacher@alpha.example"))
        assert list(kinds) == ["staff role given"]
    # One person, roles in two schools: the switcher offers both.
    teacher = agent("teacher_a")
    page = teacher.get("/admin/students/").text
    assert "Alpha School" in page and "Beta School" in page
    switch(teacher, world.school_b.id)
    assert "Beta Boris" in teacher.get("/admin/students/").text
    page = save(platform, "/admin/staff/new/", email="teacher@alpha.example", role="admin").text
    assert "already is a school admin of this school" in page
    assert "Enter a valid email" in save(platform, "/admin/staff/new/", email="nope", role="teacher").text


def test_removing_a_role_keeps_the_account_and_leaves_sections(app, world, as_role, agent):
    admin = agent("admin_a")
    with app.app_context():
        membership_id = db.session.scalar(select(Membership.id).where(
            Membership.user_id == world.teacher_a.id, Membership.school_id == world.school_a.id))
    assert "teacher@alpha.example" in admin.get("/admin/staff/").text
    assert remove_role(admin, membership_id).status_code == 302
    with app.app_context():
        assert db.session.get(Membership, membership_id) is None
        assert db.session.get(User, world.teacher_a.id) is not None
        assert db.session.get(Section, world.section_a1.id).teachers == []
    assert as_role("teacher_a").get("/admin/students/").status_code == 403
    assert [a for a in actions(app) if a != "signed in"][-1] == "staff removed"
    # An admin cannot lock themselves out; another school's staff are not there at all.
    with app.app_context():
        own = db.session.scalar(select(Membership.id).where(Membership.user_id == world.admin_a.id))
        other = db.session.scalar(select(Membership.id).where(Membership.user_id == world.admin_b.id))
    page = follow(remove_role(admin, own))
    assert "You cannot remove your own admin role" in page.text
    forger = as_role("admin_a")  # another school's role is not on the page: a forged request
    assert forger.post("/admin/staff/delete/", {"id": other, "url": "/admin/staff/"}).status_code == 404
    with app.app_context():
        assert db.session.get(Membership, own) is not None and db.session.get(Membership, other) is not None


def test_teachers_do_not_manage_staff(app, world, as_role):
    teacher = as_role("teacher_a")
    assert teacher.get("/admin/staff/").status_code == 403
    assert teacher.post("/admin/staff/new/", {"email": "x@example.org", "role": "admin"}).status_code == 403  # forged
    with app.app_context():
        assert db.session.scalar(select(User.id).where(User.email == "x@example.org")) is None


def test_a_platform_admin_without_schools_lands_on_schools(make_app):
    from tests import factories

    app = make_app()
    with app.app_context():
        factories.user("first@example.org", platform=True)
    browser = Browser(app)
    browser.sign_in("first@example.org")
    response = browser.get("/admin/")
    assert response.status_code == 302 and response.location.endswith("/admin/schools/")
    assert browser.get("/admin/schools/").status_code == 200


def test_only_who_manages_staff_may_give_a_role(ctx, world):
    """add_staff (demo data, test fixtures) checks its actor like every service: a teacher cannot make an admin."""
    teacher = db.session.get(User, world.teacher_a.id)
    with pytest.raises(Forbidden):
        schools.add_staff(world.school_a.id, world.teacher_a.id, "admin", actor=teacher)
    assert db.session.scalar(select(func.count(Membership.id)).where(
        Membership.user_id == world.teacher_a.id, Membership.role == "admin")) == 0
