"""Add, edit, details and delete of a student through the admin, as a school admin uses them."""

import re

from sqlalchemy import select

from roster.extensions import db
from roster.models import AuditEvent, Guardian, Student


def full_form(**overrides):
    form = {
        "last_name": "Петрова", "first_name": "Алёна", "middle_name": "Игоревна", "phone": "+7 (701) 222-33-44",
        "email": "Alena@Example.org", "personal_file_number": "PF-100", "gender": "female",
        "birth_date": "2013-09-01", "is_inclusive": "y", "address": "Abay st. 1", "extra_phone": "8 702 111 22 33",
        "extra_email": "home@example.org", "dropout_date": "", "dropout_reason": "", "dropout_note": "",
        "guardians-0-full_name": "Петров Игорь", "guardians-0-relation": "father",
        "guardians-0-phone": "87015556677", "guardians-0-email": "igor@example.org",
        "guardians-0-workplace": "KazTransOil", "guardians-0-position": "Engineer",
    }
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


def error_beside(html, field):
    """The messages rendered in the form group of one field."""
    group = re.search(rf'<label for="{field}".*?</div>\s*</div>', html, re.S)
    assert group, f"no field {field}"
    return re.findall(r'class="help-block[^"]*">\s*([^<]+?)\s*<|<li>([^<]+)</li>', group.group(0))


def test_add_form_marks_required_fields_with_a_red_asterisk(as_role, world):
    html = as_role("admin_a").get("/admin/students/new/").get_data(as_text=True)
    for field in ("last_name", "first_name"):
        assert re.search(rf'<label for="{field}"[^>]*>[^<]*<strong class="text-danger">&#42;</strong>', html)
    assert not re.search(r'<label for="middle_name"[^>]*>[^<]*<strong class="text-danger">', html)
    for label in ("Drop-out information", "Parents information", "Contact information", "Personal file number"):
        assert label in html


def test_add_a_student_with_a_guardian(app, as_role, world):
    admin = as_role("admin_a")
    response = admin.post("/admin/students/new/", full_form(tags=str(world.tag_a.id),
                                                            sections=str(world.section_a1.id)))
    assert response.status_code == 302
    listing = admin.get("/admin/students/?flt0_0=алена").get_data(as_text=True)
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


def test_bad_input_shows_a_message_beside_each_field_and_keeps_what_was_typed(app, as_role, world):
    admin = as_role("admin_a")
    response = admin.post("/admin/students/new/", full_form(
        email="not an email", phone="12-34", birth_date="2999-01-01", personal_file_number="",
        **{"guardians-0-phone": "call me"}))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Enter a valid email address" in html
    assert "Enter a phone number as Kazakhstan writes it" in html
    assert "The date cannot be in the future." in html
    assert "Enter a phone number as Kazakhstan writes it" in html  # the guardian's
    assert 'value="Петрова"' in html and 'value="Петров Игорь"' in html
    with app.app_context():
        assert db.session.scalar(select(Student).where(Student.last_name == "Петрова")) is None
        assert db.session.scalars(select(Guardian)).all() == []


def test_missing_names_and_duplicates_are_refused(as_role, world):
    admin = as_role("admin_a")
    html = admin.post("/admin/students/new/", full_form(last_name="", first_name="  ")).get_data(as_text=True)
    assert html.count("This field is required.") == 2
    html = admin.post("/admin/students/new/", full_form(email="INSIDE@alpha.example")).get_data(as_text=True)
    assert "already has this email" in html


def test_edit_changes_fields_and_guardians(app, as_role, world):
    admin = as_role("admin_a")
    admin.post("/admin/students/new/", full_form())
    with app.app_context():
        s = db.session.scalar(select(Student).where(Student.personal_file_number == "PF-100"))
        sid, gid = s.id, s.guardians[0].id
    page = admin.get(f"/admin/students/edit/?id={sid}").get_data(as_text=True)
    assert 'value="KazTransOil"' in page
    response = admin.post(f"/admin/students/edit/?id={sid}", full_form(
        first_name="Алена", dropout_date="2025-06-01", dropout_reason="Moved",
        **{"guardians-0-id": str(gid), "guardians-0-position": "Chief engineer",
           "guardians-1-full_name": "Петрова Ирина", "guardians-1-relation": "mother"}))
    assert response.status_code == 302
    with app.app_context():
        s = db.session.get(Student, sid)
        assert s.first_name == "Алена" and s.dropout_reason == "Moved"
        assert [(g.full_name, g.position) for g in s.guardians] == [
            ("Петров Игорь", "Chief engineer"), ("Петрова Ирина", "")]
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "student updated"))
        assert set(event.details["fields"]) == {"first_name", "dropout_date", "dropout_reason", "guardians"}


def test_teacher_details_hide_parents_jobs_and_dropout(app, as_role, world):
    admin = as_role("admin_a")
    admin.post(f"/admin/students/edit/?id={world.in_section.id}", full_form(
        last_name="Inside", first_name="Ivan", personal_file_number="PF-1", email="inside@alpha.example",
        dropout_reason="Moved away", sections=str(world.section_a1.id)))
    url = f"/admin/students/details/?id={world.in_section.id}"
    admin_view = admin.get(url).get_data(as_text=True)
    assert "KazTransOil" in admin_view and "Moved away" in admin_view
    teacher_view = as_role("teacher_a").get(url).get_data(as_text=True)
    assert "Петров Игорь" in teacher_view
    assert "KazTransOil" not in teacher_view and "Engineer" not in teacher_view
    assert "Moved away" not in teacher_view and "Drop-out" not in teacher_view


def test_delete_asks_first_and_is_audited(app, as_role, world):
    admin = as_role("admin_a")
    listing = admin.get("/admin/students/").get_data(as_text=True)
    assert re.search(r"onclick=\"return faHelpers.safeConfirm\('[^']*delete", listing, re.I)
    assert admin.post("/admin/students/delete/", {"id": world.out_section.id}).status_code == 302
    with app.app_context():
        assert db.session.get(Student, world.out_section.id) is None
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "student deleted"))
        assert (event.target_id, event.actor_id) == (world.out_section.id, world.admin_a.id)


def test_details_show_the_students_history_to_staff_only(app, as_role, world):
    admin = as_role("admin_a")
    admin.post(f"/admin/students/edit/?id={world.in_section.id}", full_form(
        last_name="Inside", first_name="Ivan", personal_file_number="PF-1", email="inside@alpha.example"))
    page = admin.get(f"/admin/students/details/?id={world.in_section.id}").get_data(as_text=True)
    history = page[page.index('id="history"'):]
    assert "student updated" in history and "student created" in history and "admin@alpha.example" in history
    teacher = as_role("teacher_a").get(f"/admin/students/details/?id={world.in_section.id}").get_data(as_text=True)
    assert 'id="history"' not in teacher


def test_audit_log_is_read_only_scoped_and_filterable(app, as_role, world):
    admin_a = as_role("admin_a")
    admin_a.post("/admin/students/delete/", {"id": world.out_section.id})
    page = admin_a.get("/admin/audit_log/").get_data(as_text=True)
    assert "student deleted" in page and "Outside Olga" in page and "Beta Boris" not in page
    filtered = admin_a.get("/admin/audit_log/?flt0_0=student+deleted").get_data(as_text=True)
    assert "student deleted" in filtered and "student created" not in filtered
    assert "Beta Boris" in as_role("platform").get("/admin/audit_log/").get_data(as_text=True)
    assert as_role("teacher_a").get("/admin/audit_log/").status_code == 403
    assert admin_a.get("/admin/audit_log/new/").status_code in (302, 403, 404)
    with app.app_context():
        from roster.models import AuditEvent

        b_event = db.session.scalar(select(AuditEvent.id).where(AuditEvent.school_id == world.school_b.id))
    assert admin_a.get(f"/admin/audit_log/details/?id={b_event}").status_code == 404
