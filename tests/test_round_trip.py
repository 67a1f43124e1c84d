"""Export → Import is a round trip: what the Students list exports, the import reads back unchanged.

Driven as a school admin does it: Columns (every one ticked), Export CSV/XLSX from the list's link, then Import →
Add → the file as it was downloaded → preview → Confirm.
"""

import csv
import io

import openpyxl
import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from roster import tasks
from roster.extensions import db
from roster.models import School, Student
from roster.records import ImportJob
from roster.services import demo
from tests.agent import Agent, find_form

ADMIN = "admin@gv.roster.example"


@pytest.fixture
def demo_school(app):
    with app.app_context():
        demo.load(students_per_school=120)
        school = db.session.scalar(select(School).order_by(School.id))
        return school.id, school.slug


def signed_in(app, login):
    user = Agent(app)
    user.sign_in(login, demo.DEMO_PASSWORD)
    return user


def every_column(user):
    page = user.get("/admin/students/")
    form = find_form(page, id="columns-form")
    for checkbox in form.fields["column"]:
        checkbox.checked = True
    assert form.submit().status_int == 302


def export(user, fmt="csv") -> bytes:
    page = user.get("/admin/students/")
    link = page.html.find("a", id=f"export-{fmt}")["href"]
    response = user.get(link)
    assert response.status_int == 200
    return response.body


def import_file(app, user, name: str, data: bytes) -> ImportJob:
    """Upload on Import → Add, wait for the preview, Confirm it; return the job as it ended."""
    job_page = user.upload_import(name, data)
    preview = job(app, job_page.request.path)
    assert preview.error_count == 0, job_page.text
    user.confirm_import(job_page)
    return job(app, job_page.request.path), preview


def job(app, location) -> ImportJob:
    with app.app_context():
        return db.session.get(ImportJob, int(location.rstrip("/").rsplit("/", 1)[1]))


def students_of(app, school_id) -> dict:
    """Every student of the school by personal file number: what the export carries, as stored."""
    with app.app_context():
        rows = db.session.scalars(select(Student).where(Student.school_id == school_id).options(
            selectinload(Student.programs), selectinload(Student.tags), selectinload(Student.sections)))
        return {s.personal_file_number: (
            s.last_name, s.first_name, s.middle_name, s.email, s.phone_normalized, s.gender, s.birth_date,
            s.is_inclusive, s.is_individual, sorted(p.name for p in s.programs), sorted(t.name for t in s.tags),
            sorted(x.name for x in s.sections), s.updated_at) for s in rows}


def without_times(snapshot):
    return {k: v[:-1] for k, v in snapshot.items()}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_every_column_exported_imports_back_into_the_same_school_unchanged(app, demo_school, fmt):
    school_id, _ = demo_school
    admin = signed_in(app, ADMIN)
    every_column(admin)
    before = students_of(app, school_id)
    ended, preview = import_file(app, admin, f"export.{fmt}", export(admin, fmt))
    assert (preview.total_rows, preview.unchanged_count, preview.created_count, preview.updated_count) == (
        120, 120, 0, 0)
    assert ended.status == "completed"
    assert students_of(app, school_id) == before  # updated_at included: nothing was rewritten


def test_an_export_imported_into_an_empty_school_gives_the_same_students(app, demo_school):
    school_id, _ = demo_school
    admin = signed_in(app, ADMIN)
    every_column(admin)
    data = export(admin)

    platform = signed_in(app, demo.PLATFORM_ADMIN)
    platform.submit(platform.get("/admin/schools/new/"), field="name", name="Empty School", expect=(302,))
    with app.app_context():
        empty_id = db.session.scalar(select(School.id).where(School.name == "Empty School"))
    platform.submit(platform.get("/admin/students/"), id="school-switcher", school_id=str(empty_id))
    ended, preview = import_file(app, platform, "from-another-school.csv", data)
    assert (preview.created_count, ended.created_count, ended.status) == (120, 120, "completed")
    assert without_times(students_of(app, empty_id)) == without_times(students_of(app, school_id))


def test_three_cells_edited_in_the_export_are_exactly_three_changes(app, demo_school):
    school_id, _ = demo_school
    admin = signed_in(app, ADMIN)
    every_column(admin)
    rows = list(csv.reader(io.StringIO(export(admin).decode("utf-8-sig"))))
    header = rows[0]
    column = {label: header.index(label) for label in ("First name", "Phone", "Sections", "Personal file number")}
    first, second, third = rows[1], rows[2], rows[3]
    first[column["First name"]] = "Изменённое"
    second[column["Phone"]] = "+7 777 000 11 22"
    third[column["Sections"]] = "3B"
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    before = students_of(app, school_id)

    ended, preview = import_file(app, admin, "edited.csv", ("\ufeff" + text.getvalue()).encode())
    assert (preview.updated_count, preview.unchanged_count, preview.created_count) == (3, 117, 0)
    after = students_of(app, school_id)
    changed = {k for k in before if without_times({k: before[k]}) != without_times({k: after[k]})}
    numbers = [r[column["Personal file number"]] for r in (first, second, third)]
    assert changed == set(numbers)
    assert after[numbers[0]][1] == "Изменённое"
    assert after[numbers[1]][4] == "+77770001122"
    assert after[numbers[2]][11] == ["3B"]
    for number in numbers:  # only the cell that changed
        diffs = [i for i, (a, b) in enumerate(zip(before[number][:-1], after[number][:-1], strict=True)) if a != b]
        assert len(diffs) == 1, (number, before[number], after[number])


def test_a_full_name_column_alone_is_split_into_the_names(app, demo_school):
    """Issue 16: a single Full name (ФИО) column, very common in office lists, is read as last, first and middle
    name (it was refused before)."""
    admin = signed_in(app, ADMIN)
    page = admin.get("/admin/imports/new")
    accepted = admin.submit(page, id="upload-form",
                            upload=("file", "names.csv", b"Full name,Email\nIvanov Ivan,i@example.org\n"))
    assert accepted.status_code == 302
    tasks.wait_for_background_work(app)
    preview = admin.get(accepted.location).text
    assert "Ready to confirm" in preview and "Ivanov Ivan" in preview


def test_the_columns_chooser_offers_each_name(app, demo_school):
    admin = signed_in(app, ADMIN)
    form = find_form(admin.get("/admin/students/"), id="columns-form")
    offered = [checkbox._value for checkbox in form.fields["column"]]
    assert offered[:4] == ["full_name", "last_name", "first_name", "middle_name"]
    workbook = openpyxl.load_workbook(io.BytesIO(export(admin, "xlsx")), read_only=True)
    assert next(workbook.active.iter_rows(values_only=True))[:4] == (
        "Full name", "Last name", "First name", "Middle name")
