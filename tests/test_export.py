"""Export of the Students list: the rows of the filters, the visible columns, BOM, inert formulas, audit."""

import csv
import io
from datetime import date

import openpyxl
import pytest
from sqlalchemy import select

from roster.extensions import db
from roster.records import AuditEvent
from tests import factories
from tests.helpers import filter_arg


@pytest.fixture
def roster(app, world):
    with app.app_context():
        make = lambda **kw: factories.student(world.school_a, world.admin_a, **kw).id  # noqa: E731
        return {
            "formula": make(last_name="=HYPERLINK(\"http://evil\")", first_name="Eve", email="eve@example.org",
                            tag_ids=[world.tag_a.id], birth_date=date(2012, 5, 1), is_inclusive=True),
            "plus": make(last_name="Иванов", first_name="+Пётр", personal_file_number="@SUM(A1)",
                         tag_ids=[world.tag_a.id], program_ids=[world.program_a.id]),
            "tab": make(last_name="Smith", first_name="\tTab", phone="-7 701 000 00 00", extra_phone="+7 701 000 00 01",
                        personal_file_number="-12"),
        }


def read_csv(response):
    body = response.body if hasattr(response, "body") else response.data
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_csv_follows_filters_columns_and_sort_with_labels(agent, roster, world):
    admin = agent("admin_a")
    admin.choose_columns(["full_name", "email", "tags", "birth_date", "is_inclusive"])
    tags = filter_arg(admin.get("/admin/students/").text, "Tags")
    response = admin.get(f"/admin/students/export?format=csv&{tags}={world.tag_a.id}")
    assert response.status_int == 200
    assert response.headers["Content-Disposition"].startswith('attachment; filename="alpha-school-students-')
    rows = read_csv(response)
    # Full name brings its three names beside it, so that the file imports back.
    assert rows[0] == ["Full name", "Last name", "First name", "Middle name", "Email", "Tags", "Date of birth",
                       "Is inclusive"]
    assert rows[1:] == [
        ["'=HYPERLINK(\"http://evil\") Eve", "'=HYPERLINK(\"http://evil\")", "Eve", "", "eve@example.org", "Choir",
         "2012-05-01", "Yes"],
        ["Иванов +Пётр", "Иванов", "'+Пётр", "", "", "Choir", "", "No"],
    ]


def test_programs_and_tags_in_name_order_each_in_one_cell(app, agent, world):
    """The database joins each student's programs and tags (in name order, "; " between): none, one, several."""
    from roster.models import Program, Tag

    with app.app_context():
        tags = [factories.named(Tag, world.school_a, name).id for name in ("Zoology", "Art", "Drama")]
        programs = [factories.named(Program, world.school_a, name).id for name in ("Robotics", "Arts track")]
        factories.student(world.school_a, world.admin_a, last_name="Many", first_name="Ann", tag_ids=tags,
                          program_ids=programs + [world.program_a.id])
        factories.student(world.school_a, world.admin_a, last_name="None", first_name="Bob")
    admin = agent("admin_a")
    admin.choose_columns(["full_name", "programs", "tags"])
    rows = {row[0]: row[4:] for row in read_csv(admin.get("/admin/students/export?format=csv"))[1:]}
    assert rows["Many Ann"] == ["; ".join(sorted(["Robotics", "Arts track", world.program_a.name])),
                                "; ".join(sorted(["Zoology", "Art", "Drama"]))]
    assert rows["None Bob"] == ["", ""]


def test_formula_cells_are_inert_in_csv(agent, roster):
    admin = agent("admin_a")
    admin.choose_columns(["full_name", "phone", "personal_file_number"])
    rows = read_csv(admin.get("/admin/students/export?format=csv"))
    cells = [cell for row in rows[1:] for cell in row]
    assert "'@SUM(A1)" in cells and "'-12" in cells
    assert "8 (701) 000 0000" in cells  # a phone as the school's country writes it
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells)


def test_xlsx_has_no_formula_anywhere_and_real_dates(agent, roster):
    admin = agent("admin_a")
    admin.choose_columns(["full_name", "personal_file_number", "birth_date", "tags"])
    response = admin.get("/admin/students/export?format=xlsx")
    assert response.status_int == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.body)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0] == ["Full name", "Last name", "First name", "Middle name", "Personal file number", "Tags",
                         "Date of birth"]  # the screen's order, the names beside Full name
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    assert values[1][0] == '=HYPERLINK("http://evil") Eve'  # kept as text, never run
    assert values[1][6].date() == date(2012, 5, 1)
    assert "@SUM(A1)" in [row[4] for row in values]


def test_selected_rows_only_and_every_export_is_audited(app, agent, roster):
    admin = agent("admin_a")
    response = admin.bulk_action(admin.get("/admin/students/"), "export", [roster["tab"], roster["plus"]])
    rows = read_csv(response)
    assert [r[0] for r in rows[1:]] == ["Smith Tab", "Иванов +Пётр"]  # the list's order
    full_name = filter_arg(admin.get("/admin/students/").text, "Full name")
    admin.get(f"/admin/students/export?format=csv&{full_name}=smith")
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "students exported")
                                    .order_by(AuditEvent.id)).all()
    assert [e.details["rows"] for e in events] == [2, 1]
    assert events[0].details["selected"] == 2
    assert events[1].details["filters"] == [["Full name", "smith"]]
    assert events[1].details["columns"][0] == "full_name"


def test_teachers_and_other_schools_cannot_export(app, as_role, roster, world):
    assert as_role("teacher_a").get("/admin/students/export?format=csv").status_code == 403
    # Forged: teachers have no Export action to choose.
    assert as_role("teacher_a").post("/admin/students/action/",
                                     {"action": "export", "rowid": roster["tab"]}).status_code == 403
    rows = read_csv(as_role("admin_b").get("/admin/students/export?format=csv"))
    assert [r[0] for r in rows[1:]] == ["Beta Boris"]
    with app.app_context():
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "students exported",
                                                          AuditEvent.actor_id == world.teacher_a.id)) is None
