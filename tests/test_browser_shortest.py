"""The shortest path of each flow in a real browser: required fields only, nothing optional filled in.

The richer paths are in the other browser tests; these are the ones a hurried person takes.
"""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from roster import tasks
from roster.extensions import db
from roster.models import AccountStatus, Student
from tests.factories import PASSWORD
from tests.test_browser_invite import sign_in

pytestmark = pytest.mark.browser


def test_sign_up_on_the_bare_school_link_with_required_fields_only(page, mail_site, world, outbox):
    app, base = mail_site
    page.goto(f"{base}/join/{world.school_a.signup_token}")
    page.fill("#last_name", "Быстрова")
    page.fill("#first_name", "Анна")
    page.fill("#email", "anna.quick@example.org")
    page.fill("#password", "a quick long passphrase")
    page.fill("#confirm_password", "a quick long passphrase")
    page.click("button:has-text('Sign up')")
    expect(page.locator(".alert-success")).to_contain_text("Your account is ready")

    admin = page.context.browser.new_context().new_page()
    sign_in(admin, base, "admin@alpha.example", PASSWORD)
    row = admin.locator("tr.row-pending", has_text="Быстрова Анна")
    row.locator("button.activate-button").click()
    expect(admin.locator(".alert-success")).to_contain_text("Activated 1 student")
    with app.app_context():
        student = db.session.scalar(select(Student).where(Student.email == "anna.quick@example.org"))
        assert (student.account_status, student.phone, student.middle_name) == (AccountStatus.ACTIVE.value, "", "")
    tasks.wait_for_background_work(app)
    outbox.wait_for(2)


def test_import_a_file_of_names_only(page, mail_site, tmp_path):
    app, base = mail_site
    sign_in(page, base, "admin@alpha.example", PASSWORD)
    page.click("#import-button")
    page.click("#add-import")
    page.wait_for_load_state("networkidle")
    names = tmp_path / "names.csv"
    names.write_text("Last name;First name\nКороткова;Ася\n", encoding="cp1251")
    page.set_input_files("#file", str(names))
    page.click("#upload-button")
    expect(page.locator("#job-status")).to_have_text("Ready to confirm", timeout=15000)
    expect(page.locator("#total-new")).to_have_text("1")
    page.click("#confirm-import")
    expect(page.locator("#job-status")).to_have_text("Completed", timeout=15000)
    with app.app_context():
        assert db.session.scalar(select(Student.school_id).where(Student.last_name == "Короткова")) == \
            db.session.scalar(select(Student.school_id).where(Student.last_name == "Inside"))


def test_credentials_from_the_row_with_a_generated_password(page, mail_site, outbox):
    app, base = mail_site
    sign_in(page, base, "admin@alpha.example", PASSWORD)
    page.locator("tr", has_text="Inside Ivan").locator("a.credentials").click()
    page.click("#change-password")
    expect(page.locator("#password")).to_have_value(re.compile(r".{12,}"))
    page.click("#submit-credentials")
    expect(page.locator(".alert-success")).to_contain_text("Credentials sent to inside@alpha.example")
    tasks.wait_for_background_work(app)
    assert "Password:" in outbox.wait_for(1)[0].get_body(("plain",)).get_content()


def test_change_email_from_the_row(page, mail_site, outbox):
    app, base = mail_site
    sign_in(page, base, "admin@alpha.example", PASSWORD)
    page.locator("tr", has_text="Outside Olga").locator("a.change-email").click()
    page.fill("#new_email", "olga.new@example.org")
    page.fill("#confirm_email", "olga.new@example.org")
    page.click("button:has-text('Change email')")
    expect(page.locator(".alert-success")).to_contain_text("email is now olga.new@example.org")
    tasks.wait_for_background_work(app)
    assert [m["To"] for m in outbox.wait_for(1)] == ["olga.new@example.org"]
