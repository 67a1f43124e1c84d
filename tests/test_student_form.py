"""Add, edit, details and delete of a student through the admin, as a school admin uses them."""

import re

from sqlalchemy import select

from roster.extensions import db
from roster.models import Guardian, Student
from roster.records import AuditEvent
from tests.agent import row_form
from tests.helpers import filter_arg


def full_form(**overrides):
    """What a school admin types on the Add form, every field filled; one guardian added with Add Guardian."""
    form = {
        "last_name": "Петрова", "first_name": "Алёна", "middle_name": "Игоревна", "phone": "+7 (701) 222-33-44",
        "email": "Alena@Example.org", "personal_file_number": "PF-100", "gender": "female",
        "birth_date": "2013-09-01", "is_inclusive": True, "address": "Abay st. 1", "extra_phone": "8 702 111 22 33",
        "extra_email": "home@example.org",
        "new_guardians": [{"full_name": "Петров Игорь", "relation": "father", "phone": "87015556677",
                           "email": "igor@example.org", "workplace": "KazTransOil", "position": "Engineer"}],
    }
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


def save(user, url, fields, expect=(200, 302)):
    """Open the Add or Edit page, fill its form as a person would, and Save."""
    fields = dict(fields)
    guardians = fields.pop("new_guardians", [])
    return user.submit(user.get(url), field="last_name", inline={"guardians": guardians} if guardians else None,
                       expect=expect, **fields)


def error_beside(html, field):
    """The messages rendered in the form group of one field."""
    group = re.search(rf'<label for="{field}".*?</div>\s*</div>', html, re.S)
    assert group, f"no field {field}"
    return re.findall(r'class="help-block[^"]*">\s*([^<]+?)\s*<|<li>([^<]+)</li>', group.group(0))


def test_add_form_marks_required_fields_with_a_red_asterisk(agent, world):
    html = agent("admin_a").get("/admin/students/new/").text
    for field in ("last_name", "first_name"):
        assert re.search(rf'<label for="{field}"[^>]*>[^<]*<strong class="text-danger">&#42;</strong>', html)
    assert not re.search(r'<label for="middle_name"[^>]*>[^<]*<strong class="text-danger">', html)
    for label in ("Parents information", "Contact information", "Personal file number"):
        assert label in html
    assert "Drop-out information" not in html  # a leaving is Leave's record now, not typed on the form


def test_add_a_student_with_a_guardian(app, agent, world):
    admin = agent("admin_a")
    response = save(admin, "/admin/students/new/", full_form(tags=str(world.tag_a.id),
                                                             sections=str(world.section_a1.id)))
    assert response.status_int == 302
    full_name = filter_arg(admin.get("/admin/students/").text, "Full name")
    listing = admin.get(f"/admin/students/?{full_name}=алена").text
    assert "Петрова Алёна Игоревна" in listing
    with app.app_context():
        s = db.session.scalar(select(Student).where(Student.personal_file_number == "PF-100"))
        assert (s.school_id, s.email, s.phone_normalized, s.is_inclusive) == (
            world.school_a.id, "alena@example.org", "+77012223344", True)
        assert [t.name for t in s.tags] == ["Choir"] and [x.name for x in s.sections] == ["1A"]
        [g] = s.guardians
        assert (g.full_name, g.workplace, g.position) == ("Петров Игорь", "KazTransOil", "Engineer")
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "student created",
                                                          AuditEvent.target_id == s.id)).actor_id == world.admin_a.id


def test_bad_input_shows_a_message_beside_each_field_and_keeps_what_was_typed(app, agent, world):
    admin = agent("admin_a")
    guardian = full_form()["new_guardians"][0] | {"phone": "call me"}
    response = save(admin, "/admin/students/new/", full_form(
        email="not an email", phone="12-34", birth_date="2999-01-01", personal_file_number="",
        new_guardians=[guardian]))
    assert response.status_int == 200
    html = response.text
    assert "Enter a valid email address" in html
    assert "Enter a phone number as Kazakhstan writes it" in html
    assert "The date cannot be in the future." in html
    assert "Enter a phone number as Kazakhstan writes it" in html  # the guardian's
    assert 'value="Петрова"' in html and 'value="Петров Игорь"' in html
    with app.app_context():
        assert db.session.scalar(select(Student).where(Student.last_name == "Петрова")) is None
        assert db.session.scalars(select(Guardian)).all() == []


def test_missing_names_and_duplicates_are_refused(agent, world):
    admin = agent("admin_a")
    html = save(admin, "/admin/students/new/", full_form(last_name="", first_name="  ")).text
    assert html.count("This field is required.") == 2
    html = save(admin, "/admin/students/new/", full_form(email="INSIDE@alpha.example")).text
    assert "already has this email" in html


def test_edit_changes_fields_and_guardians(app, agent, world):
    admin = agent("admin_a")
    save(admin, "/admin/students/new/", full_form(), expect=(302,))
    with app.app_context():
        s = db.session.scalar(select(Student).where(Student.personal_file_number == "PF-100"))
        sid = s.id
    page = admin.get(f"/admin/students/edit/?id={sid}").text
    assert 'value="KazTransOil"' in page
    response = save(admin, f"/admin/students/edit/?id={sid}", {
        "first_name": "Алена",
        "guardians-0-position": "Chief engineer",
        "new_guardians": [{"full_name": "Петрова Ирина", "relation": "mother"}]})
    assert response.status_int == 302
    with app.app_context():
        s = db.session.get(Student, sid)
        assert s.first_name == "Алена"
        assert [(g.full_name, g.position) for g in s.guardians] == [
            ("Петров Игорь", "Chief engineer"), ("Петрова Ирина", "")]
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "student updated"))
        assert set(event.details["fields"]) == {"first_name", "guardians"}


def test_teacher_details_hide_parents_jobs_and_dropout(app, agent, world):
    admin = agent("admin_a")
    save(admin, f"/admin/students/edit/?id={world.in_section.id}", full_form(
        last_name="Inside", first_name="Ivan", personal_file_number="PF-1", email="inside@alpha.example"),
        expect=(302,))
    admin.submit(admin.get(f"/admin/students/leave?id={world.in_section.id}"), id="leave-form",
                 reason="moved abroad", note="Moved away", expect=(302,))
    url = f"/admin/students/details/?id={world.in_section.id}"
    admin_view = admin.get(url).text
    assert "KazTransOil" in admin_view and "Moved away" in admin_view
    teacher_view = agent("teacher_a").get(url).text
    assert "Петров Игорь" in teacher_view
    assert "KazTransOil" not in teacher_view and "Engineer" not in teacher_view
    assert "Moved away" not in teacher_view and "Drop-out" not in teacher_view


def delete_from_row(user, student_id):
    return row_form(user.get("/admin/students/"), "/delete/", student_id).submit()


def test_delete_asks_first_and_is_audited(app, agent, world):
    admin = agent("admin_a")
    listing = admin.get("/admin/students/").text
    assert re.search(r'data-confirm="Erase this student[^"]*removed for good', listing)
    assert delete_from_row(admin, world.out_section.id).status_int == 302
    with app.app_context():
        assert db.session.get(Student, world.out_section.id) is None
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "student erased"))
        assert (event.target_id, event.actor_id) == (world.out_section.id, world.admin_a.id)


def test_details_show_the_students_history_to_staff_only(app, agent, world):
    admin = agent("admin_a")
    save(admin, f"/admin/students/edit/?id={world.in_section.id}", {"personal_file_number": "PF-1"},
         expect=(302,))
    page = admin.get(f"/admin/students/details/?id={world.in_section.id}").text
    history = page[page.index('id="history"'):]
    assert "student updated" in history and "student created" in history and "admin@alpha.example" in history
    teacher = agent("teacher_a").get(f"/admin/students/details/?id={world.in_section.id}").text
    assert 'id="history"' not in teacher


def test_audit_log_is_read_only_scoped_and_filterable(app, as_role, agent, world):
    admin_a = as_role("admin_a")
    delete_from_row(agent("admin_a"), world.out_section.id)
    page = admin_a.get("/admin/audit_log/").get_data(as_text=True)
    assert "student erased" in page and "Beta Boris" not in page
    assert "Outside Olga" not in page  # erased: the log keeps the event, never the child's name
    filtered = admin_a.get("/admin/audit_log/?flt0_0=student+erased").get_data(as_text=True)
    assert "student erased" in filtered and "student created" not in filtered
    assert "Beta Boris" in as_role("platform").get("/admin/audit_log/").get_data(as_text=True)
    assert as_role("teacher_a").get("/admin/audit_log/").status_code == 403
    assert admin_a.get("/admin/audit_log/new/").status_code in (302, 403, 404)
    with app.app_context():
        from roster.records import AuditEvent

        b_event = db.session.scalar(select(AuditEvent.id).where(AuditEvent.school_id == world.school_b.id))
    assert admin_a.get(f"/admin/audit_log/details/?id={b_event}").status_code == 404
