"""Onboarding in a real browser: a school, its first admin by mail, the admin's first sign-in."""

import re

import pytest
from playwright.sync_api import expect

from roster import tasks
from tests.factories import PASSWORD
from tests.test_browser_invite import sign_in

pytestmark = pytest.mark.browser


def test_platform_admin_onboards_a_school_and_its_admin(page, mail_site, outbox):
    app, base = mail_site
    sign_in(page, base, "platform@example.org", PASSWORD)
    page.goto(base + "/admin/schools/")
    page.click("a[title='Create New Record']")
    page.fill("#name", "Gamma Lyceum")
    page.click("input[type=submit][value='Save']")
    expect(page.locator(".alert-success", has_text="School created")).to_be_visible()
    page.click("a:has-text('Gamma Lyceum')")
    expect(page.locator("#signup-link")).to_have_value(re.compile(r"/join/"))
    link = page.locator("#signup-link").input_value()

    with page.expect_navigation():  # the switcher submits itself on change: wait for its page, not just the network
        page.select_option("#school-select", label="Gamma Lyceum")
    expect(page.locator("#school-select option:checked")).to_have_text("Gamma Lyceum")
    page.goto(base + "/admin/staff/new/")
    page.fill("#email", "head@gamma.example")
    page.select_option("#role", "admin")
    page.fill("#last_name", "Ахметова")
    page.fill("#first_name", "Гульнара")
    page.click("input[type=submit][value='Save']")
    expect(page.locator(".alert-info")).to_contain_text("head@gamma.example was sent a link to set a password")
    expect(page.locator("table.model-list")).to_contain_text("School admin")

    tasks.wait_for_background_work(app)
    (mail,) = outbox.wait_for(1)
    set_password = re.search(r"(http://\S+/reset-password/\S+)", mail.get_body(("plain",)).get_content()).group(1)

    head = page.context.browser.new_context().new_page()
    head.goto(set_password)
    head.fill("#new_password", "gulnara's own passphrase")
    head.fill("#confirm_password", "gulnara's own passphrase")
    head.click("button:has-text('Set password')")
    expect(head.locator(".alert-success")).to_contain_text("Your password has been set")
    sign_in(head, base, "head@gamma.example", "gulnara's own passphrase")
    expect(head).to_have_url(re.compile(r"/admin/students/"))
    head.wait_for_load_state()  # the new page itself, not only its URL
    expect(head.locator("table.model-list")).to_contain_text("No students match.")
    expect(head.locator("#school-select option:checked")).to_have_text("Gamma Lyceum")
    head.click("#invite-button")
    expect(head.locator("#signup-link")).to_have_value(link)
