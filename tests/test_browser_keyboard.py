"""The three main flows by keyboard alone (Tab, Enter, Space, arrows, Escape), and the Students page on a phone.

Nothing here clicks: every step moves the focus with Tab until it reaches the control a person would use, and
checks on the way that the focus is visible.
"""

from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect
from sqlalchemy import select

from roster import tasks
from roster.extensions import db
from roster.models import AccountStatus, Student
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.markup]

DATA = Path(__file__).parent / "data"


def tab_to(page, selector: str, *, limit: int = 80, backwards: bool = False) -> None:
    """Press Tab until the focus is on an element matching selector; fail if it is never reached."""
    for _ in range(limit):
        if page.evaluate("s => !!document.activeElement && document.activeElement.matches(s)", selector):
            outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
            shadow = page.evaluate("() => getComputedStyle(document.activeElement).boxShadow")
            assert outline != "none" or shadow != "none", f"the focus on {selector} is not visible"
            return
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
    raise AssertionError(f"Tab never reached {selector}")


def follow(page, key: str = "Enter") -> None:
    """Press a key on a link or a submit button and wait for the page it opens."""
    with page.expect_navigation():
        page.keyboard.press(key)


def type_into(page, selector: str, text: str) -> None:
    tab_to(page, selector)
    page.keyboard.type(text)


def sign_in_by_keys(page, base, login, password=PASSWORD):
    page.goto(base + "/login")
    type_into(page, "#login", login)
    type_into(page, "#password", password)
    follow(page)
    expect(page.locator("h1")).to_contain_text("Students")


def test_add_a_student_and_use_the_row_menu_by_keyboard(page, mail_site):
    app, base = mail_site
    sign_in_by_keys(page, base, "admin@alpha.example")
    tab_to(page, "#add-button")
    follow(page)
    expect(page.locator("h1")).to_have_text("Add a student")
    type_into(page, "#last_name", "Клавишева")
    type_into(page, "#first_name", "Ася")
    tab_to(page, "input[type=submit][value=Save]")
    follow(page)
    expect(page.locator(".alert-success")).to_contain_text("successfully created")

    # The row's menu: Enter opens it, Escape closes it and gives the focus back to its button.
    button = page.get_by_role("button", name="Actions for Клавишева Ася")
    tab_to(page, f"#{button.get_attribute('id')}")
    page.keyboard.press("Enter")
    menu = page.locator(f"[aria-labelledby={button.get_attribute('id')}]")
    expect(menu).to_be_visible()
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    assert page.evaluate("() => document.activeElement.id") == button.get_attribute("id")
    # Opened again, the arrow keys walk its items; Enter on Edit opens the form.
    page.keyboard.press("Enter")
    for _ in range(4):
        page.keyboard.press("ArrowDown")
        if page.evaluate("() => document.activeElement.textContent.trim()") == "Edit":
            break
    follow(page)
    expect(page.locator("h1")).to_have_text("Edit Клавишева Ася")


def test_invite_by_keyboard(page, mail_site, outbox):
    app, base = mail_site
    sign_in_by_keys(page, base, "admin@alpha.example")
    tab_to(page, "#invite-button")
    follow(page)
    type_into(page, "#emails", "keys.only@example.org")
    tab_to(page, "main button[type=submit]")
    follow(page)
    expect(page.locator("#invite-result")).to_contain_text("1 invitation sent.")
    tasks.wait_for_background_work(app)
    outbox.wait_for(1)


def test_import_by_keyboard(page, mail_site):
    app, base = mail_site
    sign_in_by_keys(page, base, "admin@alpha.example")
    tab_to(page, "#import-button")
    follow(page)
    tab_to(page, "#add-import")
    follow(page)
    page.wait_for_load_state("networkidle")
    tab_to(page, "#file")  # the drop zone's file field: Space opens the file chooser
    for attempt in range(3):  # on a loaded machine Chromium now and then lets a first key press go by
        try:
            with page.expect_file_chooser(timeout=8000) as chooser:
                page.keyboard.press("Space")
            break
        except PlaywrightTimeout:
            if attempt == 2:
                raise
            tab_to(page, "#file")
    chooser.value.set_files(str(DATA / "students_utf8.csv"))
    expect(page.locator("#chosen-file")).to_have_text("students_utf8.csv")
    tab_to(page, "#upload-button")
    follow(page)
    expect(page.locator("#job-status")).to_have_text("Ready to confirm", timeout=15000)
    tab_to(page, "#confirm-import")
    page.keyboard.press("Enter")
    expect(page.locator("#job-status")).to_have_text("Completed", timeout=15000)


def test_a_phone_sized_screen_adds_and_activates(browser, mail_site, world):
    """At 390 px: the menu is a button, the list scrolls sideways inside its box (the page does not), forms are
    one column; a school admin adds a student and activates a sign-up."""
    app, base = mail_site
    phone = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
    student = phone.new_page()
    student.goto(f"{base}/join/{world.school_a.signup_token}")
    student.fill("#last_name", "Телефонова")
    student.fill("#first_name", "Инна")
    student.fill("#email", "inna.phone@example.org")
    student.fill("#password", "a long phone passphrase")
    student.fill("#confirm_password", "a long phone passphrase")
    student.check("#accept_notice")
    student.click("button:has-text('Sign up')")
    expect(student.locator(".alert-success")).to_contain_text("Your account is ready")

    page = phone.new_page()
    page.goto(base + "/login")
    page.fill("#login", "admin@alpha.example")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_contain_text("Students")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390  # no sideways page
    expect(page.locator("#roster-menu")).to_be_hidden()
    page.click(".roster-menu-button")
    expect(page.locator("#menu-imports")).to_be_visible()

    page.click("#add-button")
    boxes = [page.locator(f"#{name}").bounding_box() for name in ("last_name", "first_name")]
    assert boxes[0]["y"] < boxes[1]["y"] and boxes[0]["x"] == boxes[1]["x"]  # one column
    assert boxes[0]["x"] + boxes[0]["width"] <= 390
    page.fill("#last_name", "Карманов")
    page.fill("#first_name", "Олег")
    page.click("input[type=submit][value=Save]")
    expect(page.locator(".alert-success")).to_contain_text("successfully created")

    page.wait_for_load_state()  # Bootstrap's menu script, at the page's end, has run
    row = page.locator("tr.row-pending", has_text="Телефонова Инна")
    row.locator(".row-menu-button").tap()
    row.locator(".dropdown-menu.show").get_by_text("Activate", exact=True).tap()
    expect(page.locator(".alert-success")).to_contain_text("Activated 1 student")
    with app.app_context():
        statuses = dict(db.session.execute(select(Student.last_name, Student.account_status).where(
            Student.last_name.in_(["Карманов", "Телефонова"]))).all())
        assert statuses == {"Карманов": AccountStatus.NO_ACCOUNT.value, "Телефонова": AccountStatus.ACTIVE.value}
    tasks.wait_for_background_work(app)
    phone.close()


@pytest.mark.parametrize("width", [1440, 390])
def test_screens_of_the_guide(browser, mail_site, world, tmp_path, width):
    """The pages the user guide shows, drawn at a desktop's and a phone's width (ROSTER_SCREENS=docs/screens
    keeps them)."""
    import os

    app, base = mail_site
    out = Path(os.environ.get("ROSTER_SCREENS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(f"{base}/join/{world.school_a.signup_token}")
    page.screenshot(path=out / f"sign-up-{width}.png", full_page=True)
    page.goto(base + "/login")
    page.fill("#login", "admin@alpha.example")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_contain_text("Students")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=out / f"students-{width}.png", full_page=True)
    page.locator(".row-menu-button").first.click()
    expect(page.locator(".row-menu .dropdown-menu.show")).to_be_visible()
    page.screenshot(path=out / f"row-menu-{width}.png", full_page=True)
    page.goto(base + "/admin/students/new/")
    page.screenshot(path=out / f"add-{width}.png", full_page=True)
    page.goto(base + "/admin/imports/new")
    page.screenshot(path=out / f"import-{width}.png", full_page=True)
    assert len(list(out.glob(f"*-{width}.png"))) == 5
    context.close()
