"""Russian and Kazakh: complete catalogs, correct plurals, and the language each page, mail and file is in."""

import csv
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask import g
from sqlalchemy import select

from roster import tasks
from roster.extensions import db
from roster.i18n import LANGUAGES
from roster.models import School, User
from roster.records import MailMessage
from tests.agent import Agent, find_form
from tests.factories import PASSWORD
from tests.helpers import mail_config

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "roster" / "translations"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def catalog(language: str, domain: str):
    with open(TRANSLATIONS / language / "LC_MESSAGES" / f"{domain}.po", "rb") as f:
        return read_po(f, locale=language)


@pytest.mark.parametrize("domain", ["messages", "admin"])
@pytest.mark.parametrize("language", ["ru", "kk"])
def test_every_message_has_a_translation_with_the_same_placeholders(language, domain):
    with open(TRANSLATIONS / f"{domain}.pot", "rb") as f:
        template = read_po(f)
    translated = catalog(language, domain)
    for message in template:
        if not message.id:
            continue
        entry = translated.get(message.id)
        assert entry is not None, f"{language}: no entry for {message.id!r}"
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        assert len(strings) == translated.num_plurals if isinstance(entry.id, tuple) else 1
        source = message.id if isinstance(message.id, tuple) else (message.id,)
        wanted = set(PLACEHOLDER.findall(source[-1])) - {"%(num)s", "%(num)d"}
        for text in strings:
            assert text.strip(), f"{language}: empty translation of {message.id!r}"
            assert set(PLACEHOLDER.findall(text)) - {"%(num)s", "%(num)d"} == wanted, (language, message.id, text)
            assert "fuzzy" not in entry.flags


def test_the_catalogs_hold_every_message_of_the_code(tmp_path):
    """pybabel extract over the code gives no message the template (and so the catalogs) lacks."""
    out = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "_l",
                    "-k", "N_", "--no-location", "-o", str(out), "."], cwd=ROOT, check=True, capture_output=True)
    with open(out, "rb") as f:
        extracted = {m.id for m in read_po(f) if m.id}
    with open(TRANSLATIONS / "messages.pot", "rb") as f:
        known = {m.id for m in read_po(f) if m.id}
    assert extracted - known == set(), "run `make update-messages` and translate the new messages"


RUSSIAN_FORMS = {1: "Стёрт 1 ученик.", 2: "Стёрто 2 ученика.", 5: "Стёрто 5 учеников.",
                 11: "Стёрто 11 учеников.", 21: "Стёрт 21 ученик.", 22: "Стёрто 22 ученика."}


def test_russian_plural_forms_for_1_2_5_11_21_22(app):
    from flask_babel import force_locale, ngettext

    with app.test_request_context(), force_locale("ru"):
        for n, text in RUSSIAN_FORMS.items():
            assert ngettext("Erased %(num)s student.", "Erased %(num)s students.", n) == text


def test_flask_admins_own_strings_come_from_our_catalog_with_right_plurals(app):
    """Flask-Admin's Russian says "Запись успешно удалена." for 21 records; ours counts them; Kazakh exists."""
    from flask_admin import babel as admin_babel
    from flask_babel import force_locale

    view = app.extensions["admin"][0]._views[1]
    forms = {1: "1 запись удалена.", 2: "2 записи удалены.", 5: "5 записей удалено.", 11: "11 записей удалено.",
             21: "21 запись удалена.", 22: "22 записи удалены."}
    with app.test_request_context():
        g._admin_view = view
        with force_locale("ru"):
            for n, text in forms.items():
                assert admin_babel.ngettext("Record was successfully deleted.",
                                            "%(count)s records were successfully deleted.", n, count=n) == text
            assert admin_babel.gettext("Add Filter") == "Добавить фильтр"
        with force_locale("kk"):
            assert admin_babel.gettext("With selected") == "Таңдалғандармен"
            assert admin_babel.gettext("Add Filter") == "Сүзгі қосу"


def lang_of(page) -> str:
    return re.search(r'<html lang="(\w+)"', page.text).group(1)


def test_the_browsers_language_is_used_among_ours_and_english_stays_the_default(app):
    visitor = Agent(app)
    assert lang_of(visitor.get("/login")) == "en"
    assert lang_of(visitor.get("/login", headers={"Accept-Language": "de-DE,de;q=0.9"})) == "en"
    page = visitor.get("/login", headers={"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"})
    assert lang_of(page) == "ru" and "Забыли пароль?" in page.text and "<h1 class=\"h4 mb-3\">Войти</h1>" in page.text
    page = visitor.get("/forgot-password", headers={"Accept-Language": "kk-KZ"})
    assert lang_of(page) == "kk" and "Құпиясөзді ұмыттыңыз ба?" in page.text


def test_the_public_switcher_changes_the_pages_language_and_survives_sign_in(app, world):
    visitor = Agent(app)
    page = visitor.get("/login")
    switch = page.click(href=r"/language/kk")  # the switcher's link, as a person follows it
    page = switch.follow()
    assert lang_of(page) == "kk" and "Кіру" in page.text
    # A visitor's own choice wins over the browser's.
    assert lang_of(visitor.get("/login", headers={"Accept-Language": "ru"})) == "kk"
    form = find_form(page, field="password")
    form["login"], form["password"] = world.admin_a.email, PASSWORD
    form.submit()
    assert lang_of(visitor.get("/account")) == "kk"
    # Nowhere else: the switcher's next is a path on this site only.
    assert visitor.get("/language/ru?next=https://evil.example/").location.endswith("/")


def test_a_users_language_in_settings_is_kept_for_their_pages(app, world, agent):
    admin = agent("admin_a")
    page = admin.get("/settings/language")
    assert lang_of(page) == "en"
    page = admin.submit(page, id="language-form", language="ru", expect=(302,)).follow()
    assert lang_of(page) == "ru" and "Язык сохранён." in page.text
    with app.app_context():
        assert db.session.get(User, world.admin_a.id).language == "ru"
    # The stored choice wins over the browser's, on admin pages too.
    students = admin.get("/admin/students/", headers={"Accept-Language": "kk"})
    assert lang_of(students) == "ru"
    assert "Ученики" in students.text and "Добавить" in students.text and "Жёлтые строки" in students.text
    assert 'id="menu-students"' in students.text  # ids stay the same in every language


def test_dates_and_numbers_on_pages_follow_the_language(app, world, agent):
    with app.app_context():
        school = db.session.get(School, world.school_a.id)
        school.country = "US"
        db.session.commit()
    admin = agent("admin_a")
    page = admin.get(f"/admin/students/details/?id={world.in_section.id}")
    assert re.search(r"\b\d{1,2}/\d{1,2}/\d{4}\b", page.text)  # English in the US: 3/5/2012
    admin.submit(admin.get("/settings/language"), id="language-form", language="ru")
    page = admin.get(f"/admin/students/details/?id={world.in_section.id}")
    assert re.search(r"\b\d{2}\.\d{2}\.\d{4}\b", page.text)  # Russian: 05.03.2012
    upload = admin.get("/admin/imports/new")
    assert "100\xa0000" in upload.text  # 100 000 students at most, with Russian's (no-break) space


def test_export_headers_are_in_the_users_language_and_values_stay_neutral_and_import_back(app, world, agent):
    admin = agent("admin_a")
    admin.submit(admin.get("/settings/language"), id="language-form", language="kk")
    response = admin.get("/admin/students/export?format=csv")
    rows = list(csv.reader(io.StringIO(response.body.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Аты-жөні", "Тегі", "Аты", "Әкесінің аты"]
    assert "Тіркелгі күйі" in rows[0]
    # Values as files write them, whatever the language (an import reads them back).
    status = rows[0].index("Тіркелгі күйі")
    assert {row[status] for row in rows[1:]} <= {"no account", "pending", "active"}
    page = admin.upload_import("export.csv", response.body)
    assert "Растауға дайын" in page.text and "Белгісіз бағандар" not in page.text  # its own export is all known
    assert lang_of(page) == "kk"


def test_the_import_template_downloads_in_the_users_language(app, world, agent):
    admin = agent("admin_a")
    admin.submit(admin.get("/settings/language"), id="language-form", language="ru")
    template = admin.get("/admin/imports/new").click(linkid="template-csv")
    header = next(csv.reader(io.StringIO(template.body.decode("utf-8-sig"))))
    assert header[:3] == ["Фамилия", "Имя", "Отчество"] and "Родитель 1 ФИО" in header


def test_an_import_report_is_in_the_users_language_and_names_the_files_own_columns(app, world, agent):
    admin = agent("admin_a")
    admin.submit(admin.get("/settings/language"), id="language-form", language="ru")
    data = "ФИО;Дата рождения;Пол\nИванов Пётр Сергеевич;31.02.2011;м\nКим;2011-01-01;ж\n".encode("cp1251")
    page = admin.upload_import("список.csv", data)
    errors = page.html.select("#import-errors tr.import-status-error")
    cells = [[td.get_text(strip=True) for td in tr.select("td")] for tr in errors]
    not_a_date = "«31.02.2011» — не дата: пишите ГГГГ-ММ-ДД или ДД.ММ.ГГГГ."
    assert ["2", "Иванов Пётр Сергеевич", "Дата рождения", not_a_date] in cells
    assert any(c[0] == "3" and c[2] == "ФИО" and "Напишите в этой ячейке фамилию и имя" in c[3] for c in cells)
    assert "Готов к подтверждению" in page.text


def test_mails_to_students_are_in_the_schools_language(make_app, world, outbox, smtp_port):
    app = make_app(**mail_config(smtp_port))
    platform = Agent(app)
    platform.sign_in(world.platform.email)
    page = platform.get(f"/admin/schools/edit/?id={world.school_a.id}")
    platform.submit(page, field="language", language="ru", name="Alpha School")
    with app.app_context():
        assert db.session.get(School, world.school_a.id).language == "ru"
    admin = Agent(app)
    admin.sign_in(world.admin_a.email)
    page = admin.get("/admin/invite/")
    page = admin.submit(page, field="emails", emails="new.pupil@example.org")
    assert lang_of(page) == "en" and "1 invitation sent." in page.text  # the admin's own page stays English
    tasks.wait_for_background_work(app)
    [invitation] = outbox.wait_for(1)
    assert invitation["Subject"] == "Вас приглашают в школу Alpha School в Roster"
    body = invitation.get_body(("plain",)).get_content()
    assert "Alpha School приглашает вас зарегистрироваться в Roster как ученика." in body
    assert re.search(r"до \d{2}\.\d{2}\.\d{4}\.", body)


def test_a_users_own_language_wins_for_their_mails(make_app, world, outbox, smtp_port):
    app = make_app(**mail_config(smtp_port))
    with app.app_context():
        db.session.get(School, world.school_a.id).language = "ru"
        db.session.get(User, world.student_user.id).language = "kk"
        db.session.commit()
    admin = Agent(app)
    admin.sign_in(world.admin_a.email)
    page = admin.get(f"/admin/students/credentials?id={world.in_section.id}")
    page = admin.submit(page, id="credentials-form", button="change")
    admin.submit(page, id="credentials-form", expect=(302,))
    tasks.wait_for_background_work(app)
    [mail] = outbox.wait_for(1)
    assert mail["Subject"] == "Alpha School мектебіне Roster-ге кіру деректеріңіз"
    assert "Сәлеметсіз бе, Inside Ivan!" in mail.get_body(("plain",)).get_content()
    with app.app_context():
        logged = db.session.scalars(select(MailMessage)).one()
        assert "Құпиясөз:" in logged.body_text and "Password" not in logged.body_text


def test_cli_messages_are_in_the_platforms_language(make_app, world):
    app = make_app(BABEL_DEFAULT_LOCALE="ru")
    result = app.test_cli_runner().invoke(args=["roster", "reset-two-factor", "nobody@example.org"])
    assert result.exit_code == 1 and "Нет учётной записи с почтой или логином 'nobody@example.org'." in result.output


def test_every_language_is_offered_in_its_own_name(agent):
    page = agent("admin_a").get("/settings/language")
    offered = {label.get_text(strip=True) for label in page.html.select("#language-form label[lang]")}
    assert offered == set(LANGUAGES.values()) == {"English", "Русский", "Қазақша"}


def test_a_sign_up_is_answered_in_the_language_of_its_page_before_the_schools(app, world):
    with app.app_context():
        db.session.get(School, world.school_a.id).language = "ru"
        db.session.commit()
    visitor = Agent(app)
    visitor.web.extra_environ["HTTP_ACCEPT_LANGUAGE"] = "kk"
    page = visitor.open(f"/join/{world.school_a.signup_token}")
    assert lang_of(page) == "kk"
    page = visitor.submit(page, field="confirm_password", last_name="Ким", first_name="Дана",
                          email="dana.kim@example.org", password="my own long passphrase",
                          confirm_password="my own long passphrase", accept_notice=True, expect=(302,)).follow()
    assert "Тіркелгіңіз дайын." in page.text
    tasks.wait_for_background_work(app)
    with app.app_context():
        [received] = db.session.scalars(select(MailMessage).where(MailMessage.kind == "sign-up received")).all()
        assert received.subject == "Alpha School мектебіне арналған Roster тіркелгіңіз"


def test_a_capped_count_reads_with_its_plus_in_every_language(make_app, world):
    app = make_app(LIST_EXACT_COUNT_LIMIT=1)
    admin = Agent(app)
    admin.sign_in(world.admin_a.email)
    for language in ("en", "ru", "kk"):
        page = admin.get("/admin/students/?page=1", headers={"Accept-Language": language})
        assert 'id="student-count">(1+)' in page.text, language
