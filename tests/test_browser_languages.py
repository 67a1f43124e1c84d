"""Flow 1 in Russian and in Kazakh, in a real browser whose language is that one: invite → mail in the school's
language → sign up → Activate → the student sees the school. Every click reads the label the user guide gives
in that language."""

import re

import pytest
from playwright.sync_api import expect

from roster import tasks
from roster.extensions import db
from roster.models import School
from tests.factories import PASSWORD
from tests.helpers import row_action

pytestmark = pytest.mark.browser

STUDENT_PASSWORD = "my own long passphrase"

GUIDE = {
    "ru": {
        "locale": "ru-RU", "invite": "Пригласить", "send": "Отправить приглашение", "sent": "1 приглашение отправлено.",
        "subject": "Вас приглашают в школу Alpha School в Roster", "sign_up": "Регистрация",
        "ready": "Ваша учётная запись готова", "activate": "Активировать", "activated": "Активирован 1 ученик",
        "sign_in": "Войти", "student_of": "Вы ученик школы Alpha School.", "pending": "ожидает",
    },
    "kk": {
        "locale": "kk-KZ", "invite": "Шақыру", "send": "Шақыру жіберу", "sent": "1 шақыру жіберілді.",
        "subject": "Сізді Roster-де Alpha School мектебіне шақырады", "sign_up": "Тіркелу",
        "ready": "Тіркелгіңіз дайын", "activate": "Белсендіру", "activated": "1 оқушы белсендірілді",
        "sign_in": "Кіру", "student_of": "Сіз Alpha School мектебінің оқушысысыз.", "pending": "күтуде",
    },
}


def new_page(browser, language, refused):
    context = browser.new_context(locale=GUIDE[language]["locale"])
    page = context.new_page()
    page.on("console", lambda message: refused.append(message.text)
            if "Content Security Policy" in message.text else None)
    return page


def sign_in(page, base, login, password, words):
    page.goto(base + "/login")
    expect(page.locator("h1")).to_have_text(words["sign_in"])
    page.fill("#login", login)
    page.fill("#password", password)
    page.click(f"button:has-text('{words['sign_in']}')")


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_invite_sign_up_activate_in_the_schools_language(browser, mail_site, world, outbox, language):
    app, base = mail_site
    words, refused = GUIDE[language], []
    with app.app_context():  # the platform admin's setting: this school's mails to students are in its language
        db.session.get(School, world.school_a.id).language = language
        db.session.commit()

    admin = new_page(browser, language, refused)
    sign_in(admin, base, "admin@alpha.example", PASSWORD, words)
    expect(admin.locator("html")).to_have_attribute("lang", language)
    expect(admin.locator("#invite-button")).to_have_text(words["invite"])
    admin.click("#invite-button")
    admin.fill("#emails", f"pupil.{language}@example.org")
    admin.click(f"button:has-text('{words['send']}')")
    expect(admin.locator("#invite-result")).to_contain_text(words["sent"])

    tasks.wait_for_background_work(app)
    [invitation] = outbox.wait_for(1)
    assert invitation["Subject"] == words["subject"]
    link = re.search(r"(http://\S+/join/invite/\S+)", invitation.get_body(("plain",)).get_content()).group(1)

    student = new_page(browser, language, refused)
    student.goto(link)
    expect(student.locator("h1")).to_have_text(words["sign_up"])
    student.fill("#last_name", "Нурланова")
    student.fill("#first_name", "Дана")
    student.fill("#password", STUDENT_PASSWORD)
    student.fill("#confirm_password", STUDENT_PASSWORD)
    student.check("#accept_notice")
    student.click(f"button:has-text('{words['sign_up']}')")
    expect(student.locator(".alert-success")).to_contain_text(words["ready"])

    admin.goto(base + "/admin/students/")
    row = admin.locator("tr.row-pending", has_text="Нурланова Дана")
    expect(row).to_contain_text(words["pending"])
    row_action(admin, "Нурланова Дана", words["activate"])
    expect(admin.locator(".alert-success")).to_contain_text(words["activated"])

    sign_in(student, base, f"pupil.{language}@example.org", STUDENT_PASSWORD, words)
    expect(student.locator(".school-workspace").first).to_contain_text(words["student_of"])
    tasks.wait_for_background_work(app)
    subjects = [m["Subject"] for m in outbox.wait_for(3)]
    assert all(re.search("[а-яәіңғүұқөһ]", s) for s in subjects), subjects  # every mail in the school's language
    assert refused == []
