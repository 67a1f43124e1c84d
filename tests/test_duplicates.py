"""Duplicate detection: the score and its reasons word by word (alphabets, swapped names, a letter wrong), the
keys kept by every service that writes a student, and Add / Edit asking before saving a possible duplicate."""

from datetime import date

import pytest
from sqlalchemy import func, select

from roster.extensions import db
from roster.models import Student
from roster.records import duplicate_key
from roster.services import duplicates
from roster.services.duplicates import compare, person
from tests.test_student_form import save

BORN = date(2014, 3, 2)


def someone(last, first, born=None, phone="", guardians=(), **values):
    return person({"last_name": last, "first_name": first, "birth_date": born, "phone": phone, **values},
                  [{"phone": p} for p in guardians], student_id=1)


@pytest.mark.parametrize("one, other", [
    (("Ёлкина", "Алия"), ("Елкина", "Алия")),
    (("Ахметов", "Ерлан"), ("Akhmetov", "Yerlan")),
    (("Ахметов", "Ерлан"), ("Ahmetov", "Erlan")),
    (("Нұрланова", "Әлия"), ("Нурланова", "Алия")),
    (("Сейткали", "Айгерим"), ("Seitkali", "Aigerim")),
    (("Жанова", "Жанна"), ("Zhanova", "Zhanna")),
    (("Цой", "Юлия"), ("Tsoi", "Yulia")),
    (("Ханов", "Ян"), ("Khanov", "Yan")),
    (("Ерлан", "Ахметов"), ("Ахметов", "Ерлан")),  # first and last name swapped
])
def test_one_name_written_two_ways_with_one_birth_date_is_a_possible_duplicate(one, other):
    match = compare(someone(*one, BORN), someone(*other, BORN))
    assert match is not None and match.reasons[0] == "name_date" and match.score >= 90


def test_a_last_name_with_a_letter_or_two_wrong_counts_when_the_first_name_and_birth_date_agree():
    assert compare(someone("Иваноев", "Пётр", BORN), someone("Иванов", "Петр", BORN)).reasons == ["similar_name_date"]
    assert compare(someone("Иванов", "Петр", BORN), someone("Сидоров", "Петр", BORN)) is None  # three+ letters
    assert compare(someone("Иваноев", "Пётр", BORN), someone("Иванов", "Петр", date(2014, 3, 3))) is None


def test_two_birth_dates_or_two_national_numbers_are_two_children():
    assert compare(someone("Ким", "Ли", BORN), someone("Ким", "Ли", date(2015, 1, 1))) is None
    assert compare(someone("Ким", "Ли", national_id="871008401427"),
                   someone("Ким", "Ли", national_id="760212350620")) is None
    twin = compare(someone("Ким", "Ли", BORN, guardians=["+77011234567"]),
                   someone("Ким", "Сон", BORN, guardians=["87011234567"]))
    assert twin is None  # twins: one last name, one birth date, one parent's phone, two first names


def test_the_other_reasons():
    assert compare(someone("Ким", "Ли"), someone("Kim", "Li")).reasons == ["name"]  # a birth date missing
    phone = compare(someone("Ким", "Ли", phone="+7 701 123 45 67"), someone("Пак", "Ли", phone="8 (701) 123-45-67"))
    assert phone.reasons == ["phone_first"]
    guardian = compare(someone("Ким", "Ли", guardians=["+77011234567"]), someone("Ким", "Лиа", phone="87011234567"))
    assert guardian.reasons == ["guardian_last"]
    same = compare(someone("A", "B", national_id="871008401427", email="a@x.kz"),
                   someone("C", "D", national_id="871008401427", email="a@x.kz"))
    assert same.reasons == ["id", "email"] and same.score == 100
    assert same.texts("KZ") == ["same IIN", "same email"] and same.texts("RU")[0] == "same SNILS"


def test_a_file_is_compared_within_itself_only_where_rows_share_a_key():
    rows = [someone("Ахметов", "Ерлан", BORN), someone("Петров", "Иван", BORN), someone("Akhmetov", "Yerlan", BORN)]
    found = duplicates.within(rows)
    assert list(found) == [2] and found[2].student_id == 0


def keys_of(app, student_id):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(duplicate_key)
                                 .where(duplicate_key.c.student_id == student_id))


def test_add_asks_before_saving_a_possible_duplicate_then_saves_anyway(app, agent, world):
    admin = agent("admin_a")
    save(admin, "/admin/students/new/", {"last_name": "Ахметов", "first_name": "Ерлан", "birth_date": "2014-03-02"},
         expect=(302,))
    page = save(admin, "/admin/students/new/", {"last_name": "Akhmetov", "first_name": "Yerlan",
                                                "birth_date": "2014-03-02"}, expect=(200,))
    warning = page.html.select_one("#possible-duplicates")
    assert "Possible duplicate of Ахметов Ерлан" in warning.get_text(" ", strip=True)
    assert "same name and date of birth" in warning.text
    with app.app_context():
        first = db.session.scalar(select(Student.id).where(Student.last_name == "Ахметов"))
        assert db.session.scalar(select(func.count()).select_from(Student).where(Student.last_name == "Akhmetov")) == 0
    assert warning.select_one("a.btn")["href"].endswith(f"/admin/students/details/?id={first}")
    assert keys_of(app, first) == 2  # the name (wide: the date is known), the date with the initials
    saved = admin.submit(page, field="last_name", button="save_anyway", expect=(302,))
    assert saved.status_int == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Student).where(Student.last_name == "Akhmetov")) == 1


def test_edit_asks_only_when_it_changes_what_duplicates_are_found_by(app, agent, world):
    admin = agent("admin_a")
    save(admin, "/admin/students/new/", {"last_name": "Ким", "first_name": "Ли", "birth_date": "2014-03-02"},
         expect=(302,))
    save(admin, "/admin/students/new/", {"last_name": "Пак", "first_name": "Ли", "birth_date": "2014-03-02"},
         expect=(302,))
    with app.app_context():
        other = db.session.scalar(select(Student.id).where(Student.last_name == "Пак"))
    save(admin, f"/admin/students/edit/?id={other}", {"middle_name": "Оглы"}, expect=(302,))
    page = save(admin, f"/admin/students/edit/?id={other}", {"last_name": "Kim"}, expect=(200,))
    assert "Possible duplicate of Ким Ли" in page.html.select_one("#possible-duplicates").get_text(" ", strip=True)
    with app.app_context():
        assert db.session.get(Student, other).last_name == "Пак"


def test_a_sign_up_like_a_roster_student_is_never_joined_on_a_guess_and_its_row_says_whom(app, agent, world):
    from tests.test_invitations import sign_up

    with app.app_context():
        from roster.models import School
        from roster.services import students

        token = db.session.get(School, world.school_a.id).signup_token
        roster = students.create(world.school_a.id, {"last_name": "Петрова", "first_name": "Алёна",
                                                     "phone": "+7 701 111 22 33"}, actor=world.platform)
    sign_up(app, f"/join/{token}", email="alyona@example.org", last_name="Petrova", first_name="Alyona")
    with app.app_context():
        new = db.session.scalar(select(Student).where(Student.last_name == "Petrova"))
        assert new.account_status == "pending" and new.id != roster
        assert db.session.get(Student, roster).user_id is None  # never linked on a guess
    row = agent("admin_a").get("/admin/students/").html.find("a", string="Petrova Alyona").parent
    assert "possible duplicate of Петрова Алёна" in row.get_text(" ", strip=True)


def test_the_import_preview_marks_possible_duplicates_and_each_rows_choice_holds_for_the_run(app, agent, world):
    with app.app_context():
        from roster.services import students

        existing = students.create(world.school_a.id, {"last_name": "Ахметов", "first_name": "Ерлан",
                                                       "birth_date": date(2014, 3, 2)}, actor=world.platform)
        other = students.create(world.school_a.id, {"last_name": "Ёлкина", "first_name": "Алия",
                                                    "birth_date": date(2013, 5, 1)}, actor=world.platform)
    rows = ("Last name,First name,Date of birth,Phone\n"
            "Akhmetov,Yerlan,2014-03-02,\n"       # row 2: like a student of the list -> update them
            "Елкина,Әлия,2013-05-01,\n"          # row 3: like a student of the list -> left as skipped
            "Петров,Иван,2012-01-01,+77015550001\n"
            "Petrov,Ivan,2012-01-01,\n")          # row 5: like row 4 of the file -> imported as new
    admin = agent("admin_a")
    preview = admin.upload_import("list.csv", rows.encode())
    table = preview.html.select_one("#import-duplicates")
    lines = [tr.get_text(" ", strip=True) for tr in table.select("tbody tr, tr")[1:]]
    assert any("Akhmetov Yerlan" in line and "Ахметов Ерлан" in line and "same name and date of birth" in line
               for line in lines)
    assert any("row 4 of this file" in line for line in lines)
    assert preview.html.select_one("#total-duplicates").text == "3"
    assert preview.html.select_one("select[name=choice_3] option[selected]")["value"] == "skip"
    form = preview.forms["duplicates-form"]
    form["choice_2"] = "update"
    done = admin._after_background_work(form.submit())
    assert done.html.select_one("#job-status").text.strip() == "Completed"
    assert done.html.select_one("#total-skipped").text == "1"
    with app.app_context():
        names = db.session.scalars(select(Student.last_name).where(Student.school_id == world.school_a.id)).all()
        assert "Akhmetov" in names and "Елкина" not in names and names.count("Petrov") == 1
        assert db.session.get(Student, existing).last_name == "Akhmetov"  # updated, not added
        assert db.session.get(Student, other).last_name == "Ёлкина"
