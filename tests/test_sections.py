"""Sections (school admins): create, rename, delete, assign teachers; a teacher's list follows at once."""

import re

from sqlalchemy import select

from roster.extensions import db
from roster.models import Section, Student, User
from roster.records import AuditEvent
from roster.services import students
from tests.agent import row_form


def listing_ids(client):
    html = client.get("/admin/students/").get_data(as_text=True)
    return [int(i) for i in re.findall(r'data-student-id="(\d+)"', html)]


def save(user, url, **fields):
    return user.submit(user.get(url), field="name", **fields)


def delete_from_list(user, section_id):
    return row_form(user.get("/admin/sections/"), "/delete/", section_id).submit()


def test_admin_manages_sections_and_the_teachers_list_follows(app, as_role, agent, world):
    admin, teacher = agent("admin_a"), as_role("teacher_a")
    assert set(listing_ids(teacher)) == {world.in_section.id}
    page = admin.get("/admin/sections/new/").text
    assert f'<option value="{world.teacher_a.id}">' in page  # the school's teacher is offered
    assert f'<option value="{world.admin_b.id}">' not in page
    response = save(admin, "/admin/sections/new/", name=" 3B ", teachers=[str(world.teacher_a.id)])
    assert response.status_int == 302
    with app.app_context():
        section = db.session.scalar(select(Section).where(Section.name == "3B"))
        students.update(world.out_section.id, world.school_a.id, {"section_ids": [section.id]},
                        actor=db.session.get(User, world.platform.id))
        section_id = section.id
    assert set(listing_ids(teacher)) == {world.in_section.id, world.out_section.id}

    assert save(admin, f"/admin/sections/edit/?id={section_id}", name="3C", teachers=[]).status_int == 302
    assert set(listing_ids(teacher)) == {world.in_section.id}  # no teachers any more
    assert "already has a section" in save(admin, f"/admin/sections/edit/?id={section_id}", name="1A").text

    assert delete_from_list(admin, section_id).status_int == 302
    with app.app_context():
        assert db.session.get(Section, section_id) is None
        assert db.session.get(Student, world.out_section.id) is not None
        actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.target_type == "section")).all()
        assert actions == ["section created", "section changed", "section deleted"]


def test_sections_are_for_school_admins_of_that_school(app, as_role, world):
    assert as_role("teacher_a").get("/admin/sections/").status_code == 403
    assert as_role("teacher_a").post("/admin/sections/new/", {"name": "X"}).status_code == 403  # forged
    admin_b = as_role("admin_b")
    # A list cell, not the bare text: "1A" also turns up by chance inside random CSRF tokens.
    page = admin_b.get("/admin/sections/").get_data(as_text=True)
    assert re.search(r">\s*1A\s*<", page) is None
    assert re.search(r">\s*1A\s*<", as_role("admin_a").get("/admin/sections/").get_data(as_text=True))
    assert admin_b.get(f"/admin/sections/edit/?id={world.section_a1.id}").status_code == 404
    assert admin_b.post("/admin/sections/delete/", {"id": world.section_a1.id}).status_code == 404  # forged
    # A teacher of another school cannot be assigned (forged: the page does not offer them).
    page = admin_b.post("/admin/sections/new/", {"name": "B1", "teachers": [world.teacher_a.id]}).get_data(
        as_text=True)
    assert "Choose among this school" in page
    with app.app_context():
        assert db.session.get(Section, world.section_a1.id) is not None
        assert db.session.scalar(select(Section).where(Section.name == "B1")) is None
