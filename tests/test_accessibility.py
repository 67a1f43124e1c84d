"""Every page of the app, for each role that sees it, passes axe-core's WCAG 2.2 A/AA rules in Chromium.

axe-core comes bundled with axe-playwright-python (offline). A violation fails the test with the page, the rule
and the elements, so that the fix can start from the message.
"""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from roster import tasks
from roster.services import students
from tests.factories import PASSWORD
from tests.helpers import filter_arg
from tests.test_browser_invite import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.markup]

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE = Axe()
DATA = "tests/data"


class Audit:
    """Runs axe on each page visited and keeps what it found, to report every page's violations at once."""

    def __init__(self, page):
        self.page, self.found = page, []

    def check(self, name: str) -> None:
        self.page.wait_for_load_state("load")
        response = AXE.run(self.page, options={"runOnly": {"type": "tag", "values": TAGS}}).response
        for violation in response["violations"]:
            targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:4])
            more = f" (+{len(violation['nodes']) - 4} more)" if len(violation["nodes"]) > 4 else ""
            self.found.append(f"{name}: {violation['id']} — {violation['help']}: {targets}{more}")

    def visit(self, base: str, path: str, name: str | None = None, *, status: int = 200) -> None:
        """Open the page, check it answered as the visit expects (a "403" page is a 403), and audit it."""
        response = self.page.goto(base + path)
        assert response is not None and response.status == status, (name or path, response and response.status)
        self.check(name or path)

    def assert_clean(self) -> None:
        assert not self.found, "axe-core found:\n" + "\n".join(self.found)


def test_pages_signed_out(page, mail_site, world, outbox):
    app, base = mail_site
    audit = Audit(page)
    audit.visit(base, "/login", "sign-in")
    page.fill("#login", "admin@alpha.example")
    page.fill("#password", "wrong password")
    page.click("button[type=submit]")
    audit.check("sign-in with an error")
    audit.visit(base, f"/join/{world.school_a.signup_token}", "sign-up")
    page.click("button:has-text('Sign up')")
    audit.check("sign-up with errors")
    audit.visit(base, "/forgot-password", "forgot password")
    page.fill("#email", "admin@alpha.example")
    page.click("button[type=submit]")
    tasks.wait_for_background_work(app)
    [mail] = outbox.wait_for(1)
    link = re.search(r"(http://\S+/reset-password/\S+)", mail.get_body(("plain",)).get_content()).group(1)
    page.goto(link)
    audit.check("reset password")
    page.fill("#new_password", "short")
    page.click("button[type=submit]")
    audit.check("reset password with errors")
    audit.visit(base, "/join/no-such-link", "a link that does not work", status=404)
    page.click("#language-switcher a[lang=kk]")  # the public switcher, then the same pages in Kazakh
    audit.check("sign-in in Kazakh")
    audit.visit(base, f"/join/{world.school_a.signup_token}", "sign-up in Kazakh")
    page.click("button:has-text('Тіркелу')")
    audit.check("sign-up with errors in Kazakh")
    audit.assert_clean()


def test_pages_of_a_school_admin(page, mail_site, world, tmp_path):
    app, base = mail_site
    audit = Audit(page)
    sign_in(page, base, "admin@alpha.example", PASSWORD)
    audit.check("Students list")
    by_name, by_tag = filter_arg(page.content(), "Full name"), filter_arg(page.content(), "Tags", 1)
    audit.visit(base, f"/admin/students/?{by_name}=inside&{by_tag}={world.tag_a.id}", "Students list, filtered")
    audit.visit(base, f"/admin/students/details/?id={world.in_section.id}", "student's page")
    audit.visit(base, "/admin/students/new/", "Add")
    page.click("input[type=submit][value=Save]")
    audit.check("Add with errors")
    audit.visit(base, f"/admin/students/edit/?id={world.in_section.id}", "Edit")
    audit.visit(base, f"/admin/students/credentials?id={world.in_section.id}", "Credentials")
    audit.visit(base, f"/admin/students/change-email?id={world.in_section.id}", "Change email")
    page.fill("#new_email", "not an address")
    page.fill("#confirm_email", "other")
    page.click("main button[type=submit]")
    audit.check("Change email with errors")
    audit.visit(base, f"/admin/students/leave?id={world.in_section.id}", "Leave")
    audit.visit(base, "/admin/movement-book/?period=year", "Movement book")
    audit.visit(base, f"/admin/students/transfer?id={world.in_section.id}", "Transfer to another school")
    audit.visit(base, "/admin/transfers/?last_name=Outside&birth_date=2012-01-01", "Transfers, a search")
    audit.visit(base, "/admin/orders/", "Orders")
    audit.visit(base, f"/admin/students/links?how=add&id={world.in_section.id}", "Add a tag or program")
    with app.app_context():
        twin = students.create(world.school_a.id, {"last_name": "Ivan", "first_name": "Inside"}, actor=world.platform)
    audit.visit(base, "/admin/duplicates/", "Duplicates")
    audit.visit(base, f"/admin/duplicates/merge?first={world.in_section.id}&second={twin}", "Merge two records")
    audit.visit(base, "/admin/students/new/", "Add")
    page.fill("#last_name", "Inside")
    page.fill("#first_name", "Ivan")
    page.click("input[type=submit][value=Save]")
    expect(page.locator("#possible-duplicates")).to_be_visible()
    audit.check("Add of a possible duplicate")
    audit.visit(base, "/admin/students/export/oneroster", "Export as OneRoster")
    audit.visit(base, "/admin/integrations/", "Integrations")
    page.click("#create-integration")
    audit.check("Integrations, a name missing")
    page.fill("#name", "Moodle")
    page.click("#create-integration")
    expect(page.locator("#client-secret")).to_be_visible()
    audit.check("Integrations, a client made")
    audit.visit(base, "/admin/years/", "School years")
    audit.visit(base, "/admin/year-close/map", "Close the year: map")
    audit.visit(base, "/admin/year-close/exceptions?q=Inside", "Close the year: exceptions")
    audit.visit(base, "/admin/year-close/preview", "Close the year: preview")
    audit.visit(base, "/admin/invite/", "Invite")
    page.fill("#emails", "new.one@example.org, not-an-address")
    page.click("button:has-text('Send Invitation')")
    expect(page.locator("#invite-result")).to_be_visible()
    audit.check("Invite with its report")
    audit.visit(base, "/admin/invitations/", "Invitations")
    audit.visit(base, "/admin/imports/", "Imports")
    audit.visit(base, "/admin/imports/new", "Import upload")
    page.set_input_files("#file", f"{DATA}/errors.csv")
    page.click("#upload-button")
    expect(page.locator("#job-status")).to_have_text("Ready to confirm", timeout=15000)
    audit.check("import preview with errors")
    audit.visit(base, "/admin/sections/", "Sections")
    audit.visit(base, "/admin/sections/new/", "new section")
    audit.visit(base, "/admin/staff/", "Staff")
    audit.visit(base, "/admin/staff/new/", "add staff")
    audit.visit(base, "/admin/students/details/?id=999999", "no such student (404)", status=404)
    audit.visit(base, "/settings/two-factor", "Settings → two-factor sign-in")
    audit.visit(base, "/admin/mail_log/", "Mail log")
    audit.visit(base, "/admin/audit_log/", "Audit log")
    audit.visit(base, "/account", "My account")
    audit.visit(base, "/settings/security", "Settings → Security")
    audit.visit(base, "/settings/language", "Settings → Language")
    page.click("label[for=language-1]")  # Русский
    page.click("#language-form button[type=submit]")
    audit.check("Settings → Language, saved, in Russian")
    audit.visit(base, "/admin/students/", "Students in Russian")
    audit.visit(base, "/admin/students/new/", "add a student in Russian")
    audit.assert_clean()


def test_pages_of_a_teacher(page, mail_site, world):
    app, base = mail_site
    audit = Audit(page)
    sign_in(page, base, "teacher@alpha.example", PASSWORD)
    audit.check("Students list")
    by_name = filter_arg(page.content(), "Full name")
    audit.visit(base, f"/admin/students/details/?id={world.in_section.id}", "student's page")
    audit.visit(base, f"/admin/students/?{by_name}=inside", "Students list, filtered")
    audit.visit(base, f"/admin/students/credentials?id={world.in_section.id}", "Credentials")
    audit.visit(base, "/admin/staff/", "a page a teacher may not see (403)", status=403)
    audit.visit(base, "/account", "My account")
    audit.visit(base, "/settings/security", "Settings → Security")
    audit.assert_clean()


def test_pages_of_the_platform_admin(page, mail_site, world):
    app, base = mail_site
    audit = Audit(page)
    sign_in(page, base, "platform@example.org", PASSWORD)
    audit.check("home")
    audit.visit(base, "/admin/schools/", "Schools")
    audit.visit(base, f"/admin/schools/details/?id={world.school_a.id}", "a school's page")
    audit.visit(base, "/admin/schools/new/", "new school")
    audit.visit(base, "/admin/students/", "Students list")
    audit.visit(base, f"/admin/students/details/?id={world.in_section.id}", "student's page")
    audit.visit(base, "/admin/mail_log/", "Mail log")
    audit.visit(base, "/admin/audit_log/", "Audit log")
    audit.assert_clean()


def test_pages_of_a_student(page, mail_site, world):
    app, base = mail_site
    audit = Audit(page)
    sign_in(page, base, "pupil@alpha.example", PASSWORD)
    audit.check("a student's first page")
    audit.visit(base, "/settings/security", "Settings → Security")
    page.click("main button[type=submit]")
    audit.check("Settings → Security with errors")
    audit.assert_clean()
