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
from tests.helpers import row_action
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
    page.check("#accept_notice")  # the school's personal-data notice: required
    page.click("button:has-text('Sign up')")
    expect(page.locator(".alert-success")).to_contain_text("Your account is ready")

    admin = page.context.browser.new_context().new_page()
    sign_in(admin, base, "admin@alpha.example", PASSWORD)
    row_action(admin, "Быстрова Анна", "Activate")
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
    row_action(page, "Inside Ivan", "Credentials")
    page.click("#change-password")
    expect(page.locator("#password")).to_have_value(re.compile(r".{12,}"))
    page.click("#submit-credentials")
    expect(page.locator(".alert-success")).to_contain_text("Credentials sent to inside@alpha.example")
    tasks.wait_for_background_work(app)
    assert "Password:" in outbox.wait_for(1)[0].get_body(("plain",)).get_content()


def test_change_email_from_the_row(page, mail_site, outbox):
    app, base = mail_site
    sign_in(page, base, "admin@alpha.example", PASSWORD)
    row_action(page, "Outside Olga", "Change email")
    page.fill("#new_email", "olga.new@example.org")
    page.fill("#confirm_email", "olga.new@example.org")
    page.click("button:has-text('Change email')")
    expect(page.locator(".alert-success")).to_contain_text("email is now olga.new@example.org")
    tasks.wait_for_background_work(app)
    assert [m["To"] for m in outbox.wait_for(1)] == ["olga.new@example.org"]


@pytest.fixture
def two_factor_site(make_app, world):
    """The app over real HTTP with two-factor sign-in required of admins, as in production."""
    import threading

    from werkzeug.serving import make_server

    from tests.helpers import stop_server

    app = make_app(TWO_FACTOR_REQUIRED=True)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    server.daemon_threads = False
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}"
    stop_server(server, thread)


def test_an_admin_sets_up_two_factor_sign_in_and_signs_in_with_a_code(page, two_factor_site):
    """Required of an admin: after the password, the set-up page (its QR code drawn under the CSP); the key
    into an authenticator; a code; the recovery codes; then the next sign-in asks for a code."""
    import time

    import pyotp

    app, base = two_factor_site
    sign_in(page, base, "admin@alpha.example", PASSWORD)
    expect(page.locator("#two-factor-required")).to_be_visible()
    expect(page.locator("#qr-code svg")).to_be_visible()
    phone = pyotp.TOTP(page.locator("#totp-key").inner_text())
    set_up_at = time.time()
    page.fill("#code", phone.at(set_up_at))
    page.click("button:has-text('Turn on')")
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    page.click("text=I have kept them")
    page.goto(f"{base}/admin/students/")
    expect(page.locator("body")).to_contain_text("Inside Ivan")

    again = page.context.browser.new_context().new_page()
    again.goto(f"{base}/login")
    again.fill("#login", "admin@alpha.example")
    again.fill("#password", PASSWORD)
    again.click("button:has-text('Sign in')")
    expect(again.locator("#code-form")).to_be_visible()
    again.fill("#code", phone.at(set_up_at + 30))
    again.click("#code-form button:has-text('Sign in')")
    expect(again.locator("body")).to_contain_text("Inside Ivan")
    again.context.close()
