"""Consent on record: the school's notice accepted at sign-up, versioned, shown, withdrawn on request."""

from datetime import date

from sqlalchemy import select

from roster.extensions import db
from roster.models import School, Student
from roster.records import AuditEvent
from tests.agent import Agent

PASSWORD = "my own long passphrase"


def sign_up(app, school, email, **extra):
    visitor = Agent(app)
    page = visitor.open(f"/join/{school.signup_token}")
    fields = {"last_name": "Consentova", "first_name": "Aru", "email": email, "password": PASSWORD,
              "confirm_password": PASSWORD, **extra}
    return page, visitor.submit(page, field="password", expect=(200, 302), **fields)


def student(app, email) -> Student:
    with app.app_context():
        found = db.session.scalar(select(Student).where(Student.email == email))
        if found is not None:
            db.session.expunge(found)
        return found


def test_sign_up_shows_the_schools_notice_and_records_the_version_accepted(app, world, agent):
    page, response = sign_up(app, world.school_a, "aru@example.org")
    assert "Alpha School keeps your name, contact details" in page.html.select_one("#notice-text").text
    assert response.status_int == 200  # the box was not ticked
    assert "Accept the school's notice to sign up." in response.html.get_text()
    assert student(app, "aru@example.org") is None

    _, response = sign_up(app, world.school_a, "aru@example.org", accept_notice=True)
    assert response.status_int == 302
    signed = student(app, "aru@example.org")
    assert signed.consent_version == 1 and signed.consent_at is not None
    details = agent("admin_a").get(f"/admin/students/details/?id={signed.id}")
    assert "personal-data notice, version 1, on" in details.html.select_one("#consent-status").text


def test_a_new_notice_is_a_new_version_and_is_what_later_sign_ups_accept(app, world):
    platform = Agent(app)
    platform.sign_in(world.platform.email)
    page = platform.get(f"/admin/schools/edit/?id={world.school_a.id}")
    platform.submit(page, field="notice_text", name="Alpha School",
                    notice_text="Alpha keeps your data for the school year only.", expect=(302,))
    with app.app_context():
        school = db.session.get(School, world.school_a.id)
        assert school.notice_version == 2
        assert db.session.scalar(select(AuditEvent.details).where(AuditEvent.action == "school notice changed")) \
            == {"version": 2}
    page, _ = sign_up(app, world.school_a, "later@example.org", accept_notice=True)
    assert page.html.select_one("#notice-text").text == "Alpha keeps your data for the school year only."
    assert student(app, "later@example.org").consent_version == 2


def test_an_under_16_is_marked_guardian_consent_needed(app, world, agent):
    sign_up(app, world.school_a, "young@example.org", accept_notice=True)
    young = student(app, "young@example.org")
    admin = agent("admin_a")
    today = date.today()
    admin.submit(admin.get(f"/admin/students/edit/?id={young.id}"), field="last_name",
                 birth_date=today.replace(year=today.year - 12).isoformat(), expect=(302,))
    page = admin.get(f"/admin/students/details/?id={young.id}")
    assert page.html.select_one("#guardian-consent").text == "guardian consent needed"
    admin.submit(admin.get(f"/admin/students/edit/?id={young.id}"), field="last_name",
                 birth_date=today.replace(year=today.year - 17).isoformat(), expect=(302,))
    assert admin.get(f"/admin/students/details/?id={young.id}").html.select_one("#guardian-consent") is None


def test_a_school_admin_records_a_withdrawn_consent(app, world, agent):
    sign_up(app, world.school_a, "leaving@example.org", accept_notice=True)
    leaving = student(app, "leaving@example.org")
    teacher = agent("teacher_a").get(f"/admin/students/details/?id={leaving.id}")
    assert teacher.status_int == 404 or teacher.html.select_one("#withdraw-consent") is None
    admin = agent("admin_a")
    page = admin.get(f"/admin/students/details/?id={leaving.id}")
    assert "ask" in page.html.select_one("#withdraw-consent")["data-confirm"]
    page = admin.submit(page, action="/consent/withdraw", expect=(302,)).follow()
    assert "The withdrawal of consent is recorded." in page.text
    assert "was withdrawn on" in page.html.select_one("#consent-status").text
    assert page.html.select_one("#withdraw-consent") is None
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "consent withdrawn"))
        assert (event.target_id, event.details, event.actor_id) == (leaving.id, {"version": 1}, world.admin_a.id)
