"""The main Students flow in a real browser, as a school admin does it."""

import re

import pytest
from playwright.sync_api import expect

from roster.extensions import db
from roster.services import demo
from tests.helpers import row_action

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_site(app, live_server):
    with app.app_context():
        demo.load(students_per_school=60)
        db.session.remove()
    return live_server


def sign_in(page, base, login):
    page.goto(base + "/login")
    page.fill("#login", login)
    page.fill("#password", demo.DEMO_PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_contain_text("Students")


def add_filter(page, name):
    page.wait_for_load_state("networkidle")  # the filter menu works once Flask-Admin's scripts have run
    option = page.locator(f"a.filter:text-is('{name}')")
    page.click("text=Add Filter")
    expect(option).to_be_visible()
    option.click()
    return page.locator("table.filters tr").last


def test_school_admin_filters_chooses_columns_and_adds_a_student(page, demo_site):
    base = demo_site
    sign_in(page, base, "admin@gv.roster.example")
    page.goto(base + "/admin/students/?page_size=100")
    expect(page.locator("#pending-legend")).to_contain_text("Yellow rows are pending")
    for cell in (page.locator("tr.row-pending td").first, page.locator("tr.row-pending td").last):
        expect(cell).to_have_css("background-color", "rgb(255, 243, 205)")
    expect(page.locator("tr:not(.row-pending) td").nth(3)).not_to_have_css("background-color", "rgb(255, 243, 205)")

    # Filter by a tag, chosen in the filter bar's select box.
    row = add_filter(page, "Tags")
    row.locator(".select2-container-multi input.select2-input").click()
    page.keyboard.type("Cho")
    page.locator(".select2-drop-active .select2-result-label", has_text=re.compile("^Choir$")).first.click()
    page.click("button:has-text('Apply')")
    expect(page).to_have_url(re.compile(r"flt\d+_5="))
    page.wait_for_load_state()  # the filtered page itself, not only its URL (count() does not wait)
    tags = page.locator("td.col-tags")
    expect(tags.first).to_be_visible()
    for text in tags.all_inner_texts():
        assert "Choir" in text

    # By a Cyrillic name typed in lower case without ё.
    page.goto(base + "/admin/students/")
    row = add_filter(page, "Full name")
    row.locator("input.form-control").last.fill("федоров")
    page.click("button:has-text('Apply')")
    expect(page).to_have_url(re.compile(r"flt\d+_0="))
    page.wait_for_load_state()
    expect(page.locator("td.col-full_name .row-name").first).to_be_visible()
    names = page.locator("td.col-full_name .row-name").all_inner_texts()
    assert names and all("фёдоров" in n.lower() or "федоров" in n.lower() for n in names)

    # Hide the Email column with Columns; a reload keeps it hidden.
    page.goto(base + "/admin/students/")
    expect(page.locator("th.col-email")).to_have_count(1)
    page.wait_for_load_state("networkidle")
    page.click("#columns-button")
    page.uncheck("#columns-form input[value=email]")
    page.click("#columns-form button[type=submit]")
    expect(page.locator("th.col-email")).to_have_count(0)
    page.reload()
    expect(page.locator("th.col-email")).to_have_count(0)
    expect(page.locator("th.col-full_name")).to_have_count(1)

    # Add a student with a guardian, then find them in the list.
    page.click("#add-button")
    page.fill("#last_name", "Жумабаев")
    page.fill("#first_name", "Ерлан")
    page.fill("#phone", "+7 701 999 88 77")
    page.fill("#personal_file_number", "GV-NEW-1")
    page.fill("#birth_date", "2014-03-15")
    page.click("text=Add Guardian")
    page.fill("#guardians-0-full_name", "Жумабаева Айгуль")
    page.fill("#guardians-0-relation", "mother")
    page.fill("#guardians-0-workplace", "City hospital")
    page.fill("#guardians-0-position", "Doctor")
    page.click("input[type=submit][value=Save]")
    expect(page.locator(".alert-success")).to_contain_text("successfully created")
    row = add_filter(page, "Full name")
    row.locator("input.form-control").last.fill("ерлан жумабаев")
    page.click("button:has-text('Apply')")
    expect(page.locator("td.col-full_name .row-name")).to_have_text(["Жумабаев Ерлан"])
    page.click("td.col-full_name .row-name a")
    expect(page.locator("table.searchable")).to_contain_text("City hospital")


def test_add_and_edit_with_required_fields_only(page, demo_site):
    """The shortest path: last and first name, Save; then Edit a student who has no guardian, Save."""
    base = demo_site
    sign_in(page, base, "admin@gv.roster.example")
    page.click("#add-button")
    page.fill("#last_name", "Короткий")
    page.fill("#first_name", "Путь")
    page.click("input[type=submit][value=Save]")
    expect(page.locator(".alert-success")).to_contain_text("successfully created")
    expect(page.locator(".alert-danger")).to_have_count(0)

    page.goto(base + "/admin/students/")
    row = add_filter(page, "Full name")
    row.locator("input.form-control").last.fill("короткий")
    page.click("button:has-text('Apply')")
    expect(page.locator("td.col-full_name .row-name")).to_have_text(["Короткий Путь"])
    row_action(page, "Короткий Путь", "Edit")
    expect(page.locator("#guardians-0-full_name")).to_have_count(0)  # no parents: the case that used to fail
    page.fill("#first_name", "Путь-Дорога")
    page.click("input[type=submit][value=Save]")
    expect(page.locator(".alert-success")).to_contain_text("successfully saved")
    expect(page.locator("td.col-full_name .row-name")).to_have_text(["Короткий Путь-Дорога"])


def test_a_typed_section_is_the_schools_section_and_an_unknown_one_lists_no_one(page, app, demo_site):
    base = demo_site
    sign_in(page, base, "admin@gv.roster.example")
    page.goto(base + "/admin/students/?page_size=100")
    row = add_filter(page, "Sections")
    row.locator(".select2-container-multi input.select2-input").click()
    page.keyboard.type("2a")
    suggestions = page.locator(".select2-drop-active .select2-result-label")
    expect(suggestions).to_have_text(["2A"])  # once: the school's section, not also the typed text
    suggestions.first.click()
    page.click("button:has-text('Apply')")
    expect(page).to_have_url(re.compile(r"flt\d+_6="))
    page.wait_for_load_state()  # the new page itself, not only its URL
    listed = {int(i) for i in page.locator("tr[data-student-id]").evaluate_all(
        "rows => rows.map(r => r.dataset.studentId)")}
    with app.app_context():  # exactly the students of the signed-in admin's school's 2A
        from sqlalchemy import select

        from roster.models import School, Section, student_section

        section_id = db.session.scalar(select(Section.id).join(School, School.id == Section.school_id).where(
            School.slug == demo.SCHOOLS[0][1], Section.name == "2A"))
        expected = set(db.session.scalars(select(student_section.c.student_id).where(
            student_section.c.section_id == section_id)))
    assert listed and listed == expected

    page.goto(base + "/admin/students/?page_size=100")
    row = add_filter(page, "Sections")
    row.locator(".select2-container-multi input.select2-input").click()
    page.keyboard.type("2Б")
    expect(page.locator(".select2-drop-active .select2-result-label")).to_have_text(["2Б"])
    page.locator(".select2-drop-active .select2-result-label").first.click()
    page.click("button:has-text('Apply')")
    expect(page.locator(".filter-message")).to_contain_text("No section named “2Б”")
    expect(page.locator("td.col-full_name")).to_have_count(0)
    expect(page.locator("text=No students match.")).to_be_visible()
