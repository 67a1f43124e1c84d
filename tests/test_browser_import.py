"""Flows 2 and 3 in a real browser: upload → preview → confirm → Completed → Credentials → mail → first sign-in."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from roster import tasks
from tests.factories import PASSWORD
from tests.test_browser_invite import sign_in

pytestmark = pytest.mark.browser

DATA = Path(__file__).parent / "data"


def test_import_then_credentials_then_first_sign_in(page, mail_site, outbox):
    app, base = mail_site
    sign_in(page, base, "admin@alpha.example", PASSWORD)
    page.click("#import-button")
    page.click("#add-import")
    page.wait_for_load_state("networkidle")
    page.set_input_files("#file", str(DATA / "students_utf8.csv"))
    expect(page.locator("#chosen-file")).to_have_text("students_utf8.csv")
    page.click("#upload-button")

    # The preview: made in the background, the page follows its progress and shows it when ready.
    expect(page.locator("#job-status")).to_have_text("Ready to confirm", timeout=15000)
    expect(page.locator("#total-new")).to_have_text("3")
    expect(page.locator("#unknown-columns")).to_contain_text("Favourite colour")
    expect(page.locator("#import-rows tr.import-status-new")).to_have_count(3)
    page.click("#confirm-import")
    expect(page.locator("#job-status")).to_have_text("Completed", timeout=15000)

    page.click("#import-rows a:has-text('Иванов Пётр')")
    expect(page.locator("#student-actions")).to_be_visible()
    page.click("#credentials-link")
    expect(page.locator("#email")).to_have_value("petr.ivanov@example.org")
    expect(page.locator("#password")).to_have_value("")
    page.click("#change-password")
    generated = page.locator("#password").input_value()
    assert len(generated) >= 12
    page.click("#submit-credentials")
    expect(page.locator(".alert-success")).to_contain_text("Credentials sent to petr.ivanov@example.org")

    tasks.wait_for_background_work(app)
    (mail,) = outbox.wait_for(1)
    body = mail.get_body(("plain",)).get_content()
    login = re.search(r"Login: (\S+)", body).group(1)
    password = re.search(r"Password: (\S+)", body).group(1)
    assert (login, password) == ("petr.ivanov@example.org", generated)

    student = page.context.browser.new_context().new_page()
    sign_in(student, base, login, password)
    expect(student).to_have_url(re.compile(r"/settings/security"))
    student.wait_for_load_state()  # the new page itself, not only its URL
    student.fill("#current_password", password)
    student.fill("#new_password", "Пётр's own passphrase")
    student.fill("#confirm_password", "Пётр's own passphrase")
    student.click("button:has-text('Change password')")
    expect(student.locator(".alert-success")).to_contain_text("Your password has been changed")
