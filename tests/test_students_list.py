"""The Students list through HTTP: filters on tricky input, counts, columns, pending rows."""

import re
from urllib.parse import urlencode

import pytest

from roster.extensions import db
from roster.models import AccountStatus, Student
from roster.services import students
from tests import factories
from tests.helpers import filter_arg

# The filters by the names the page's filter form gives them.
FILTERS = {"full_name": "Full name", "phone": "Phone", "email": "Email", "file_number": "Personal file number",
           "programs": "Programs", "tags": "Tags", "sections": "Sections", "is_inclusive": "Is inclusive",
           "is_individual": "Is individual", "account_status": "Account status", "source": "Source"}


def listing(client, **filters):
    """GET the list with the filters applied as the filter bar sends them; return (count, ids, html)."""
    page = client.get("/admin/students/").text
    params = {filter_arg(page, FILTERS[name], n): value for n, (name, value) in enumerate(filters.items())}
    response = client.get("/admin/students/?" + urlencode(params))
    assert response.status_code == 200
    html = response.text
    count = re.search(r"id=\"student-count\">\((\d+)\)", html)
    ids = [int(i) for i in re.findall(r'data-student-id="(\d+)"', html)]
    return (int(count.group(1)) if count else 0), ids, html


@pytest.fixture
def roster(app, world):
    """School A's students with names in two alphabets, phones written every way, links to tags."""
    with app.app_context():
        make = lambda **kw: factories.student(world.school_a, world.admin_a, **kw).id  # noqa: E731
        ids = {
            "petr": make(last_name="ИВАНОВ", first_name="Пётр", middle_name="Сергеевич",
                         phone="+7 701 123-45-67", email="Petr.Ivanov@Example.org", personal_file_number="PF-7",
                         tag_ids=[world.tag_a.id], program_ids=[world.program_a.id], is_inclusive=True),
            "anna": make(last_name="Иванова", first_name="Анна", phone="87017654321",
                         tag_ids=[world.tag_a.id], section_ids=[world.section_a1.id]),
            "john": make(last_name="Smith", first_name="John", phone="701 555 00 11", is_individual=True),
            "alla": make(last_name="Иванова-Петрова", first_name="Алла"),
        }
        factories.set_status(db.session.get(Student, ids["anna"]), AccountStatus.PENDING)
    return ids


@pytest.fixture
def admin(as_role):
    return as_role("admin_a")


@pytest.mark.parametrize("query,expected", [
    ("иванов", {"petr", "anna", "alla"}),
    ("ИВАНОВА", {"anna", "alla"}),
    ("петр", {"petr", "alla"}),
    ("пётр", {"petr", "alla"}),
    ("Пётр иванов", {"petr", "alla"}),
    ("Пётр ИВАНОВ серг", {"petr"}),
    ("серг ив", {"petr"}),
    ("smith JOHN", {"john"}),
    ("ванов", set()),  # words match from their beginning
    ("петрова", {"alla"}),
    ("иванова-петрова", {"alla"}),
    ("%", set()),
    ("nobody", set()),
])
def test_full_name_finds_any_part_in_any_order_and_case(admin, roster, query, expected):
    count, ids, _ = listing(admin, full_name=query)
    assert set(ids) == {roster[k] for k in expected} and count == len(expected)


@pytest.mark.parametrize("query", ["+7 701 123-45-67", "87011234567", "701 123 45 67", "7011234567", "123-45-67"])
def test_phone_finds_the_student_however_either_side_is_written(admin, roster, query):
    assert listing(admin, phone=query)[1] == [roster["petr"]]


def test_phone_written_differently_on_the_student_is_found(admin, roster):
    assert listing(admin, phone="+7 (701) 765-43-21")[1] == [roster["anna"]]
    assert listing(admin, phone="8 701 555 0011")[1] == [roster["john"]]


def test_email_is_case_insensitive_and_file_number_exact(admin, roster):
    assert listing(admin, email="PETR.IVANOV@example.ORG")[1] == [roster["petr"]]
    assert listing(admin, email="example.org")[1] == [roster["petr"]]
    assert listing(admin, file_number="pf-7")[1] == [roster["petr"]]
    assert listing(admin, file_number="PF")[1] == []


def test_many_to_many_filters_count_each_student_once(admin, roster, world):
    count, ids, _ = listing(admin, tags=f"{world.tag_a.id}")
    assert sorted(ids) == sorted([roster["petr"], roster["anna"]]) and count == 2
    # Two tags chosen, a student holding both still shows once.
    with admin.app.app_context():
        from roster.models import Tag
        other = factories.named(Tag, db.session.get(Student, roster["petr"]).school, "Olympiad")
        students.update(roster["petr"], world.school_a.id, {"tag_ids": [world.tag_a.id, other.id]},
                        actor=world.admin_a)
        other_id = other.id
    count, ids, _ = listing(admin, tags=f"{world.tag_a.id},{other_id}")
    assert count == 2 and len(ids) == 2
    assert listing(admin, programs=str(world.program_a.id))[1] == [roster["petr"]]
    assert listing(admin, sections=str(world.section_a1.id))[0] == 2  # Anna and the world's Inside Ivan


def test_another_schools_tag_filters_nothing_in(admin, roster, world):
    assert listing(admin, tags=str(world.tag_b.id))[0] == 0


def test_boolean_and_status_filters(admin, roster):
    assert listing(admin, is_inclusive="1")[1] == [roster["petr"]]
    assert listing(admin, is_individual="1")[1] == [roster["john"]]
    assert listing(admin, account_status="pending")[1] == [roster["anna"]]


def test_list_is_the_selected_schools_sorted_by_name_with_pending_rows_yellow(admin, roster, world):
    count, ids, html = listing(admin)
    assert count == 6  # four here and the world's two in school A; never school B's
    assert world.b_student.id not in ids
    with admin.app.app_context():
        names = [db.session.get(Student, i).search_key for i in ids]
    assert names == sorted(names)
    ids_desc = listing_sorted(admin, "?sort=0&desc=1")
    assert ids_desc == list(reversed(ids))
    assert re.search(rf'<tr class="row-pending" data-student-id="{roster["anna"]}"', html)
    assert f'<tr class="" data-student-id="{roster["petr"]}"' in html
    assert "Yellow rows are pending accounts" in html


def test_page_size_is_selectable_and_pages_never_repeat_a_student(app, admin, roster, world):
    with app.app_context():
        for _ in range(20):
            factories.student(world.school_a, world.admin_a, last_name="Same", first_name="Name")
    first = listing_sorted(admin, "?page_size=20")
    second = listing_sorted(admin, "?page_size=20&page=1")
    assert len(first) == 20 and len(second) == 6 and not set(first) & set(second)
    assert len(listing_sorted(admin, "?page_size=50")) == 26
    assert 'id="student-count">(26)' in admin.get("/admin/students/?page=1").get_data(as_text=True)


def listing_sorted(client, query):
    html = client.get("/admin/students/" + query).get_data(as_text=True)
    return [int(i) for i in re.findall(r'data-student-id="(\d+)"', html)]


def visible_headers(html):
    return re.findall(r'<th class="column-header col-([a-z_]+)"', html)


def test_columns_default_then_the_choice_is_kept_per_user_and_school(app, as_role, agent, roster, world):
    admin = agent("admin_a")
    assert visible_headers(listing(admin)[2]) == [
        "full_name", "email", "phone", "personal_file_number", "programs", "tags", "account_status"]
    admin.choose_columns(["full_name", "sections", "birth_date"])
    assert visible_headers(listing(admin)[2]) == ["full_name", "sections", "birth_date"]
    # Forged: a column the chooser does not offer is ignored.
    response = as_role("admin_a").post("/admin/students/columns", {"column": ["full_name", "sections",
                                                                              "birth_date", "bogus"]})
    assert response.status_code == 302
    # A later visit (a new sign-in) keeps it; another user of the school still has the default.
    again = as_role("admin_a")
    assert visible_headers(listing(again)[2]) == ["full_name", "sections", "birth_date"]
    assert "col-email" in listing(as_role("platform"))[2]


def test_sorting_by_a_visible_column_after_hiding_others(agent, roster):
    admin = agent("admin_a")
    admin.choose_columns(["full_name", "email"])
    html = listing(admin)[2]
    # Email is column 4 of all columns (after the three names): its sort link says so though others are hidden.
    assert 'href="/admin/students/?sort=4&amp;' in html
    assert 'href="/admin/students/?sort=0&amp;' in html  # full name sorts too


def test_filter_options_are_the_selected_schools(admin, roster, world):
    html = listing(admin)[2]
    data = re.search(r'<div id="filter-groups-data" class="d-none">(.*?)</div>', html).group(1)
    assert f'["{world.tag_a.id}", "Choir"]' in data.replace("&#34;", '"')
    assert f'"{world.tag_b.id}", "Choir"' not in data.replace("&#34;", '"')


def test_teacher_sees_only_their_sections_students(as_role, roster, world):
    count, ids, _ = listing(as_role("teacher_a"))
    assert count == 2 and set(ids) == {roster["anna"], world.in_section.id}


@pytest.mark.parametrize("name,value", [("tags", "abc"), ("tags", ""), ("is_inclusive", "maybe"),
                                        ("phone", "no digits"), ("full_name", "   ")])
def test_nonsense_filter_values_never_break_the_page(admin, roster, name, value):
    count, ids, html = listing(admin, **{name: value})
    assert "Traceback" not in html
