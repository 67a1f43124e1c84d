"""Importing student lists: real files in every accepted form, every kind of bad row, matching, the job flow."""

import io
import os
import re
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select, text

from roster import tasks
from roster.extensions import db
from roster.models import Guardian, Program, School, Section, Student, Tag, User
from roster.records import AuditEvent, ImportJob
from roster.services import importing, listing
from tests.agent import Agent
from tests.helpers import CELERY_BROKER, celery_worker, eventually

DATA = Path(__file__).parent / "data"


def read(name: str):
    return importing.read_file((DATA / name).read_bytes(), name)


def run(world, name, *, dry_run=False, actor="admin_a", data=None):
    dataset = importing.read_file(data, name) if data is not None else read(name)
    return importing.import_students(dataset, world.school_a.id, dry_run=dry_run,
                                     actor=db.session.get(User, world[actor].id), file_name=name)


def by_pfn(school_id, number) -> Student:
    return db.session.scalar(select(Student).where(Student.school_id == school_id,
                                                   Student.personal_file_number == number))


def test_utf8_file_every_column(ctx, world):
    result = run(world, "students_utf8.csv")
    assert result.totals == {"rows": 3, "new": 3, "update": 0, "unchanged": 0, "error": 0}
    assert result.unknown_columns == ["Favourite colour"]
    assert result.new_names == {"programs": ["Music"], "sections": ["2B"], "tags": ["Debate"]}  # STEM, Choir, 1A exist
    petr = by_pfn(world.school_a.id, "PF-001")
    assert (petr.full_name, petr.email, petr.phone, petr.phone_normalized) == (
        "Иванов Пётр Сергеевич", "petr.ivanov@example.org", "+7 701 123-45-67", "+77011234567")
    assert (petr.gender, petr.birth_date.isoformat(), petr.is_inclusive, petr.is_individual) == (
        "male", "2010-05-31", True, False)
    assert [p.name for p in petr.programs] == ["Music", "STEM"] and [t.name for t in petr.tags] == ["Choir"]
    assert petr.source == "import" and petr.account_status == "no_account"
    (mother,) = petr.guardians
    assert (mother.full_name, mother.phone, mother.workplace, mother.position) == (
        "Иванова Мария", "8 701 765 43 21", "Kaspi Bank", "Analyst")
    dana = by_pfn(world.school_a.id, "PF-002")
    assert (dana.gender, dana.birth_date.isoformat(), dana.is_inclusive, dana.is_individual) == (
        "female", "2011-12-31", False, True)
    assert sorted(s.name for s in dana.sections) == ["1A", "2B"]
    sean = by_pfn(world.school_a.id, "PF-003")
    assert (sean.last_name, sean.birth_date.isoformat(), sorted(t.name for t in sean.tags)) == (
        "O'Brien", "2012-02-01", ["Choir", "Debate"])
    assert sean.guardians[0].workplace == "Dublin, Ltd."
    # Name search finds imported students at once (the name-word index is written too).
    assert db.session.scalar(select(func.count()).select_from(Student).where(
        *listing.name_matches("петр иван", world.school_a.id))) == 1
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "students imported"))
    assert event.details == {"file": "students_utf8.csv", "rows": 3, "created": 3, "updated": 0, "unchanged": 0,
                             "errors": 0}


@pytest.mark.parametrize("name, expected", [
    ("students_utf8_bom.csv", {"PF-010": "Смагулов Ерлан", "PF-011": "Ли Анна"}),
    ("students_cp1251_semicolon.csv", {"PF-020": "Жумабаев Нурлан", "PF-021": "Ёлкина Алёна"}),
    ("students_tab.tsv", {None: "Tabby Tom"}),
    ("students_dates.xlsx", {"1001": "Сапарова Айгерим", "1002": "Ким Виктор"}),
])
def test_every_encoding_separator_and_format(ctx, world, name, expected):
    result = run(world, name)
    assert result.count("new") >= 2, result.rows
    for number, full_name in expected.items():
        if number:
            assert by_pfn(world.school_a.id, number).full_name == full_name
        else:
            assert db.session.scalar(select(Student).where(Student.email == "tom@example.org")).full_name == full_name


def test_xlsx_cells_dates_numbers_and_formulas(ctx, world):
    result = run(world, "students_dates.xlsx")
    assert result.unknown_columns == ["Любимый цвет?"]
    aigerim = by_pfn(world.school_a.id, "1001")  # a number cell is the number, not "1001.0"
    assert (aigerim.birth_date.isoformat(), aigerim.is_inclusive, aigerim.phone_normalized) == (
        "2011-03-14", True, "+77011234567")
    assert sorted(p.name for p in aigerim.programs) == ["Music", "STEM"]
    assert by_pfn(world.school_a.id, "1002").birth_date.isoformat() == "2012-11-02"
    # Nothing is run: a formula cell gives the value last computed (none here), a text cell its text.
    assert [(r.number, r.status) for r in result.rows] == [(2, "new"), (3, "new"), (5, "new"), (6, "new")]
    assert by_pfn(world.school_a.id, "A-17").birth_date is None
    assert by_pfn(world.school_a.id, "A-18").last_name == "=1+2"


def test_cp1251_header_and_link_names(ctx, world):
    result = run(world, "students_cp1251_semicolon.csv")
    assert result.unknown_columns == ["Любимый цвет"]
    assert sorted(p.name for p in by_pfn(world.school_a.id, "PF-020").programs) == ["Математика", "Физика"]
    assert db.session.scalar(select(func.count(Program.id)).where(Program.name == "Математика")) == 1


@pytest.mark.parametrize("name, message", [
    ("empty.csv", "The file is empty."),
    ("header_only.csv", "a header row but no students"),
    ("no_known_header.csv", "No column of this file is one we know"),
    ("not_really.csv", "not a CSV text file"),
    ("zip_bomb.xlsx", "unpacks to 400 MB"),
    ("zip_bomb.ods", "This ODS file unpacks to 400 MB"),
])
def test_files_that_cannot_be_imported_say_why(ctx, world, name, message):
    with pytest.raises(importing.FileNotAccepted, match=message):
        importing.check_file((DATA / name).read_bytes(), name)


def test_other_refusals(ctx, world, app):
    with pytest.raises(importing.FileNotAccepted, match="Upload a CSV, XLSX or ODS"):
        importing.check_file(b"%PDF-1.4", "list.pdf")
    with pytest.raises(importing.FileNotAccepted, match="not an XLSX spreadsheet"):
        importing.check_file(b"Last name,First name\nA,B\n", "list.xlsx")
    with pytest.raises(importing.FileNotAccepted, match="not an ODS spreadsheet"):
        importing.check_file(b"Last name,First name\nA,B\n", "list.ods")
    with pytest.raises(importing.FileNotAccepted, match="no First name column"):
        importing.check_file(b"Last name,Email\nA,a@example.org\n", "list.csv")
    with pytest.raises(importing.FileNotAccepted, match="both hold Email"):
        importing.check_file(b"Last name,First name,Email,e-mail\nA,B,a@example.org,b@example.org\n", "x.csv")
    app.config["IMPORT_MAX_BYTES"] = 100
    with pytest.raises(importing.FileNotAccepted, match="files up to 0 MB|MB are taken"):
        importing.check_file(b"Last name,First name\n" + b"A,B\n" * 50, "big.csv")
    app.config["IMPORT_MAX_BYTES"], app.config["IMPORT_MAX_ROWS"] = 10 * 1024 * 1024, 3
    with pytest.raises(importing.FileNotAccepted, match="more than 3 rows"):
        importing.read_file(b"Last name,First name\n" + b"A,B\n" * 4, "many.csv")


def test_every_kind_of_bad_row_is_reported_and_the_good_rows_are_written(ctx, world):
    result = run(world, "errors.csv")
    by_number = {r.number: r for r in result.rows}
    assert by_number[2].status == "new"
    expected = {
        3: ("Last name", "This field is required."),
        4: ("Email", "Enter a valid email address"),
        5: ("Phone", "Enter a phone number as Kazakhstan writes it"),
        6: ("Gender", "is not a gender"),
        7: ("Date of birth", "“31.02.2011” is not a date"),
        8: ("Date of birth", "cannot be in the future"),
        9: ("Is inclusive", "“maybe” is not yes or no"),
    }
    for number, (column, message) in expected.items():
        row = by_number[number]
        assert row.status == "error" and row.errors[0][0] == column and message in row.errors[0][1], row
    assert by_number[10].status == "new"  # a formula-looking name is stored as plain text
    assert by_pfn(world.school_a.id, "E-9").last_name == '=HYPERLINK("http://evil.example")'
    # Each column as the file heads it ("Dropout date", not Roster's "Drop-out date").
    assert {c for c, _ in by_number[11].errors} == {"Email", "Phone", "Gender", "Date of birth", "Is inclusive",
                                                    "Dropout date"}
    assert result.totals == {"rows": 10, "new": 2, "update": 0, "unchanged": 0, "error": 8}
    assert db.session.scalar(select(func.count(Student.id)).where(Student.personal_file_number.like("E-%"))) == 2


def test_two_rows_for_one_student_are_both_errors(ctx, world):
    result = run(world, "duplicates.csv")
    statuses = {r.number: r.status for r in result.rows}
    assert statuses == {2: "error", 3: "error", 4: "error", 5: "error", 6: "new"}
    assert "Rows 2, 3 are the same student" in result.rows[0].errors[0][1]
    assert "Rows 4, 5 are the same student" in result.rows[2].errors[0][1]


@pytest.fixture(params=["by chunks of keys", "reading the whole school"])
def matching_way(request, monkeypatch):
    """Both ways matching reads a school's keys: IN lists of keys, or (where the school has fewer students than
    the file has keys, a new school's first import) the whole school in one query — forced here."""
    if request.param == "reading the whole school":
        from roster.services.importing import matching

        monkeypatch.setattr(matching, "CHUNK", 0)
        monkeypatch.setattr(matching, "_school_size", lambda school_id: 0)
    return request.param


def test_matching_updates_and_a_second_run_changes_nothing(ctx, world, matching_way):
    first = run(world, "students_utf8.csv")
    assert first.count("new") == 3
    again = run(world, "students_utf8.csv")
    assert again.totals == {"rows": 3, "new": 0, "update": 0, "unchanged": 3, "error": 0}
    # Matched by personal file number, else by email; only the changed fields are reported.
    data = ("Last name,First name,Email,Personal file number,Tags\n"
            "Иванов,Пётр,petr.new@example.org,PF-001,Choir\n"
            "Ахметова,Дана,dana@example.org,,Choir\n").encode()
    result = run(world, "changes.csv", data=data)
    assert [(r.status, r.changes) for r in result.rows] == [("update", ["Email"]), ("update", ["Tags"])]
    assert by_pfn(world.school_a.id, "PF-001").email == "petr.new@example.org"
    assert [t.name for t in by_pfn(world.school_a.id, "PF-002").tags] == ["Choir"]
    assert by_pfn(world.school_a.id, "PF-002").personal_file_number == "PF-002"  # a column not given stays


def test_an_update_writes_what_changes_and_only_that(ctx, world):
    run(world, "students_utf8.csv")
    petr, dana = by_pfn(world.school_a.id, "PF-001"), by_pfn(world.school_a.id, "PF-002")
    dana_updated_at, dana_programs = dana.updated_at, sorted(p.name for p in dana.programs)
    data = ("Last name,First name,Personal file number,Phone,Sections,Programs\n"
            "Иванов-Смирнов,Пётр,PF-001,8 (702) 000 11 22,,\n"
            f"Ахметова,Дана,PF-002,,3C,{'; '.join(dana_programs)}\n").encode()
    result = run(world, "renames.csv", data=data)
    assert [(r.status, r.changes) for r in result.rows] == [
        ("update", ["Last name", "Phone"]), ("update", ["Sections"])]
    db.session.expire_all()
    petr, dana = by_pfn(world.school_a.id, "PF-001"), by_pfn(world.school_a.id, "PF-002")
    assert (petr.last_name, petr.phone, petr.phone_normalized) == ("Иванов-Смирнов", "8 (702) 000 11 22",
                                                                   "+77020001122")
    assert petr.search_key == "иванов-смирнов петр сергеевич" and petr.middle_name == "Сергеевич"
    # The name-word index follows the new name: search finds "смирнов" now.
    def named(query):
        return db.session.scalars(select(Student.id).where(*listing.name_matches(query, world.school_a.id))).all()
    assert named("смирнов") == [petr.id] and named("иванов-смирнов петр") == [petr.id]
    # Only sections changed: Dana's own fields are not rewritten, and her programs stay as they were.
    assert [s.name for s in dana.sections] == ["3C"] and sorted(p.name for p in dana.programs) == dana_programs
    assert dana.updated_at == dana_updated_at and petr.updated_at > dana_updated_at


def test_a_program_tag_or_section_name_longer_than_its_column_is_an_error(ctx, world):
    data = ("Last name,First name,Tags\n"
            f"Long,Tag,{'x' * 121}\n"
            f"Fine,Tag,{'y' * 120}\n").encode()
    result = run(world, "long.csv", data=data)
    assert [(r.status, r.errors) for r in result.rows] == [
        ("error", [("Tags", "A name is longer than 120 characters.")]), ("new", ())]


def test_a_row_matching_two_students_is_an_error(ctx, world, matching_way):
    run(world, "students_utf8.csv")
    data = ("Last name,First name,Email,Personal file number\n"
            "Иванов,Пётр,dana@example.org,PF-001\n"
            "Somebody,Else,sean@example.ie,PF-999\n").encode()
    result = run(world, "mixed.csv", data=data)
    assert [r.status for r in result.rows] == ["error", "error"]
    assert "two different students" in result.rows[0].errors[0][1]
    assert "whose personal file number is PF-003" in result.rows[1].errors[0][1]


def test_matching_stays_inside_the_school(ctx, world, matching_way):
    other = db.session.get(Student, world.b_student.id)
    other.personal_file_number, other.email = "PF-001", "petr.ivanov@example.org"
    db.session.commit()
    assert run(world, "students_utf8.csv").count("new") == 3
    assert db.session.get(Student, world.b_student.id).first_name == "Boris"


def test_dry_run_writes_nothing(ctx, world):
    before = db.session.scalar(select(func.count(Student.id)))
    result = run(world, "students_utf8.csv", dry_run=True)
    assert result.count("new") == 3
    assert db.session.scalar(select(func.count(Student.id))) == before
    assert db.session.scalar(select(func.count(Program.id)).where(Program.name == "Music")) == 0
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "students imported")) == 0


def test_guardians_beyond_the_file_stay(ctx, world):
    run(world, "students_utf8.csv")
    petr = by_pfn(world.school_a.id, "PF-001")
    petr.guardians.append(Guardian(full_name="Иванов Сергей", relation="father"))
    petr.guardians.append(Guardian(full_name="Иванова Анна", relation="grandmother"))
    db.session.commit()
    assert run(world, "students_utf8.csv").count("unchanged") == 3
    data = ("Last name,First name,Personal file number,Guardian 1 name,Guardian 2 name\n"
            "Иванов,Пётр,PF-001,Иванова Мария,Иванов С.\n").encode()
    (row,) = run(world, "g.csv", data=data).rows
    assert row.changes == ["Guardians"]
    db.session.expire_all()
    assert [g.full_name for g in by_pfn(world.school_a.id, "PF-001").guardians] == [
        "Иванова Мария", "Иванов С.", "Иванова Анна"]


def test_teachers_cannot_import(ctx, world):
    from roster.errors import Forbidden

    with pytest.raises(Forbidden):
        run(world, "students_utf8.csv", actor="teacher_a")


# The job flow through the admin: upload -> preview -> confirm -> completed, and its pages.

def upload(user, name, data=None):
    """Imports → Add: the file put in the page's File field, Upload and preview."""
    content = data if data is not None else (DATA / name).read_bytes()
    if not isinstance(user, Agent):  # forged: for people the page is not for
        return user.post("/admin/imports/new", {"file": (io.BytesIO(content), name)},
                         content_type="multipart/form-data")
    page = user.get("/admin/imports/new")
    return user.submit(page, id="upload-form", upload=("file", name, content), expect=(200, 302, 403))


def confirm(user, job_url):
    """The job page's Confirm import button."""
    return user.submit(user.get(job_url), action="/confirm", expect=(302,))


def cancel(user, job_url):
    return user.submit(user.get(job_url), action="/cancel", expect=(302,))


def test_upload_preview_confirm_and_error_report(app, world, as_role, agent):
    admin = agent("admin_a")
    response = upload(admin, "errors.csv")
    assert response.status_code == 302
    tasks.wait_for_background_work(app)
    page = admin.get(response.location).text
    assert "Ready to confirm" in page and 'id="total-new">2<' in page and 'id="total-error">8<' in page
    assert "cannot be in the future" in page
    with app.app_context():
        job = db.session.scalar(select(ImportJob))
        assert job.content is not None and job.status == "validated"
        assert db.session.scalar(select(func.count(Student.id)).where(Student.personal_file_number == "E-1")) == 0
    listing = admin.get("/admin/imports/").text  # a preview's counts: what it would do
    assert '<span class="text-muted" title="Preview: not imported yet">2</span>' in listing
    assert confirm(admin, f"/admin/imports/{job.id}").status_code == 302
    tasks.wait_for_background_work(app)
    page = admin.get(f"/admin/imports/{job.id}").text
    assert "Completed with errors" in page
    assert "Preview: not imported yet" not in admin.get("/admin/imports/").text
    with app.app_context():
        job = db.session.get(ImportJob, job.id)
        assert (job.status, job.created_count, job.error_count, job.content) == ("completed with errors", 2, 8, None)
        assert db.session.scalar(select(func.count(Student.id)).where(Student.personal_file_number == "E-1")) == 1
    # A second Confirm (a replay: the page no longer offers it) runs nothing again.
    as_role("admin_a").post(f"/admin/imports/{job.id}/confirm")
    tasks.wait_for_background_work(app)
    with app.app_context():
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "students imported")) == 1
    # The failed rows, as a CSV to fix and upload again: the file's columns and an Error column.
    report = admin.get(f"/admin/imports/{job.id}/failed.csv")
    text = report.body.decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0] == "Last name,First name,Email,Phone,Personal file number,Gender,Date of birth,Is inclusive," \
                       "Dropout date,Error"
    assert len(lines) == 9 and "Row 3: Last name: This field is required." in lines[1]
    fixed = text.replace(",Nameless,", "Fixed,Nameless,")
    response = upload(admin, "errors-fixed.csv", fixed.encode("utf-8-sig"))
    tasks.wait_for_background_work(app)
    assert 'id="total-new">1<' in admin.get(response.location).text
    xlsx = openpyxl.load_workbook(io.BytesIO(admin.get(f"/admin/imports/{job.id}/failed.xlsx").body))
    assert xlsx.active.max_row == 9


def test_a_job_page_shows_the_first_errors_and_the_download_has_them_all(app, world, as_role, agent):
    """The report each view of the page reads stays small; every failed row is in the download."""
    app.config["IMPORT_REPORT_ERRORS"] = 3
    admin = agent("admin_a")
    job_url = upload(admin, "errors.csv").location
    tasks.wait_for_background_work(app)
    confirm(admin, job_url)
    tasks.wait_for_background_work(app)
    page = admin.get(job_url).text
    assert "The first 3 rows with errors are shown; the download has all 8." in page
    table = page.split('id="import-errors"')[1].split("</table>")[0]
    shown = sorted({int(n) for n in re.findall(r'<tr class="import-status-error"><td>(\d+)</td>', table)})
    with app.app_context():
        job = db.session.scalar(select(ImportJob))
        assert [row["number"] for row in job.report["errors"]] == shown and len(shown) == 3
    lines = admin.get(job_url + "/failed.csv").body.decode("utf-8-sig").splitlines()
    assert len(lines) == 9 and all(line.count("Row ") >= 1 for line in lines[1:])


def test_upload_refusals_show_on_the_form(app, world, as_role, agent):
    admin = agent("admin_a")
    page = upload(admin, "not_really.csv").text
    assert "not a CSV text file" in page
    page = admin.submit(admin.get("/admin/imports/new"), id="upload-form").text  # no file chosen
    assert "Choose a CSV, XLSX or ODS file." in page
    response = as_role("admin_a").client.post(  # forged: no CSRF token
        "/admin/imports/new", data={"file": (io.BytesIO(b"Last name,First name\nA,B\n"), "a.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 400  # no CSRF token
    with app.app_context():
        assert db.session.scalar(select(func.count(ImportJob.id))) == 0


def test_cancel_drops_the_job(app, world, as_role, agent):
    admin = agent("admin_a")
    location = upload(admin, "students_utf8.csv").location
    tasks.wait_for_background_work(app)
    job_id = int(location.rsplit("/", 1)[1])
    assert cancel(admin, location).status_code == 302
    with app.app_context():
        assert db.session.get(ImportJob, job_id) is None
        assert db.session.scalar(select(func.count(Student.id))) == 3


def test_imports_are_per_school_and_staff_only(app, world, as_role, agent):
    admin = agent("admin_a")
    location = upload(admin, "students_utf8.csv").location
    tasks.wait_for_background_work(app)
    job_id = int(location.rsplit("/", 1)[1])
    assert "students_utf8.csv" in admin.get("/admin/imports/").text
    other = as_role("admin_b")
    assert "students_utf8.csv" not in other.get("/admin/imports/").text
    for url in (f"/admin/imports/{job_id}", f"/admin/imports/{job_id}/progress", f"/admin/imports/{job_id}/failed.csv"):
        assert other.get(url).status_code == 404
    assert other.post(f"/admin/imports/{job_id}/confirm").status_code == 404
    teacher = as_role("teacher_a")
    assert teacher.get("/admin/imports/").status_code == 403
    assert teacher.post(f"/admin/imports/{job_id}/confirm").status_code == 403
    assert upload(teacher, "students_utf8.csv").status_code == 403
    with app.app_context():
        assert db.session.get(ImportJob, job_id).status == "validated"


def test_templates_download_and_import_as_they_are(app, world, as_role, agent):
    admin = agent("admin_a")
    csv_text = admin.get("/admin/imports/template.csv").body.decode("utf-8-sig")
    headers = csv_text.splitlines()[0].split(",")
    assert headers[:3] == ["Last name", "First name", "Middle name"] and "Guardian 2 position" in headers
    book = openpyxl.load_workbook(io.BytesIO(admin.get("/admin/imports/template.xlsx").body))
    assert [c.value for c in next(book.active.iter_rows(max_row=1))] == headers
    filled = csv_text.rstrip("\r\n") + "\r\n" + ",".join(["Filled", "Template"] + [""] * (len(headers) - 2)) + "\r\n"
    location = upload(admin, "template.csv", filled.encode()).location
    tasks.wait_for_background_work(app)
    assert 'id="total-new">1<' in admin.get(location).text


def test_cli_import(app, world, runner):
    with app.app_context():
        slug = db.session.get(School, world.school_a.id).slug
    dry = runner.invoke(args=["roster", "import", str(DATA / "errors.csv"), "--school", slug, "--dry-run"])
    assert dry.exit_code == 1, dry.output
    assert "10 rows: 2 new, 0 to update, 0 unchanged, 8 with errors" in dry.output
    assert "row 3, Last name: This field is required." in dry.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Student.id)).where(Student.personal_file_number == "E-1")) == 0
    good = runner.invoke(args=["roster", "import", str(DATA / "students_utf8.csv"), "--school", slug])
    assert good.exit_code == 0, good.output
    assert "3 rows: 3 created, 0 updated, 0 unchanged, 0 with errors" in good.output
    with app.app_context():
        job = db.session.scalar(select(ImportJob))
        assert (job.status, job.uploaded_by_id, job.content) == ("completed", None, None)
        assert db.session.scalar(select(func.count(Section.id)).where(Section.name == "2B")) == 1
    missing = runner.invoke(args=["roster", "import", str(DATA / "students_utf8.csv"), "--school", "nope"])
    assert missing.exit_code != 0 and "No school" in missing.output
    bad = runner.invoke(args=["roster", "import", str(DATA / "not_really.csv"), "--school", slug])
    assert bad.exit_code != 0 and "not a CSV text file" in bad.output
    app.config["IMPORT_REPORT_ERRORS"] = 3
    many = runner.invoke(args=["roster", "import", str(DATA / "errors.csv"), "--school", slug])
    assert many.exit_code == 1 and "10 rows: 2 created, 0 updated, 0 unchanged, 8 with errors" in many.output
    assert "the first 3 rows with errors follow; all 8 are on the import's page" in many.output
    assert len({line.split(",")[0] for line in many.output.splitlines() if line.startswith("  row ")}) == 3


def test_links_created_are_the_schools_own(ctx, world):
    run(world, "students_utf8.csv")
    assert db.session.scalar(select(func.count(Tag.id)).where(Tag.name == "Debate",
                                                              Tag.school_id == world.school_b.id)) == 0


@pytest.mark.skipif(os.environ.get("ROSTER_SKIP_REDIS"), reason="no Redis here")
def test_a_job_runs_on_a_real_celery_worker_with_progress_shown(make_app, database_url, world, tmp_path):
    # Under 500 KB: a larger multipart body makes Werkzeug's test client leave a temporary file open.
    rows = "".join(f"S{n},T,C-{n}\n" for n in range(28000))
    data = ("Last name,First name,Personal file number\n" + rows).encode()
    with celery_worker(database_url, tmp_path):
        app = make_app(CELERY_BROKER_URL=CELERY_BROKER)
        admin = Agent(app)
        admin.sign_in("admin@alpha.example")
        job_url = upload(admin, "big.csv", data).location
        seen = watch(admin, job_url + "/progress")
        assert seen[-1]["status"] == "validated"
        assert 'id="total-new">28,000<' in admin.get(job_url).text
        confirm(admin, job_url)
        seen = watch(admin, job_url + "/progress")
        assert seen[-1]["status"] == "completed"
        # Progress showed before the end: rows done of the total, while the job was still running.
        assert any(p["working"] and p["status"] == "running" and 0 < p["done"] < p["total"] == 28000 for p in seen)
        assert app.extensions["roster_futures"] == []  # nothing ran in this process
    with app.app_context():
        assert db.session.scalar(select(func.count(Student.id)).where(
            Student.personal_file_number.like("C-%"))) == 28000


def watch(browser, url, timeout=120):
    """Poll the job's progress until it stops working; every answer seen, in order."""
    seen = []

    def finished() -> bool:
        seen.append(browser.get(url).json)
        return not seen[-1]["working"]

    eventually(finished, timeout=timeout)
    return seen


def test_a_run_that_breaks_fails_with_its_reason_and_writes_nothing(app, world, as_role, agent, monkeypatch):
    admin = agent("admin_a")
    job_url = upload(admin, "students_utf8.csv").location
    tasks.wait_for_background_work(app)

    def broken(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(importing.writing, "_write_links_and_guardians", broken)  # after the students were inserted
    confirm(admin, job_url)
    with pytest.raises(RuntimeError):
        tasks.wait_for_background_work(app)
    page = admin.get(job_url).text
    assert "Failed" in page and "nothing was saved" in page and "disk is full" not in page
    with app.app_context():
        job = db.session.scalar(select(ImportJob))
        assert (job.status, job.content) == ("failed", None)
        assert db.session.scalar(select(func.count(Student.id)).where(Student.source == "import")) == 0
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "students imported")) == 0


def test_a_job_whose_worker_went_away_ends_failed(make_app, world, monkeypatch):
    """A worker killed mid-run commits nothing; once its heartbeat has been missed for IMPORT_STALLED_AFTER (a
    job no worker took: IMPORT_QUEUED_FOR), the housekeeping loop of any Roster process fails the job."""
    app = make_app(HOUSEKEEPING_SECONDS=0.05)
    admin = Agent(app)
    admin.sign_in("admin@alpha.example")
    running_url = upload(admin, "students_utf8.csv").location
    tasks.wait_for_background_work(app)

    def taken_elsewhere(job_id, dry_run):  # a worker on another machine takes the jobs, then dies
        importing.assign(job_id, "worker-7:4242")

    monkeypatch.setattr(tasks, "start_import", taken_elsewhere)
    confirm(admin, running_url)
    monkeypatch.setattr(tasks, "start_import", lambda job_id, dry_run: None)  # waits in the broker
    checking_url = upload(admin, "students_utf8_bom.csv").location
    recent_url = upload(admin, "students_tab.tsv").location
    assert "Running" in admin.get(running_url).text
    with app.app_context():
        for url, missed in ((running_url, app.config["IMPORT_STALLED_AFTER"]),
                            (checking_url, app.config["IMPORT_QUEUED_FOR"])):
            job = db.session.get(ImportJob, int(url.rsplit("/", 1)[1]))
            job.created_at -= timedelta(seconds=missed + 60)
            job.started_at = job.progress_at = job.created_at
        db.session.commit()
    eventually(lambda: "Failed" in admin.get(running_url).text)
    page = admin.get(running_url).text
    assert "its worker went away" in page and "nothing was saved" in page
    listing = eventually(lambda: (text := admin.get("/admin/imports/").text).count(">Failed<") == 2 and text)
    assert listing.count(">Checking<") == 1

    def stored():  # a page reads a silent job as Failed at once; the housekeeping loop writes it a moment later
        with app.app_context():
            jobs = {url: db.session.get(ImportJob, int(url.rsplit("/", 1)[1]))
                    for url in (running_url, checking_url, recent_url)}
            return [(jobs[u].status, jobs[u].content is None) for u in (running_url, checking_url, recent_url)]

    eventually(lambda: stored() == [("failed", True), ("failed", True), ("uploaded", False)])
    with app.app_context():
        assert db.session.scalar(select(func.count(Student.id)).where(Student.source == "import")) == 0
    # A worker that comes back late finds its job ended and does nothing.
    with app.app_context():
        importing.run_job(int(running_url.rsplit("/", 1)[1]), dry_run=False)
        assert db.session.scalar(select(func.count(Student.id)).where(Student.source == "import")) == 0


def test_a_job_ends_completed_in_the_same_commit_as_its_students(app, world, as_role, agent, monkeypatch):
    """A worker stopped right after the commit leaves a job that says Completed, never Running over saved rows."""
    admin = agent("admin_a")
    job_url = upload(admin, "students_utf8.csv").location
    tasks.wait_for_background_work(app)
    monkeypatch.setattr(tasks, "start_import", lambda job_id, dry_run: None)
    confirm(admin, job_url)

    def stopped(written):
        raise KeyboardInterrupt  # the worker is stopped here: after the commit, before anything else

    monkeypatch.setattr(importing.pipeline, "_refresh_statistics", stopped)
    job_id = int(job_url.rsplit("/", 1)[1])
    with app.app_context(), pytest.raises(KeyboardInterrupt):
        importing.run_job(job_id, dry_run=False)
    with app.app_context():
        job = db.session.get(ImportJob, job_id)
        assert (job.status, job.created_count, job.content, job.finished_at is not None) == ("completed", 3, None, True)
        assert db.session.scalar(select(func.count(Student.id)).where(Student.source == "import")) == 3


def test_a_large_import_refreshes_the_planners_statistics(ctx, world, monkeypatch):
    """PostgreSQL only: after a bulk load the tables are analysed at once, not whenever autovacuum comes."""
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite plans without statistics")

    def analysed():
        return db.session.execute(text(
            "SELECT coalesce(max(last_analyze), 'epoch') FROM pg_stat_user_tables WHERE relname = 'student_name_part'"
        )).scalar()

    before = analysed()
    run(world, "students_utf8.csv", dry_run=True)  # a preview writes nothing: nothing to analyse
    assert analysed() == before
    monkeypatch.setattr(importing.pipeline, "ANALYZE_AFTER_ROWS", 3)
    run(world, "students_utf8.csv")
    db.session.commit()
    assert analysed() > before


def test_an_import_stays_completed_when_the_statistics_cannot_be_refreshed(ctx, world, monkeypatch):
    """The students are committed before ANALYZE: its failure is logged, never reported as the import's."""
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite plans without statistics")
    monkeypatch.setattr(importing.pipeline, "ANALYZE_AFTER_ROWS", 3)
    monkeypatch.setattr(importing.pipeline, "ANALYZED_TABLES", ("no_such_table",))
    result = run(world, "students_utf8.csv")
    assert result.count("new") == 3
    assert db.session.scalar(select(func.count(Student.id)).where(Student.source == "import")) == 3


def test_a_libreoffice_calc_file_imports_like_its_csv(app, agent, world):
    """students_libreoffice.ods was written by LibreOffice Calc from students_utf8.csv (dates became date cells,
    0 and 1 numbers, a phone a number): uploaded on Import → Add, it gives the same students."""
    admin = agent("admin_a")
    assert "ODS" in admin.get("/admin/imports/new").text
    job_page = admin.upload_import("students_libreoffice.ods", (DATA / "students_libreoffice.ods").read_bytes())
    assert "Favourite colour" in job_page.text  # the unknown column, named as for any file
    admin.confirm_import(job_page)
    with app.app_context():
        petr, dana, sean = (by_pfn(world.school_a.id, n) for n in ("PF-001", "PF-002", "PF-003"))
        assert (petr.full_name, petr.phone_normalized, petr.birth_date.isoformat(), petr.is_inclusive) == (
            "Иванов Пётр Сергеевич", "+77011234567", "2010-05-31", True)
        assert (dana.phone_normalized, dana.birth_date.isoformat(), dana.is_individual, dana.gender) == (
            "+77019998877", "2011-12-31", True, "female")
        assert (sean.birth_date.isoformat(), sean.is_inclusive, sean.is_individual) == ("2012-02-01", False, True)
        assert sorted(t.name for t in sean.tags) == ["Choir", "Debate"]


def test_an_ods_upload_is_refused_like_an_xlsx_one(agent):
    admin = agent("admin_a")
    page = admin.get("/admin/imports/new")
    refused = admin.submit(page, id="upload-form",
                           upload=("file", "bomb.ods", (DATA / "zip_bomb.ods").read_bytes()))
    assert "This ODS file unpacks to 400 MB" in refused.text


def test_a_silent_jobs_page_says_failed_before_housekeeping_writes_it(make_app, world, monkeypatch):
    """"Stalled" is worked out when a job is read, from its last sign of life against the clock; the page view
    writes nothing, and the housekeeping pass is what ends the job in the database."""
    app = make_app(HOUSEKEEPING_SECONDS=3600)
    admin = Agent(app)
    admin.sign_in("admin@alpha.example")
    monkeypatch.setattr(tasks, "start_import", lambda job_id, dry_run: importing.assign(job_id, "worker-7:4242"))
    job_url = upload(admin, "students_utf8.csv").location
    job_id = int(job_url.rsplit("/", 1)[1])
    assert "Checking" in admin.get(job_url).text
    with app.app_context():
        job = db.session.get(ImportJob, job_id)
        job.created_at -= timedelta(seconds=app.config["IMPORT_STALLED_AFTER"] + 60)
        job.progress_at = job.created_at
        db.session.commit()
    page = admin.get(job_url).text
    assert "Failed" in page and "its worker went away" in page
    assert admin.get(job_url + "/progress").json["status"] == "failed"
    assert ">Failed<" in admin.get("/admin/imports/").text
    with app.app_context():
        assert db.session.get(ImportJob, job_id).status == "uploaded"  # read as failed, not written by a view
        assert importing.fail_stalled_jobs() == 1
        assert db.session.get(ImportJob, job_id).status == "failed"
