"""The permission table of design.md, for every role against every Students endpoint, with two schools."""

import json

import pytest
from sqlalchemy import func, select

from roster.extensions import db
from roster.models import Student

ROLES = ["anonymous", "student_user", "teacher_a", "admin_a", "admin_b", "platform"]
OK, FOUND, DENIED, MISSING, SIGN_IN = 200, 302, 403, 404, "sign-in"


def student_form(first_name="Changed"):
    return {"last_name": "Inside", "first_name": first_name, "gender": ""}


# name: (method, url, form data, expected per role in ROLES order)
CASES = {
    "list": ("GET", "/admin/students/", None, [SIGN_IN, DENIED, OK, OK, OK, OK]),
    "details, teacher's student": ("GET", "/admin/students/details/?id={in_section}", None,
                                   [SIGN_IN, DENIED, OK, OK, MISSING, OK]),
    "details, other section": ("GET", "/admin/students/details/?id={out_section}", None,
                               [SIGN_IN, DENIED, MISSING, OK, MISSING, OK]),
    "details, other school": ("GET", "/admin/students/details/?id={b_student}", None,
                              [SIGN_IN, DENIED, MISSING, MISSING, OK, MISSING]),
    "create form": ("GET", "/admin/students/new/", None, [SIGN_IN, DENIED, DENIED, OK, OK, OK]),
    "create": ("POST", "/admin/students/new/", {"last_name": "New", "first_name": "One"},
               [SIGN_IN, DENIED, DENIED, FOUND, FOUND, FOUND]),
    "edit form": ("GET", "/admin/students/edit/?id={in_section}", None,
                  [SIGN_IN, DENIED, DENIED, OK, MISSING, OK]),
    "edit": ("POST", "/admin/students/edit/?id={in_section}", student_form(),
             [SIGN_IN, DENIED, DENIED, FOUND, MISSING, FOUND]),
    "delete": ("POST", "/admin/students/delete/", {"id": "{in_section}"},
               [SIGN_IN, DENIED, DENIED, FOUND, MISSING, FOUND]),
    "bulk delete": ("POST", "/admin/students/action/", {"action": "delete", "rowid": "{in_section}"},
                    [SIGN_IN, DENIED, DENIED, FOUND, MISSING, FOUND]),
    "tag lookup": ("GET", "/admin/students/ajax/lookup/?name=tags&query=", None,
                   [SIGN_IN, DENIED, DENIED, OK, OK, OK]),
    "columns": ("POST", "/admin/students/columns", {"column": "email"}, [SIGN_IN, DENIED, FOUND, FOUND, FOUND, FOUND]),
    "switch to school B": ("POST", "/admin/school", {"school_id": "{school_b}"},
                           [SIGN_IN, DENIED, MISSING, MISSING, FOUND, FOUND]),
}
CHANGES = {"create", "edit", "delete", "bulk delete"}


def state(app, world):
    with app.app_context():
        inside = db.session.get(Student, world.in_section.id)
        return (db.session.scalar(select(func.count(Student.id))), inside.first_name if inside else None)


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("role", ROLES)
def test_permission_table(app, world, as_role, role, case):
    method, url, data, expected = CASES[case]
    ids = {"in_section": world.in_section.id, "out_section": world.out_section.id,
           "b_student": world.b_student.id, "school_b": world.school_b.id}
    url = url.format(**ids)
    data = {k: v.format(**ids) for k, v in (data or {}).items()}
    client = as_role(role)
    before = state(app, world)
    response = client.post(url, data) if method == "POST" else client.get(url)
    want = expected[ROLES.index(role)]
    if want == SIGN_IN:
        assert response.status_code == 302 and response.location.startswith("/login"), response.location
    else:
        assert response.status_code == want, response.get_data(as_text=True)[:500]
    if case in CHANGES and want != FOUND:
        assert state(app, world) == before, "a refused request changed data"
    if case in CHANGES and want == FOUND:
        assert state(app, world) != before


def test_tag_lookup_offers_only_the_selected_schools_tags(as_role, world):
    rows = json.loads(as_role("admin_b").get("/admin/students/ajax/lookup/?name=tags&query=").data)
    assert rows == [[world.tag_b.id, "Choir"]]


def test_foreign_tag_id_in_a_form_is_not_linked(app, as_role, world):
    admin = as_role("admin_a")
    response = admin.post(f"/admin/students/edit/?id={world.in_section.id}",
                          {**student_form("Ivan"), "tags": str(world.tag_b.id)})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Student, world.in_section.id).tags == []


def test_school_id_is_never_taken_from_a_form(app, as_role, world):
    admin = as_role("admin_a")
    admin.post("/admin/students/new/", {"last_name": "Sneaky", "first_name": "S", "school_id": world.school_b.id})
    with app.app_context():
        sneaky = db.session.scalar(select(Student).where(Student.last_name == "Sneaky"))
        assert sneaky.school_id == world.school_a.id


def test_switcher_lists_the_schools_the_user_may_act_in(as_role, world):
    page = as_role("platform").get("/admin/students/").get_data(as_text=True)
    assert "Alpha School</option>" in page and "Beta School</option>" in page
    page = as_role("admin_a").get("/admin/students/").get_data(as_text=True)
    assert "Alpha School</option>" in page and "Beta School</option>" not in page


def test_platform_admin_switches_school_and_every_page_follows(as_role, world):
    platform = as_role("platform")
    assert "Inside Ivan" in platform.get("/admin/students/").get_data(as_text=True)
    platform.post("/admin/school", {"school_id": world.school_b.id})
    page = platform.get("/admin/students/").get_data(as_text=True)
    assert "Beta Boris" in page and "Inside Ivan" not in page
    assert platform.get(f"/admin/students/details/?id={world.in_section.id}").status_code == 404
