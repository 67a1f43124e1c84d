"""Every form of the app, for every role that may use it, submitted as its page rendered it.

Each case opens the page a person would open, fills only the smallest valid input into the form the page shows
(its action, hidden fields, CSRF token and field names are the page's own) and checks that it did what it says:
a record stored, a mail written, a redirect. A form that renders no token, or names a field otherwise than the
server reads it, fails here with 400 or a missing field, as it fails for a person.
"""

import re

import pytest
from sqlalchemy import func, select

from roster.extensions import db
from roster.models import AccountStatus, Invitation, Membership, School, Section, Student, User
from roster.records import AuditEvent, ImportJob, MailMessage, MailStatus
from roster.services import accounts
from tests import factories
from tests.agent import Agent, find_form, follow, row_form
from tests.helpers import mail_config

STAFF = ["platform", "admin_a"]
EVERYONE_STAFF = ["platform", "admin_a", "teacher_a"]
SIGNED_IN = ["platform", "admin_a", "teacher_a", "student_user"]


def stored(app, model, *where):
    with app.app_context():
        return db.session.scalars(select(model).where(*where)).all()


def one(app, model, *where):
    [row] = stored(app, model, *where)
    return row


def password_is(app, user_id, password):
    with app.app_context():
        return accounts.verify_password(db.session.get(User, user_id).password_hash, password)


def mails_to(app, address):
    return stored(app, MailMessage, MailMessage.to_address == address)


def in_school_a(agent, world, name):
    """Sign in; a platform admin picks Alpha School in the navbar's switcher first, as they would."""
    user = agent(name)
    if name == "platform":
        page = user.get("/admin/students/")
        user.submit(page, id="school-switcher", school_id=str(world.school_a.id))
    return user


def students_page(user):
    page = user.get("/admin/students/")
    assert page.status_int == 200
    return page


# Signed out: sign in, sign up, forgot and reset password.

def test_sign_in(app, world):
    from tests.agent import Agent

    user = Agent(app)
    response = user.submit(user.get("/login"), field="password", login=world.admin_a.email,
                           password=factories.PASSWORD, expect=(302,))
    assert follow(response).request.path == "/admin/students/"


def test_sign_up_with_required_fields_only(app, agent, world):
    user = agent("anonymous")
    page = user.open(f"/join/{world.school_a.signup_token}")
    response = user.submit(page, field="password", last_name="Новый", first_name="Ученик", email="new@pupil.example",
                           password="a long new password", confirm_password="a long new password",
                           accept_notice=True, expect=(302,))
    assert "/login" in response.location
    student = one(app, Student, Student.email == "new@pupil.example")
    assert (student.school_id, student.account_status) == (world.school_a.id, AccountStatus.PENDING.value)
    assert mails_to(app, "new@pupil.example")


def test_forgot_and_reset_password(make_app, world, outbox, smtp_port):
    app = make_app(**mail_config(smtp_port))
    user = Agent(app)
    page = user.get("/login").click(href="/forgot-password")
    user.submit(page, field="email", email=world.teacher_a.email, expect=(302,))
    [mail] = outbox.wait_for(1)  # the live link is in the mail only (the Mail log hides it)
    link = re.search(r"(/reset-password/[\w\-]+)", mail.get_body(("plain",)).get_content()).group(1)
    page = user.open(link)
    user.submit(page, field="new_password", new_password="another long password",
                confirm_password="another long password", expect=(302,))
    assert password_is(app, world.teacher_a.id, "another long password")


# Everyone signed in: Settings → Security, sign out.

@pytest.mark.parametrize("name", SIGNED_IN)
def test_change_password_in_settings(app, agent, world, name):
    user = agent(name)
    page = user.get("/settings/security")
    user.submit(page, field="new_password", current_password=factories.PASSWORD,
                new_password="my own new password", confirm_password="my own new password", expect=(302,))
    assert password_is(app, world[name].id, "my own new password")


@pytest.mark.parametrize("name", SIGNED_IN)
def test_sign_out(agent, name):
    user = agent(name)
    response = user.sign_out()
    assert response.status_int == 302 and "/login" in response.location
    assert user.get("/account").status_int == 302  # signed out for real


def test_school_switcher(agent, world):
    user = agent("platform")
    page = user.get("/admin/students/")
    user.submit(page, id="school-switcher", school_id=str(world.school_b.id), expect=(302,))
    listing = user.get("/admin/students/").text
    assert "Beta" in listing and "Inside" not in listing


# Students: add, edit, delete, activate, change email, credentials, columns.

@pytest.mark.parametrize("name", STAFF)
def test_add_a_student_with_required_fields_only(app, agent, world, name):
    user = in_school_a(agent, world, name)
    page = user.get("/admin/students/new/")
    response = user.submit(page, field="last_name", last_name="Асанов", first_name="Ерлан", expect=(302,))
    assert response.status_int == 302
    student = one(app, Student, Student.last_name == "Асанов")
    assert (student.school_id, student.first_name, student.phone) == (world.school_a.id, "Ерлан", "")


@pytest.mark.parametrize("name", STAFF)
def test_edit_a_student_without_guardians(app, agent, world, name):
    user = in_school_a(agent, world, name)
    page = user.get(f"/admin/students/edit/?id={world.out_section.id}")
    user.submit(page, field="last_name", first_name="Ольга-Мария", expect=(302,))
    assert one(app, Student, Student.id == world.out_section.id).first_name == "Ольга-Мария"


@pytest.mark.parametrize("name", STAFF)
def test_delete_a_student_from_its_row(app, agent, world, name):
    user = in_school_a(agent, world, name)
    page = students_page(user)
    assert row_form(page, "/delete/", world.out_section.id).submit().status_int == 302
    assert stored(app, Student, Student.id == world.out_section.id) == []


@pytest.mark.parametrize("name", STAFF)
def test_activate_a_pending_student_from_its_row(app, agent, world, name):
    with app.app_context():
        factories.set_status(db.session.get(Student, world.in_section.id), AccountStatus.PENDING)
    user = in_school_a(agent, world, name)
    page = students_page(user)
    user.submit(page, action="/admin/students/activate", expect=(302,))
    assert one(app, Student, Student.id == world.in_section.id).account_status == AccountStatus.ACTIVE.value


@pytest.mark.parametrize("name", STAFF)
def test_change_a_students_email(app, agent, world, name):
    user = in_school_a(agent, world, name)
    page = user.get(f"/admin/students/change-email?id={world.out_section.id}")
    user.submit(page, field="new_email", new_email="olga@alpha.example", confirm_email="olga@alpha.example",
                expect=(302,))
    assert one(app, Student, Student.id == world.out_section.id).email == "olga@alpha.example"
    assert mails_to(app, "olga@alpha.example")


@pytest.mark.parametrize("name", EVERYONE_STAFF)
def test_credentials_with_a_generated_password(app, agent, world, name):
    user = in_school_a(agent, world, name)
    page = user.get(f"/admin/students/credentials?id={world.in_section.id}")
    page = user.submit(page, id="credentials-form", button="change")
    password = find_form(page, id="credentials-form")["password"].value
    assert len(password) >= 12
    user.submit(page, id="credentials-form", button=None, expect=(302,))
    student = one(app, Student, Student.id == world.in_section.id)
    assert password_is(app, student.user_id, password)
    assert mails_to(app, "inside@alpha.example")


@pytest.mark.parametrize("name", EVERYONE_STAFF)
def test_choose_columns(agent, world, name):
    user = in_school_a(agent, world, name)
    page = students_page(user)
    form = find_form(page, id="columns-form")
    for checkbox in form.fields["column"]:
        checkbox.checked = checkbox._value in ("full_name", "sections")
    assert form.submit().status_int == 302
    header = re.findall(r'<th class="column-header col-(\w+)', students_page(user).text)
    assert header == ["full_name", "sections"]


# Invite, import.

@pytest.mark.parametrize("name", STAFF)
def test_invite_one_address(app, agent, world, name):
    user = in_school_a(agent, world, name)
    page = user.get("/admin/invite/")
    response = user.submit(page, field="emails", emails="friend@pupil.example")
    assert "1 invitation sent." in response.text
    assert one(app, Invitation, Invitation.email == "friend@pupil.example").school_id == world.school_a.id
    assert mails_to(app, "friend@pupil.example")


@pytest.mark.parametrize("name", STAFF)
def test_import_upload_confirm_and_cancel(app, agent, world, name):
    user = in_school_a(agent, world, name)
    data = "Last name,First name\nИмпортов,Иван\n".encode()
    user.confirm_import(user.upload_import("list.csv", data))
    assert one(app, Student, Student.last_name == "Импортов").school_id == world.school_a.id

    job_page = user.upload_import("again.csv", data)
    follow(user.submit(job_page, action="/cancel", expect=(302,)))
    assert len(stored(app, Student, Student.last_name == "Импортов")) == 1
    assert len(stored(app, ImportJob, ImportJob.school_id == world.school_a.id)) >= 1


# Sections and staff.

@pytest.mark.parametrize("name", STAFF)
def test_sections_create_edit_delete(app, agent, world, name):
    user = in_school_a(agent, world, name)
    page = user.get("/admin/sections/new/")
    user.submit(page, field="name", name="3C", expect=(302,))
    section = one(app, Section, Section.name == "3C")
    page = user.get(f"/admin/sections/edit/?id={section.id}")
    user.submit(page, field="name", name="3D", teachers=[str(world.teacher_a.id)], expect=(302,))
    with app.app_context():
        renamed = db.session.get(Section, section.id)
        assert (renamed.name, [t.id for t in renamed.teachers]) == ("3D", [world.teacher_a.id])
    page = user.get("/admin/sections/")
    assert row_form(page, "/delete/", section.id).submit().status_int == 302
    assert stored(app, Section, Section.id == section.id) == []


@pytest.mark.parametrize("name", STAFF)
def test_staff_add_and_remove(app, agent, world, name):
    user = in_school_a(agent, world, name)
    page = user.get("/admin/staff/new/")
    user.submit(page, field="email", email="new.teacher@alpha.example", expect=(302,))
    new = one(app, User, User.email == "new.teacher@alpha.example")
    membership = one(app, Membership, Membership.user_id == new.id)
    assert (membership.school_id, membership.role) == (world.school_a.id, "teacher")
    assert mails_to(app, "new.teacher@alpha.example")
    page = user.get("/admin/staff/")
    user.bulk_action(page, "delete", [membership.id], expect=(302,))
    assert stored(app, Membership, Membership.id == membership.id) == []


# Bulk actions of the lists.

@pytest.mark.parametrize("name", STAFF)
def test_bulk_delete_activate_credentials_export(app, agent, world, name):
    with app.app_context():
        factories.set_status(db.session.get(Student, world.in_section.id), AccountStatus.PENDING)
    user = in_school_a(agent, world, name)
    user.bulk_action(students_page(user), "activate", [world.in_section.id], expect=(302,))
    assert one(app, Student, Student.id == world.in_section.id).account_status == AccountStatus.ACTIVE.value

    user.bulk_action(students_page(user), "send_credentials", [world.in_section.id], expect=(302,))
    assert one(app, Student, Student.id == world.in_section.id).user_id is not None

    export = user.bulk_action(students_page(user), "export", [world.in_section.id], expect=(200,))
    assert export.content_type == "text/csv" and "Inside Ivan" in export.body.decode("utf-8-sig")

    user.bulk_action(students_page(user), "delete", [world.out_section.id], expect=(302,))
    assert stored(app, Student, Student.id == world.out_section.id) == []


def test_teacher_sends_credentials_in_bulk(app, agent, world):
    user = agent("teacher_a")
    user.bulk_action(students_page(user), "send_credentials", [world.in_section.id], expect=(302,))
    assert one(app, Student, Student.id == world.in_section.id).user_id is not None


@pytest.mark.parametrize("name", STAFF)
def test_invitations_resend_and_revoke(app, agent, world, name):
    user = in_school_a(agent, world, name)
    user.submit(user.get("/admin/invite/"), field="emails", emails="a@pupil.example b@pupil.example")
    first, second = (one(app, Invitation, Invitation.email == e).id for e in ("a@pupil.example", "b@pupil.example"))
    user.bulk_action(user.get("/admin/invitations/"), "resend", [first], expect=(302,))
    assert len(mails_to(app, "a@pupil.example")) == 2
    user.bulk_action(user.get("/admin/invitations/"), "revoke", [second], expect=(302,))
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action.like("%revoked%"))) >= 1


@pytest.mark.parametrize("name", STAFF)
def test_mail_log_resend(app, agent, world, name):
    with app.app_context():
        mail = MailMessage(school_id=world.school_a.id, kind="test", to_address="lost@pupil.example",
                           subject="Hello", body_text="Hello", status=MailStatus.FAILED.value, attempts=3)
        db.session.add(mail)
        db.session.commit()
        mail_id = mail.id
    user = in_school_a(agent, world, name)
    user.bulk_action(user.get("/admin/mail_log/"), "resend", [mail_id], expect=(302,))
    assert one(app, MailMessage, MailMessage.id == mail_id).status != MailStatus.FAILED.value


# Schools (platform admins).

def test_schools_create_rename_regenerate_deactivate(app, agent, world):
    user = agent("platform")
    page = user.get("/admin/schools/new/")
    user.submit(page, field="name", name="Gamma School", expect=(302,))
    school = one(app, School, School.name == "Gamma School")
    page = user.get(f"/admin/schools/edit/?id={school.id}")
    user.submit(page, field="name", name="Gamma Lyceum", expect=(302,))
    assert one(app, School, School.id == school.id).name == "Gamma Lyceum"
    page = user.get(f"/admin/schools/details/?id={school.id}")
    user.submit(page, action="/regenerate", expect=(302,))
    assert one(app, School, School.id == school.id).signup_token != school.signup_token
    page = user.get(f"/admin/schools/details/?id={school.id}")
    user.submit(page, action="/active", expect=(302,))
    assert one(app, School, School.id == school.id).is_active is False
