"""Duplicates in Chromium: Add asks before saving a child already on the list (the shortest path: names only);
the import preview marks a possible duplicate and its choice holds; the Duplicates page merges two records side
by side and the survivor's page undoes it."""

from datetime import date

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from roster.extensions import db
from roster.models import Student
from roster.services import students
from tests.factories import PASSWORD
from tests.test_browser_invite import sign_in

pytestmark = pytest.mark.browser


def test_add_asks_before_saving_a_child_already_on_the_list(page, mail_site, world):
    app, base = mail_site
    with app.app_context():
        students.create(world.school_a.id, {"last_name": "Ахметов", "first_name": "Ерлан"}, actor=world.platform)
    sign_in(page, base, "admin@alpha.example", PASSWORD)
    page.goto(base + "/admin/students/new/")
    page.fill("#last_name", "Akhmetov")
    page.fill("#first_name", "Yerlan")
    page.click("input[type=submit][value=Save]")
    warning = page.locator("#possible-duplicates")
    expect(warning).to_contain_text("Possible duplicate of Ахметов Ерлан")
    expect(warning).to_contain_text("same name (a date of birth is missing)")
    expect(page.locator("#last_name")).to_have_value("Akhmetov")  # what was typed is kept
    warning.get_by_role("button", name="Save anyway").click()
    expect(page.locator("h1")).to_contain_text("Students")
    with app.app_context():
        assert db.session.scalar(select(Student.id).where(Student.last_name == "Akhmetov")) is not None


def test_the_import_preview_offers_to_update_the_student_a_row_may_be(page, mail_site, world, tmp_path):
    app, base = mail_site
    with app.app_context():
        existing = students.create(world.school_a.id, {"last_name": "Ёлкина", "first_name": "Алия",
                                                       "birth_date": date(2013, 5, 1)}, actor=world.platform)
    path = tmp_path / "list.csv"
    path.write_text("Last name,First name,Date of birth,Phone\nЕлкина,Әлия,2013-05-01,+7 701 555 00 01\n"
                    "Петров,Иван,2012-01-01,\n", encoding="utf-8")
    sign_in(page, base, "admin@alpha.example", PASSWORD)
    page.goto(base + "/admin/imports/new")
    page.wait_for_load_state("networkidle")
    page.set_input_files("#file", str(path))
    page.click("#upload-button")
    expect(page.locator("#job-status")).to_have_text("Ready to confirm", timeout=15000)
    expect(page.locator("#total-duplicates")).to_have_text("1")
    row = page.locator("#import-duplicates tr", has_text="Елкина Әлия")
    expect(row).to_contain_text("Ёлкина Алия")
    expect(row).to_contain_text("same name and date of birth")
    row.locator("select").select_option("update")
    page.click("#confirm-with-choices")
    expect(page.locator("#job-status")).to_have_text("Completed", timeout=15000)
    expect(page.locator("#import-duplicates")).to_contain_text("Updated that student")
    with app.app_context():
        student = db.session.get(Student, existing)
        assert (student.last_name, student.phone_normalized) == ("Елкина", "+77015550001")


def test_merge_two_records_side_by_side_then_undo(page, mail_site, world):
    app, base = mail_site
    with app.app_context():
        first = students.create(world.school_a.id, {"last_name": "Сейткали", "first_name": "Айгерим",
                                                    "birth_date": date(2014, 3, 2)}, actor=world.platform)
        second = students.create(world.school_a.id, {"last_name": "Seitkali", "first_name": "Aigerim",
                                                     "birth_date": date(2014, 3, 2), "personal_file_number": "F-9",
                                                     "tag_ids": [world.tag_a.id]}, actor=world.platform)
    sign_in(page, base, "admin@alpha.example", PASSWORD)
    page.click("#roster-menu >> text=Duplicates")
    row = page.locator("#duplicates-table tbody tr").first
    expect(row).to_contain_text("same name and date of birth")
    row.locator("text=Compare and merge").click()
    expect(page.locator("#merge-table")).to_contain_text("F-9")
    page.locator("#merge-table tr", has_text="Last name").locator(f"input[value='{second}']").check()
    page.click("#merge-button")
    expect(page.locator(".alert-success")).to_contain_text("is now part of")
    expect(page.locator("h1")).to_contain_text("Seitkali Айгерим")
    with app.app_context():
        kept = db.session.get(Student, first)
        assert (kept.last_name, kept.personal_file_number, [t.name for t in kept.tags]) == ("Seitkali", "F-9",
                                                                                          ["Choir"])
        assert db.session.get(Student, second).status == "merged"
    page.click("button[id^=undo-merge-]")
    expect(page.locator(".alert-success")).to_contain_text("both records are back")
    with app.app_context():
        db.session.expire_all()
        assert db.session.get(Student, first).last_name == "Сейткали"
        assert (db.session.get(Student, second).status, db.session.get(Student, second).personal_file_number) == (
            "studying", "F-9")
