"""Where things are, as the user guide names them: the left menu, the Students page's buttons, a row's menu, the
Add form's groups, a student's page. What a role is offered follows the permission table (and the server
refuses the rest whatever the page shows: test_permissions)."""

import re

import pytest

from roster import permissions
from roster.extensions import db
from roster.models import Student

pytestmark = pytest.mark.markup

MENU = ["Students", "Invitations", "Imports", "Movement book", "Orders", "Transfers", "Duplicates", "Integrations",
        "Sections",
        "School years",
        "Close the year", "Staff", "Mail log", "Audit log"]
ROLES = {"admin_a": permissions.ADMIN, "teacher_a": permissions.TEACHER, "platform": permissions.PLATFORM}


def menu_of(html: str) -> list[str]:
    panel = html.split('id="roster-menu"', 1)[1].split("</nav>", 1)[0]
    return re.findall(r'<li><a href="[^"]+" id="menu-[^"]+"\s+class="[^"]*"[^>]*>([^<]+)</a></li>', panel)


def test_the_left_menu_names_the_guides_pages_each_role_may_open(as_role):
    admin = as_role("admin_a").get("/admin/students/").get_data(as_text=True)
    assert menu_of(admin) == MENU
    assert 'aria-current="page">Students<' in admin
    assert '<html lang="en">' in admin and 'aria-controls="roster-menu"' in admin  # the phone's Menu button
    assert menu_of(as_role("platform").get("/admin/students/").get_data(as_text=True)) == MENU[:-2] + [
        "Schools", "Mail log", "Audit log"]
    assert menu_of(as_role("teacher_a").get("/admin/students/").get_data(as_text=True)) == [
        "Students", "Movement book", "School years"]


@pytest.mark.parametrize("name", ROLES)
def test_the_students_page_offers_the_guides_buttons_and_row_menu_by_role(app, as_role, world, name):
    with app.app_context():
        db.session.get(Student, world.in_section.id).account_status = "pending"
        db.session.commit()
    html = as_role(name).get("/admin/students/").get_data(as_text=True)
    role = ROLES[name]
    toolbar = html.split('class="roster-toolbar"', 1)[1].split("</form>\n        </div>\n      </div>", 1)[0]
    buttons = re.findall(r'id="(add|invite|import|export|columns)-button"', toolbar)
    expected = [b for b, permission in (("add", "students.edit"), ("invite", "students.invite"),
                                        ("import", "students.import"), ("export", "students.export"),
                                        ("columns", "students.view")) if permissions.allows(role, permission)]
    assert buttons == expected
    row = html.split(f'data-student-id="{world.in_section.id}"', 1)[1].split("</tr>", 1)[0]
    assert 'aria-label="Actions for Inside Ivan"' in row and "btn-primary" in row
    items = re.findall(r'class="dropdown-item (activate-button|credentials|change-email|edit|delete)"', row)
    expected = [i for i, permission in (("activate-button", "students.activate"),
                                        ("credentials", "students.credentials"),
                                        ("change-email", "students.change_email"), ("edit", "students.edit"),
                                        ("delete", "students.edit")) if permissions.allows(role, permission)]
    assert items == expected
    assert "list-buttons-column" not in html  # the row icons on the left are gone


def test_the_add_form_reads_in_the_guides_groups_with_a_legend_for_the_asterisk(as_role):
    html = as_role("admin_a").get("/admin/students/new/").get_data(as_text=True)
    assert re.findall(r"<legend>([^<]+)</legend>", html) == [
        "Student", "Contact information", "Parents information", "Education", "Programs, tags and sections",
        "Order of arrival"]
    assert 'id="required-legend"><strong class="text-danger">*</strong> required' in html
    assert 'class="roster-form"' in html
    assert re.search(r'<input[^>]*id="last_name"[^>]*required', html)


def test_a_students_page_says_yes_no_dates_as_the_school_writes_them_and_has_the_rows_actions(app, as_role,
                                                                                                world):
    from datetime import date

    with app.app_context():
        student = db.session.get(Student, world.in_section.id)
        student.birth_date, student.is_inclusive = date(2012, 3, 5), True
        db.session.commit()
    html = as_role("admin_a").get(f"/admin/students/details/?id={world.in_section.id}").get_data(as_text=True)
    assert "05.03.2012" in html and "2012-03-05" not in html  # a school in Kazakhstan
    cells = dict(re.findall(r"<b>(Is inclusive|Is individual)</b>\s*</td>\s*<td>\s*(\w+)", html))
    assert cells == {"Is inclusive": "Yes", "Is individual": "No"}
    assert "True" not in html.split('id="student-actions"', 1)[1]
    actions = html.split('id="student-actions"', 1)[1].split("</div>", 1)[0]
    assert re.findall(r'id="(credentials-link|change-email-link|edit-link|delete-button)"', actions) == [
        "credentials-link", "change-email-link", "edit-link", "delete-button"]


def test_a_pending_row_says_pending_in_words_when_the_status_column_is_hidden(app, agent, world):
    with app.app_context():
        db.session.get(Student, world.out_section.id).account_status = "pending"
        db.session.commit()
    admin = agent("admin_a")
    page = admin.get("/admin/students/")
    form = page.forms["columns-form"]
    for box in form.fields["column"]:
        if box._value == "account_status":
            box.checked = False
    listing = form.submit().follow().text
    assert 'class="col-account_status"' not in listing
    row = listing.split(f'data-student-id="{world.out_section.id}"', 1)[1].split("</tr>", 1)[0]
    assert "row-pending" in listing and ">pending</span>" in row


def test_public_pages_say_their_language(web, world):
    for url in ("/login", "/forgot-password", f"/join/{world.school_a.signup_token}"):
        assert '<html lang="en">' in web.get(url, follow_redirects=True).get_data(as_text=True), url
