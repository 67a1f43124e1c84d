"""Citizenship, added by the recipe of docs/architecture.md (a column, a catalog entry, a migration, its words):
it is in Add/Edit, the list (hidden until chosen), its filter and sort, the details page, the import template,
an import's headers and preview, the export, the round trip and the student's data on request."""

import csv
import io
import json

from sqlalchemy import select

from roster.extensions import db
from roster.models import Student
from tests.agent import find_form
from tests.helpers import filter_arg


def stored(app, last_name):
    with app.app_context():
        return db.session.scalar(select(Student.citizenship).where(Student.last_name == last_name))


def listed_names(page) -> list[str]:
    return [a.get_text() for a in page.html.select("td.col-full_name .row-name a")]


def test_add_and_edit_carry_it_in_the_student_group(app, agent, world):
    admin = agent("admin_a")
    page = admin.get("/admin/students/new/")
    legend = page.html.find("input", id="citizenship").find_parent("fieldset").legend.get_text(strip=True)
    assert legend == "Student" and page.html.find("label", attrs={"for": "citizenship"}).get_text(strip=True) == \
        "Citizenship"
    admin.submit(page, field="last_name", last_name="Абаев", first_name="Нурлан", citizenship="  Казахстан ",
                 expect=(302,))
    assert stored(app, "Абаев") == "Казахстан"
    with app.app_context():
        student_id = db.session.scalar(select(Student.id).where(Student.last_name == "Абаев"))
    edit = admin.get(f"/admin/students/edit/?id={student_id}")
    assert find_form(edit, field="citizenship")["citizenship"].value == "Казахстан"
    admin.submit(edit, field="citizenship", citizenship="Кыргызстан", expect=(302,))
    assert stored(app, "Абаев") == "Кыргызстан"
    refused = admin.submit(admin.get(f"/admin/students/edit/?id={student_id}"), field="citizenship",
                           citizenship="x" * 101)
    assert "Field cannot be longer than 100 characters." in refused.text
    assert stored(app, "Абаев") == "Кыргызстан"
    details = admin.get(f"/admin/students/details/?id={student_id}")
    row = details.html.find(string="Citizenship").find_parent("tr")
    assert "Кыргызстан" in row.get_text()


def _with_citizenship(app, world):
    with app.app_context():
        for student_id, value in ((world.in_section.id, "Казахстан"), (world.out_section.id, "Россия")):
            db.session.get(Student, student_id).citizenship = value
        db.session.commit()


def test_the_list_hides_it_until_chosen_then_shows_filters_and_sorts_it(app, agent, world):
    _with_citizenship(app, world)
    admin = agent("admin_a")
    page = admin.get("/admin/students/")
    assert page.html.select("td.col-citizenship") == []  # a column hidden by default
    admin.choose_columns(["full_name", "citizenship"])
    page = admin.get("/admin/students/")
    assert [td.get_text(strip=True) for td in page.html.select("td.col-citizenship")] == ["Казахстан", "Россия"]
    # The filter, by its name, ignoring case: "казах" finds "Казахстан".
    found = admin.get(f"/admin/students/?{filter_arg(page.text, 'Citizenship')}=казах")
    assert listed_names(found) == ["Inside Ivan"]
    # Sorting: the column's header link, then again for the other way.
    header = page.html.select_one("th.column-header.col-citizenship a")
    ascending = admin.get(header["href"])
    assert [td.get_text(strip=True) for td in ascending.html.select("td.col-citizenship")] == ["Казахстан", "Россия"]
    descending = admin.get(ascending.html.select_one("th.col-citizenship a")["href"])
    assert [td.get_text(strip=True) for td in descending.html.select("td.col-citizenship")] == ["Россия", "Казахстан"]


def test_import_reads_it_from_russian_and_kazakh_headers_and_the_template_carries_it(app, agent, world):
    admin = agent("admin_a")
    template = admin.get("/admin/imports/template.csv").body.decode("utf-8-sig")
    assert "Citizenship" in template.splitlines()[0].split(",")
    job = admin.upload_import("ru.csv", "Фамилия,Имя,Номер личного дела,Гражданство,Любимый цвет\n"
                              "Серов,Олег,S-1,Россия,синий\n".encode())
    unknown = job.html.select_one("#unknown-columns").get_text()
    assert "Любимый цвет" in unknown and "Гражданство" not in unknown
    admin.confirm_import(job)
    assert stored(app, "Серов") == "Россия"
    # The same student again, headed in Kazakh: the preview names the change, Confirm writes it.
    job = admin.upload_import("kk.csv", "Тегі,Аты,Жеке іс нөмірі,Азаматтығы\nСеров,Олег,S-1,Қазақстан\n".encode())
    row = job.html.find("td", string="Серов Олег").find_parent("tr").get_text(" ", strip=True)
    assert "update" in row and "Citizenship" in row
    assert stored(app, "Серов") == "Россия"  # a preview changes nothing
    admin.confirm_import(job)
    assert stored(app, "Серов") == "Қазақстан"


def test_export_carries_it_and_imports_back_unchanged(app, agent, world):
    _with_citizenship(app, world)
    admin = agent("admin_a")
    admin.choose_columns(["full_name", "email", "citizenship"])
    page = admin.get("/admin/students/")
    body = admin.get(page.html.find("a", id="export-csv")["href"]).body.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == ["Full name", "Last name", "First name", "Middle name", "Email", "Citizenship"]
    assert ["Inside", "Ivan", "", "inside@alpha.example", "Казахстан"] == rows[1][1:]
    job = admin.upload_import("export.csv", body.encode("utf-8"))
    assert 'id="total-unchanged">1<' in job.text  # Inside Ivan, matched by email: nothing to change
    data = json.loads(admin.get(f"/admin/students/data?id={world.in_section.id}&format=json").body)
    assert data["student"]["citizenship"] == "Казахстан"
