"""The national identifier on the school's pages: IIN in a Kazakh school (checked, its birth date and sex compared
or filled in), SNILS in a Russian one, none elsewhere; unique in a school, filtered exactly, private from teachers,
read from an import's "ИИН" column."""

from datetime import date

from sqlalchemy import select

from roster.extensions import db
from roster.models import School, Student
from tests.helpers import filter_arg
from tests.test_student_form import error_beside, save

IIN = "871008401427"  # published: a woman born 8 October 1987 (tests/test_national_id.py)


def student(app, last_name):
    with app.app_context():
        return db.session.scalar(select(Student).where(Student.last_name == last_name))


def set_country(app, school_id, country):
    with app.app_context():
        db.session.get(School, school_id).country = country
        db.session.commit()


def test_an_iin_is_checked_and_fills_an_empty_birth_date_and_gender(app, agent, world):
    admin = agent("admin_a")
    page = admin.get("/admin/students/new/")
    assert page.html.select_one('label[for="national_id"]').get_text(strip=True) == "IIN"
    save(admin, "/admin/students/new/", {"last_name": "Аманова", "first_name": "Дана", "national_id": "8710 0840 1427"},
         expect=(302,))
    stored = student(app, "Аманова")
    assert (stored.national_id, stored.birth_date, stored.gender) == (IIN, date(1987, 10, 8), "female")
    details = admin.get(f"/admin/students/details/?id={stored.id}").text
    assert "IIN" in details and IIN in details


def test_a_wrong_iin_or_one_that_disagrees_with_the_record_says_why_and_saves_nothing(app, agent, world):
    admin = agent("admin_a")
    for typed, values, message in (
            ("871008401428", {}, "its check digit is wrong"),
            ("87100840142", {}, "An IIN has 12 digits."),
            ("8710O8401427", {}, "digits only"),
            (IIN, {"birth_date": "1987-10-09"}, "The IIN says born 1987-10-08; the date of birth says 1987-10-09."),
            (IIN, {"gender": "male"}, "The IIN says Female; the gender says Male."),
    ):
        response = save(admin, "/admin/students/new/", {"last_name": "Ошибка", "first_name": "Ф",
                                                        "national_id": typed, **values}, expect=(200,))
        assert any(message in m for pair in error_beside(response.text, "national_id") for m in pair), typed
    assert student(app, "Ошибка") is None


def test_an_iin_is_one_childs_in_a_school_and_the_list_finds_it_as_typed(app, agent, as_role, world):
    admin = agent("admin_a")
    save(admin, "/admin/students/new/", {"last_name": "Первая", "first_name": "А", "national_id": IIN}, expect=(302,))
    again = save(admin, "/admin/students/new/", {"last_name": "Вторая", "first_name": "Б", "national_id": IIN},
                 expect=(200,))
    assert "already has this national identifier" in again.text
    by_iin = filter_arg(admin.get("/admin/students/").text, "IIN")
    found = admin.get(f"/admin/students/?{by_iin}=871008 401427")
    assert [a.get_text() for a in found.html.select("td.col-full_name .row-name a")] == ["Первая А"]
    # A teacher sees no IIN: not a filter, not a column, not on the page; a forged filter matches no one.
    teacher = as_role("teacher_a").get("/admin/students/").get_data(as_text=True)
    assert ">IIN<" not in teacher
    forged = as_role("teacher_a").get(f"/admin/students/?{by_iin}={IIN}").get_data(as_text=True)
    assert "Inside Ivan" not in forged


def test_a_russian_school_keeps_snils_and_a_school_elsewhere_none(app, agent, world):
    set_country(app, world.school_a.id, "RU")
    admin = agent("admin_a")
    page = admin.get("/admin/students/new/")
    assert page.html.select_one('label[for="national_id"]').get_text(strip=True) == "SNILS"
    save(admin, "/admin/students/new/", {"last_name": "Смирнова", "first_name": "Е",
                                         "national_id": "112-233-445 95"}, expect=(302,))
    assert student(app, "Смирнова").national_id == "11223344595"
    set_country(app, world.school_a.id, "GB")
    page = admin.get("/admin/students/new/")
    assert page.html.select_one("#national_id") is None
    assert "SNILS" not in admin.get("/admin/students/").text
    save(admin, "/admin/students/new/", {"last_name": "Smith", "first_name": "J"}, expect=(302,))


def test_an_import_reads_the_iin_column(app, agent, world):
    admin = agent("admin_a")
    data = f"Фамилия,Имя,ИИН\nАманова,Дана,{IIN}\nОшибка,Ф,871008401428\n".encode()
    page = admin.confirm_import(admin.upload_import("list.csv", data))
    assert student(app, "Аманова").national_id == IIN
    assert student(app, "Ошибка") is None
    assert "check digit" in page.text


def test_a_reimport_finds_a_student_by_iin_before_file_number_and_email(app, agent, world):
    admin = agent("admin_a")
    save(admin, "/admin/students/new/", {"last_name": "Аманова", "first_name": "Дана", "national_id": IIN,
                                         "personal_file_number": "A-1"}, expect=(302,))
    # The same child, her file number changed and her IIN typed with spaces: updated, not added.
    data = "Фамилия,Имя,ИИН,Номер личного дела\nАманова,Дана,871008 401427,A-2\n".encode()
    admin.confirm_import(admin.upload_import("list.csv", data))
    with app.app_context():
        found = db.session.scalars(select(Student).where(Student.last_name == "Аманова")).all()
        assert [(s.national_id, s.personal_file_number) for s in found] == [(IIN, "A-2")]
    # An IIN of one student and the file number of another: the row says so, nothing changes.
    data = f"Фамилия,Имя,ИИН,Номер личного дела\nАманова,Дана,{IIN},\nOther,Pupil,{IIN},A-2\n".encode()
    page = admin.upload_import("other.csv", data)
    assert "same student" in page.text


def test_an_iin_of_a_child_of_another_school_says_where_they_study_and_the_transfer_search_finds_them(
        app, agent, world):
    admin_b = agent("admin_b")
    save(admin_b, "/admin/students/new/", {"last_name": "Аманова", "first_name": "Дана", "national_id": IIN},
         expect=(302,))
    admin_a = agent("admin_a")
    response = save(admin_a, "/admin/students/new/", {"last_name": "Аманова", "first_name": "Дана",
                                                       "national_id": IIN}, expect=(200,))
    assert "This child studies at Beta School" in response.text
    found = admin_a.get(f"/admin/transfers/?file_number={IIN}")
    assert "Аманова Дана" in found.text and "Beta School" in found.text
    # An import's new row with that IIN says the same, and adds no one.
    page = admin_a.upload_import("list.csv", f"Фамилия,Имя,ИИН\nАманова,Дана,{IIN}\n".encode())
    assert "This child studies at Beta School" in page.text
    admin_a.confirm_import(page)
    with app.app_context():
        assert db.session.scalar(select(Student.id).where(Student.school_id == world.school_a.id,
                                                          Student.national_id == IIN)) is None


def test_the_import_template_has_the_countrys_identifier_column(app, agent, world):
    admin = agent("admin_a")
    headers = admin.get("/admin/imports/template.csv").body.decode("utf-8-sig").splitlines()[0].split(",")
    assert "IIN" in headers and "SNILS" not in headers and "National ID" not in headers
    set_country(app, world.school_a.id, "GB")
    headers = admin.get("/admin/imports/template.csv").body.decode("utf-8-sig").splitlines()[0].split(",")
    assert not {"IIN", "SNILS", "National ID"} & set(headers)
