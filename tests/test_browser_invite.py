"""Flow 1 in a real browser: invite → mail → sign up → yellow row → Activate → the student sees the school."""

import re

import pytest
from playwright.sync_api import expect

from roster import tasks
from tests.factories import PASSWORD
from tests.helpers import row_action

pytestmark = pytest.mark.browser

STUDENT_PASSWORD = "my own long passphrase"


def sign_in(page, base, login, password):
    page.goto(base + "/login")
    page.fill("#login", login)
    page.fill("#password", password)
    page.click("button[type=submit]")


def test_invite_sign_up_activate(page, mail_site, outbox):
    app, base = mail_site
    sign_in(page, base, "admin@alpha.example", PASSWORD)
    page.click("#invite-button")
    expect(page.locator("#signup-link")).to_have_value(re.compile(r"/join/"))
    page.fill("#emails", "dana.new@example.org")
    page.click("button:has-text('Send Invitation')")
    expect(page.locator("#invite-result")).to_contain_text("1 invitation sent.")

    tasks.wait_for_background_work(app)
    [invitation] = outbox.wait_for(1)
    link = re.search(r"(http://\S+/join/invite/\S+)", invitation.get_body(("plain",)).get_content()).group(1)

    student = page.context.browser.new_context().new_page()
    student.goto(link)
    expect(student.locator("#school-name")).to_have_text("Alpha School")
    expect(student.locator("#email")).to_have_value("dana.new@example.org")
    student.fill("#last_name", "Нурланова")
    student.fill("#first_name", "Дана")
    student.fill("#phone", "+7 701 222 33 44")
    student.fill("#password", STUDENT_PASSWORD)
    student.fill("#confirm_password", STUDENT_PASSWORD)
    student.check("#accept_notice")
    student.click("button:has-text('Sign up')")
    expect(student.locator(".alert-success")).to_contain_text("Your account is ready")

    page.goto(base + "/admin/students/?flt0_0=дана")
    row = page.locator("tr.row-pending", has_text="Нурланова Дана")
    expect(row).to_have_count(1)
    expect(row.locator("td").last).to_have_css("background-color", "rgb(255, 243, 205)")
    row_action(page, "Нурланова Дана", "Activate")
    expect(page.locator(".alert-success")).to_contain_text("Activated 1 student")
    expect(page.locator("tr.row-pending", has_text="Нурланова Дана")).to_have_count(0)

    sign_in(student, base, "dana.new@example.org", STUDENT_PASSWORD)
    expect(student.locator(".school-workspace").first).to_contain_text("You are a student of Alpha School")
    tasks.wait_for_background_work(app)
    subjects = [m["Subject"] for m in outbox.wait_for(3)]
    assert subjects[1].startswith("Your Roster account") and "activated" in subjects[2]
