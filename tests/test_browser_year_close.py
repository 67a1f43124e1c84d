"""Close the school year in a Russian browser, the whole wizard for a small school: the map with a new section
named, a repeat, a leaver, a graduate class; the preview's counts; Apply; the list, last year's archive and the
movement book; then undo of one child and of the whole close."""

from datetime import date

import pytest
from playwright.sync_api import expect

from roster.services import years
from tests.factories import PASSWORD
from tests.test_browser_invite import sign_in
from tests.test_year_close import setup_school

pytestmark = pytest.mark.browser


def test_close_the_year_in_russian_then_undo(browser, mail_site, world):
    app, base = mail_site
    setup_school(app, world)
    with app.app_context():
        ids = {s.name: s.id for s in years.sections(years.current_id(world.school_a.id), world.school_a.id,
                                                     actor=_admin(world), role="admin") for s in [s[0]]}
    before = years.span_of(date.today())[0]
    page = browser.new_context(locale="ru-RU").new_page()
    sign_in(page, base, "admin@alpha.example", PASSWORD)
    page.click("#roster-menu >> text=Закрытие года")
    page.click("#start-close")
    # 1. Map: 1A → 2A and 11Б → Graduates as suggested; 2A goes to a new section, 3Б.
    expect(page.locator(f"#to-{ids['1A']}")).to_have_value("2A")
    expect(page.locator(f"#action-{ids['11Б']}")).to_have_value("graduate")
    page.fill(f"#to-{ids['2A']}", "3Б")
    page.click("#save-map")
    # 2. Exceptions: Rep repeats the grade; Leav leaves, moved abroad.
    for query, action, reason in (("Rep", "repeat", None), ("Leav", "leave", "moved abroad")):
        page.fill("#q", query)
        page.press("#q", "Enter")
        form = page.locator("form.exception-form").first
        form.locator("select[name=action]").select_option(action)
        if reason:
            form.locator("select[name=reason]").select_option(reason)
        form.locator("button[type=submit]").click()
        expect(page.locator(".alert-success")).to_contain_text("Исключение сохранено")
    expect(page.locator("#exceptions-table tr")).to_have_count(2)
    # 3. Preview: the counts, then Apply with one order.
    page.click("#to-preview")
    for kind, number in (("promoted", "2"), ("repeated", "1"), ("graduated", "2"), ("left", "1")):
        expect(page.locator(f"#total-{kind}")).to_have_text(number)
    expect(page.locator("#preview-sections tbody tr")).to_have_count(3)
    page.fill("#order_number", "45-у")
    page.click("#apply-close")
    expect(page.locator("#close-status")).to_have_text("Применено", timeout=20000)
    after = years.next_span(type("Y", (), {"start": date(int(before[:4]), 9, 1)})())[0]
    expect(page.locator("#current-year")).to_have_text(f"Учебный год {after}")
    # The list: Ivan is there; his page says he is in next year's 2A.
    page.click("#roster-menu >> text=Ученики")
    page.locator("tr", has_text="Inside Ivan").locator(".row-name a").click()
    expect(page.locator("body")).to_contain_text("2A")
    # Last year's archive: 1A had Ivan and Rep.
    page.click("#current-year")
    page.click(f"#years-table >> text={before}")
    page.click("#year-sections >> text=1A")
    expect(page.locator("#section-students tbody tr")).to_have_count(2)
    expect(page.locator("#archive-note")).to_be_visible()
    # The movement book of today: three left (two graduated, one moved abroad).
    today = date.today().isoformat()
    page.click("#roster-menu >> text=Книга движения")
    page.fill("#start", today)
    page.fill("#end", today)
    page.click("button:has-text('Показать')")
    expect(page.locator("#figure-left")).to_have_text("3")
    expect(page.locator("#book-figures")).to_contain_text("окончил школу")
    # Undo for Rep alone, then the whole close.
    page.click("#roster-menu >> text=Закрытие года")
    page.click("#latest-close a")
    page.locator("tr", has_text="Rep X").locator("form.undo-child button").click()
    expect(page.locator(".alert-success")).to_contain_text("Отменено для этого ученика")
    page.click("#undo-close button")
    expect(page.locator("#close-status")).to_have_text("Отменено")
    expect(page.locator("#current-year")).to_have_text(f"Учебный год {before}")


def _admin(world):
    from roster.extensions import db
    from roster.models import User

    return db.session.get(User, world.admin_a.id)
