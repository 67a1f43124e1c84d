"""Leave and Return in a real browser: from the row's menu, gone from today's list, found under Left, the
student's sign-in refused with the reason, then Return from their page."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD
from tests.helpers import row_action
from tests.test_browser_invite import sign_in
from tests.test_browser_students import add_filter

pytestmark = pytest.mark.browser


def test_leave_from_the_row_menu_then_sign_in_refused_then_return(page, mail_site, world):
    app, base = mail_site
    sign_in(page, base, "admin@alpha.example", PASSWORD)
    row_action(page, "Inside Ivan", "Leave")
    expect(page.locator("#leaving")).to_contain_text("Inside Ivan")
    page.select_option("#reason", "moved abroad")
    page.fill("#order_number", "12-у")
    page.click("#submit-leave")
    expect(page.locator(".alert-success")).to_contain_text("1 student left the school")
    expect(page.locator("td.col-full_name", has_text="Inside Ivan")).to_have_count(0)
    expect(page.locator("td.col-full_name", has_text="Outside Olga")).to_have_count(1)

    row = add_filter(page, "Status")
    row.locator("select.filter-val").select_option("left", force=True)  # select2 draws its own box over it
    page.click("button:has-text('Apply')")
    expect(page.locator("td.col-full_name", has_text="Inside Ivan")).to_have_count(1)
    expect(page.locator("td.col-full_name", has_text="Outside Olga")).to_have_count(0)

    pupil = page.context.browser.new_context().new_page()
    pupil.goto(base + "/login")
    pupil.fill("#login", world.student_user.email)
    pupil.fill("#password", PASSWORD)
    pupil.click("button[type=submit]")
    expect(pupil.locator("body")).to_contain_text("You no longer study at Alpha School, so you cannot sign in to it.")

    page.click("text=Inside Ivan")
    expect(page.locator("#movements-table")).to_contain_text("moved abroad")
    page.click("#return-link")
    page.click("#submit-return")
    expect(page.locator(".alert-success")).to_contain_text("Inside Ivan is studying again.")
    expect(page.locator("#movements-table tr")).to_have_count(4)  # header, arrived, left, returned
    pupil.fill("#password", PASSWORD)  # the same form, again: now it lets them in
    pupil.click("button[type=submit]")
    expect(pupil.locator("body")).to_contain_text("Alpha School")
    expect(pupil.locator("#password")).to_have_count(0)


def test_a_transfer_asked_by_school_a_accepted_from_the_mail_by_school_b(page, mail_site, world, outbox):
    app, base = mail_site
    sign_in(page, base, "admin@alpha.example", PASSWORD)
    page.goto(f"{base}/admin/students/details/?id={world.in_section.id}")
    page.click("#transfer-link")
    page.select_option("#to_school", label="Beta School")
    page.fill("#note", "the family moved")
    page.click("#submit-transfer")
    expect(page.locator(".alert-success")).to_contain_text("the receiving school's admins decide")

    [mail] = outbox.wait_for(1)
    assert mail["To"] == "admin@beta.example"
    link = re.search(r"(http://\S+/admin/transfers/)", mail.get_body(("plain",)).get_content()).group(1)
    admin_b = page.context.browser.new_context().new_page()
    admin_b.goto(link)  # signed out: the sign-in page first, then the Transfers page
    admin_b.fill("#login", "admin@beta.example")
    admin_b.fill("#password", PASSWORD)
    admin_b.click("button[type=submit]")
    row = admin_b.locator("#transfers-table tr.transfer-open")
    expect(row).to_contain_text("Inside Ivan")
    expect(row).to_contain_text("the family moved")
    row.locator(".accept-button").click()
    expect(admin_b.locator(".alert-success")).to_contain_text("The transfer is accepted")

    pupil = page.context.browser.new_context().new_page()
    sign_in(pupil, base, world.student_user.email, PASSWORD)
    expect(pupil.locator("body")).to_contain_text("Beta School")
    page.goto(f"{base}/admin/students/details/?id={world.in_section.id}")
    expect(page.locator("td", has_text="Transferred out")).to_have_count(1)


def test_move_every_student_a_filter_matches_from_its_second_page(page, mail_site, world):
    from roster.extensions import db
    from roster.models import User
    from roster.services import students

    app, base = mail_site
    with app.app_context():
        admin = db.session.get(User, world.admin_a.id)
        for n in range(25):
            students.create(world.school_a.id, {"last_name": f"Many{n:02}", "first_name": "M",
                                                "section_ids": [world.section_a2.id]}, actor=admin)
    sign_in(page, base, "admin@alpha.example", PASSWORD)
    row = add_filter(page, "Sections")
    row.locator(".select2-container-multi input.select2-input").click()
    page.keyboard.type("2A")
    page.locator(".select2-drop-active .select2-result-label", has_text=re.compile("^2A$")).first.click()
    page.click("button:has-text('Apply')")
    expect(page.locator("#student-count")).to_contain_text("26")
    page.goto(page.url + "&page=1")  # the second page: 6 of the 26
    expect(page.locator("input.action-checkbox")).to_have_count(6)
    page.check("input.action-rowtoggle")
    page.click("#select-matching-button")
    expect(page.locator("#matching-selected")).to_be_visible()
    page.click("text=With selected")
    page.click("a[data-model-action=move]")
    expect(page.locator("h1.h5")).to_contain_text("26 students move to another section")
    page.select_option("#section", label="1A")
    page.click("#submit-move")
    expect(page.locator(".alert-success")).to_contain_text("26 students moved.")


def test_the_movement_book_of_a_scripted_quarter_in_russian(browser, mail_site, world):
    """The third quarter of 2026 as tests/test_movement_book.py scripts it, read in a Russian browser: the figures
    worked out by hand, the chart's table, and a figure's children."""
    from tests.test_movement_book import script_quarter

    app, base = mail_site
    script_quarter(app, world)
    page = browser.new_context(locale="ru-RU").new_page()
    sign_in(page, base, "admin@alpha.example", PASSWORD)
    page.click("#roster-menu >> text=Книга движения")
    page.fill("#start", "2026-07-01")
    page.fill("#end", "2026-09-30")
    page.click("button:has-text('Показать')")
    figures = page.locator("#book-figures")
    expect(figures).to_contain_text("На начало")
    for figure, number in (("at_start", "3"), ("arrived", "2"), ("returned", "1"), ("left", "2"), ("at_end", "4")):
        expect(page.locator(f"#figure-{figure}")).to_have_text(number)
    expect(page.locator("#book-months tbody tr")).to_have_count(3)
    expect(page.locator("svg#book-chart rect.chart-came")).to_have_count(3)
    page.click("#figure-left")
    expect(page.locator("#figure-children li")).to_have_text(["Аманова A", "Гусева A"])
    expect(page.locator("#book-figures")).to_contain_text("выехал за рубеж")

