"""The lists school offices really send: Russian and Kazakh headers, a single ФИО column, yes/no and gender in
the file's language, month names in dates."""

import pytest
from sqlalchemy import select

from roster import tasks
from roster.extensions import db
from roster.models import Guardian, Student, User
from roster.records import ImportJob
from roster.services import importing
from roster.text import split_full_name
from tests.test_import import confirm, upload


def run(world, text: str, *, encoding="utf-8", name="list.csv"):
    dataset = importing.read_file(text.encode(encoding), name)
    return importing.import_students(dataset, world.school_a.id, dry_run=False,
                                     actor=db.session.get(User, world.admin_a.id), file_name=name)


def student(school_id, last_name) -> Student:
    return db.session.scalar(select(Student).where(Student.school_id == school_id, Student.last_name == last_name))


def test_a_windows_1251_list_with_russian_headers_imports_through_the_page(app, world, agent):
    """The file of the report: "No column of this file is one we know" before."""
    admin = agent("admin_a")
    text = ("Фамилия;Имя;Отчество;Телефон;Электронная почта;Дата рождения;Пол;Номер личного дела\n"
            "Сидорова;Мария;Ивановна;8 701 111 22 33;m.sidorova@example.org;05.03.2012;ж;ЛД-17\n"
            "Ахметов;Арман;Серикович;+7 702 444 55 66;;5 марта 2011 г.;муж.;ЛД-18\n")
    job_url = upload(admin, "список.csv", text.encode("cp1251")).location
    tasks.wait_for_background_work(app)
    page = admin.get(job_url).text
    assert "Ready to confirm" in page and "No column" not in page
    confirm(admin, job_url)
    tasks.wait_for_background_work(app)
    assert "Completed" in admin.get(job_url).text
    with app.app_context():
        maria, arman = student(world.school_a.id, "Сидорова"), student(world.school_a.id, "Ахметов")
        assert (maria.first_name, maria.middle_name, maria.email, maria.phone_normalized, maria.gender,
                maria.birth_date.isoformat(), maria.personal_file_number) == (
            "Мария", "Ивановна", "m.sidorova@example.org", "+77011112233", "female", "2012-03-05", "ЛД-17")
        assert (arman.gender, arman.birth_date.isoformat()) == ("male", "2011-03-05")
        assert db.session.scalar(select(ImportJob.created_count).where(ImportJob.id == int(
            job_url.rsplit("/", 1)[1]))) == 2


def test_kazakh_headers_and_values(ctx, world):
    result = run(world, "Тегі,Аты,Әкесінің аты,Жынысы,Туған күні,Жеке іс нөмірі,Инклюзивті,Жеке оқыту,"
                        "Сыныптар,Ата-ана 1 аты-жөні,Ата-ана 1 телефон,Ата-ана 1 жұмыс орны\n"
                        "Нұрланова,Айгерім,Ержанқызы,қыз,1 қыркүйек 2011,ЖІ-1,иә,жоқ,1A,Нұрланов Ержан,"
                        "+7 701 000 11 22,Мектеп\n"
                        "Серіков,Дәурен,,ер,12.04.2010,ЖІ-2,жоқ,иә,,,,\n")
    assert result.totals["error"] == 0 and result.unknown_columns == []
    aigerim = student(world.school_a.id, "Нұрланова")
    assert (aigerim.first_name, aigerim.middle_name, aigerim.gender, aigerim.birth_date.isoformat(),
            aigerim.is_inclusive, aigerim.is_individual, [s.name for s in aigerim.sections]) == (
        "Айгерім", "Ержанқызы", "female", "2011-09-01", True, False, ["1A"])
    (father,) = db.session.scalars(select(Guardian).where(Guardian.student_id == aigerim.id))
    assert (father.full_name, father.workplace) == ("Нұрланов Ержан", "Мектеп")
    dauren = student(world.school_a.id, "Серіков")
    assert (dauren.gender, dauren.is_inclusive, dauren.is_individual) == ("male", False, True)


@pytest.mark.parametrize(("full", "names"), [
    ("Иванов Пётр Сергеевич", ("Иванов", "Пётр", "Сергеевич")),
    ("Ким Дана", ("Ким", "Дана", "")),
    ("Нурланов Ержан Нурлан улы", ("Нурланов", "Ержан", "Нурлан улы")),
    ("Серикова Айгуль Ержан кызы", ("Серикова", "Айгуль", "Ержан кызы")),
    ("  Ахметова   Дина  ", ("Ахметова", "Дина", "")),
])
def test_a_full_name_splits_as_offices_write_it(full, names):
    assert split_full_name(full) == names


def test_a_single_fio_column_gives_the_three_names_and_a_row_error_for_one_word(ctx, world):
    result = run(world, "ФИО;Пол;Дата рождения\nИванов Пётр Сергеевич;м;2012-01-02\nНурланов Ержан Нурлан улы;ұл;"
                        "2011-02-03\nКим Дана;әйел;2010-03-04\nТолькоОдно;м;2010-03-04\n")
    assert result.totals == {"rows": 4, "new": 3, "update": 0, "unchanged": 0, "error": 1}
    (bad,) = [r for r in result.rows if r.status == "error"]
    assert bad.number == 5 and bad.errors == [("ФИО", "Write the last name and the first name (and the "
                                                             "middle name, if any) in this cell.")]
    petr, ержан, dana = (student(world.school_a.id, n) for n in ("Иванов", "Нурланов", "Ким"))
    assert (petr.first_name, petr.middle_name) == ("Пётр", "Сергеевич")
    assert (ержан.first_name, ержан.middle_name, ержан.gender) == ("Ержан", "Нурлан улы", "male")
    assert (dana.first_name, dana.middle_name, dana.gender) == ("Дана", "", "female")


def test_an_empty_fio_cell_is_the_rows_error(ctx, world):
    result = run(world, "ФИО,Email\n,nobody@example.org\n")
    assert result.totals["error"] == 1


def test_a_file_with_fio_and_separate_names_uses_the_separate_ones(ctx, world):
    result = run(world, "ФИО,Фамилия,Имя,Отчество\nDe la Cruz Ana Maria,De la Cruz,Ana,Maria\n")
    assert result.totals["new"] == 1 and result.unknown_columns == []
    ana = student(world.school_a.id, "De la Cruz")
    assert (ana.first_name, ana.middle_name) == ("Ana", "Maria")
