from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from roster.errors import Forbidden, NotFound, ValidationFailed
from roster.extensions import db
from roster.models import Guardian, Student
from roster.records import AuditEvent
from roster.services import erasure, students

pytestmark = pytest.mark.usefixtures("ctx")


def events(action):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_create_stores_normalised_values_and_one_audit_event(world):
    sid = students.create(world.school_a.id, {
        "last_name": " ИВАНОВ ", "first_name": "Пётр", "phone": "8 701 123 45 67", "email": "Petr@Example.org",
        "tag_ids": [world.tag_a.id], "birth_date": date(2012, 5, 1),
        "guardians": [{"full_name": "Иванова Анна", "relation": "mother", "workplace": "Clinic", "position": "Nurse"}],
    }, actor=world.admin_a)
    s = db.session.get(Student, sid)
    assert (s.last_name, s.search_key) == ("ИВАНОВ", "иванов петр")
    assert (s.phone, s.phone_normalized, s.email) == ("8 701 123 45 67", "+77011234567", "petr@example.org")
    assert [t.name for t in s.tags] == ["Choir"]
    assert s.guardians[0].workplace == "Clinic"
    assert s.account_status == "no_account" and s.source == "manual"
    [event] = [e for e in events("student created") if e.target_id == sid]
    assert (event.actor_id, event.school_id, event.target_id) == (world.admin_a.id, world.school_a.id, sid)


def test_bad_fields_are_all_reported_and_nothing_is_written(world):
    before = db.session.scalar(select(func.count(Student.id)))
    with pytest.raises(ValidationFailed) as caught:
        students.create(world.school_a.id, {
            "last_name": "", "first_name": "A", "email": "nope", "phone": "12",
            "birth_date": date.today() + timedelta(days=1),
            "tag_ids": [world.tag_b.id],  # another school's tag
            "guardians": [{"full_name": "", "phone": "x"}],
        }, actor=world.admin_a)
    errors = caught.value.field_errors
    assert set(errors) >= {"last_name", "email", "phone", "birth_date", "tag_ids", "guardians-0-full_name",
                           "guardians-0-phone"}
    db.session.rollback()
    assert db.session.scalar(select(func.count(Student.id))) == before
    assert len(events("student created")) == 3  # only the world's three


def test_email_and_file_number_are_unique_within_the_school_only(world):
    students.create(world.school_a.id, {"last_name": "A", "first_name": "B", "email": "x@example.org",
                                        "personal_file_number": "F-1"}, actor=world.admin_a)
    with pytest.raises(ValidationFailed) as caught:
        students.create(world.school_a.id, {"last_name": "C", "first_name": "D", "email": "X@example.org",
                                            "personal_file_number": "F-1"}, actor=world.admin_a)
    assert set(caught.value.field_errors) == {"email", "personal_file_number"}
    db.session.rollback()
    # The same values are fine in another school.
    students.create(world.school_b.id, {"last_name": "C", "first_name": "D", "email": "x@example.org",
                                        "personal_file_number": "F-1"}, actor=world.admin_b)


def test_update_reports_changed_fields_and_replaces_guardians(world):
    sid = world.in_section.id
    students.update(sid, world.school_a.id, {"guardians": [{"full_name": "Dad", "relation": "father"}]},
                    actor=world.admin_a)
    changed = students.update(sid, world.school_a.id, {"first_name": "Ivan", "middle_name": "Petrovich",
                                                       "guardians": [{"full_name": "Mum"}]}, actor=world.admin_a)
    assert changed == ["middle_name", "guardians"]
    assert [g.full_name for g in db.session.scalars(select(Guardian).where(Guardian.student_id == sid))] == ["Mum"]
    assert db.session.get(Student, sid).search_key == "inside ivan petrovich"
    assert len(events("student updated")) == 2


def test_update_with_own_email_is_not_a_duplicate(world):
    changed = students.update(world.in_section.id, world.school_a.id, {"email": "INSIDE@alpha.example"},
                              actor=world.admin_a)
    assert changed == []  # the same address, written another way: nothing changed, no error
    assert db.session.get(Student, world.in_section.id).email == "inside@alpha.example"


def test_teachers_and_other_schools_cannot_change_students(world):
    with pytest.raises(Forbidden):
        students.create(world.school_a.id, {"last_name": "A", "first_name": "B"}, actor=world.teacher_a)
    with pytest.raises(Forbidden):
        students.update(world.in_section.id, world.school_a.id, {"first_name": "X"}, actor=world.admin_b)
    with pytest.raises(NotFound):
        students.update(world.b_student.id, world.school_a.id, {"first_name": "X"}, actor=world.admin_a)
    with pytest.raises(Forbidden):
        erasure.erase([world.in_section.id], world.school_a.id, actor=world.teacher_a)


def test_erase_removes_only_the_schools_students_and_audits_each_without_their_name(world):
    count = erasure.erase([world.in_section.id, world.b_student.id], world.school_a.id, actor=world.admin_a)
    assert count == 1
    assert db.session.get(Student, world.b_student.id) is not None
    [event] = events("student erased")
    assert event.target_id == world.in_section.id and "Inside" not in str(event.details)


def test_teacher_sees_only_students_of_their_sections(world):
    assert students.get(world.in_section.id, world.school_a.id, actor=world.teacher_a).id == world.in_section.id
    with pytest.raises(NotFound):
        students.get(world.out_section.id, world.school_a.id, actor=world.teacher_a)
