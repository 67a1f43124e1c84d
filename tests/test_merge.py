"""The Duplicates page, dismissing a pair, merging two records side by side and undoing it, driven through the
pages' own forms; and every bad input of a merge refused with a message, nothing changed."""

from datetime import date

import pytest
from sqlalchemy import func, select

from roster.extensions import db
from roster.models import Guardian, Movement, Status, Student, User, student_tag
from roster.records import AuditEvent, StudentMerge
from roster.services import students
from tests.agent import follow


@pytest.fixture
def pair(app, world):
    """Two records of one child: typed in Cyrillic by hand, then in Latin letters with more on it."""
    with app.app_context():
        first = students.create(world.school_a.id, {
            "last_name": "Ахметов", "first_name": "Ерлан", "birth_date": date(2014, 3, 2), "phone": "+7 701 123 45 67",
            "guardians": [{"full_name": "Ахметова Гульнара", "phone": "+7 701 765 43 21"}]}, actor=world.platform)
        second = students.create(world.school_a.id, {
            "last_name": "Akhmetov", "first_name": "Yerlan", "birth_date": date(2014, 3, 2),
            "personal_file_number": "F-7", "email": "yerlan@alpha.example", "tag_ids": [world.tag_a.id],
            "guardians": [{"full_name": "Ахметова Гульнара", "phone": "87017654321"},
                          {"full_name": "Ахметов Бекзат", "phone": "87015550000"}]}, actor=world.platform)
        return first, second


def stored(app, student_id):
    with app.app_context():
        student = db.session.get(Student, student_id)
        return {"status": student.status, "file": student.personal_file_number, "email": student.email,
                "guardians": sorted(g.full_name for g in student.guardians),
                "tags": db.session.scalar(select(func.count()).select_from(student_tag)
                                          .where(student_tag.c.student_id == student_id)),
                "movements": db.session.scalar(select(func.count()).select_from(Movement)
                                               .where(Movement.student_id == student_id))}


def test_a_pair_is_merged_side_by_side_and_the_merge_undone(app, agent, world, pair):
    first, second = pair
    admin = agent("admin_a")
    page = admin.get("/admin/duplicates/")
    row = page.html.select_one("#duplicates-table tbody tr").get_text(" ", strip=True)
    assert "Ахметов Ерлан" in row and "Akhmetov Yerlan" in row and "same name and date of birth" in row
    compare = admin.get(page.html.select_one("#duplicates-table a.btn")["href"])
    assert "F-7" in compare.html.select_one("#merge-table").text
    merged_page = follow(admin.submit(compare, id="merge-form", keep=str(first), expect=(302,)))
    assert "is now part of" in merged_page.text and "Undo the merge" in merged_page.text
    survivor, other = stored(app, first), stored(app, second)
    assert survivor == {"status": "studying", "file": "F-7", "email": "yerlan@alpha.example",
                        "guardians": ["Ахметов Бекзат", "Ахметова Гульнара"], "tags": 1, "movements": 2}
    assert other == {"status": "merged", "file": None, "email": None, "guardians": ["Ахметов Бекзат",
                     "Ахметова Гульнара"], "tags": 0, "movements": 0}
    assert admin.get(f"/admin/students/details/?id={second}", expect_errors=True).status_int == 404
    assert "Akhmetov" not in admin.get("/admin/students/?flt0_status=all").text
    assert admin.get("/admin/duplicates/").html.select_one("#no-duplicates")
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "students merged"))
        assert event.details["survivor"] == first and event.details["merged"] == second
        assert set(event.details["fields"]) == {"personal_file_number", "email"}
        db.session.get(Student, first).personal_file_number = "F-8"  # changed after the merge: it stays
        db.session.commit()

    details = admin.get(f"/admin/students/details/?id={first}")
    undone = follow(admin.submit(details, action="/admin/duplicates/undo", expect=(302,)))
    assert "both records are back" in undone.text and "Personal file number" in undone.text
    assert stored(app, first) == {"status": "studying", "file": "F-8", "email": None,
                                  "guardians": ["Ахметова Гульнара"], "tags": 0, "movements": 1}
    assert stored(app, second) == {"status": "studying", "file": "F-7", "email": "yerlan@alpha.example",
                                   "guardians": ["Ахметов Бекзат", "Ахметова Гульнара"], "tags": 1, "movements": 1}
    again = follow(admin.submit(details, action="/admin/duplicates/undo", expect=(302,)))
    assert "already undone" in again.text


def test_a_pair_dismissed_is_not_offered_again(app, agent, world, pair):
    admin = agent("admin_a")
    page = admin.get("/admin/duplicates/")
    done = follow(admin.submit(page, action="/admin/duplicates/dismiss", expect=(302,)))
    assert "Marked as two children" in done.text and done.html.select_one("#no-duplicates")
    assert "already marked" in follow(admin.submit(page, action="/admin/duplicates/dismiss", expect=(302,))).text


def test_bad_merges_say_why_and_change_nothing(app, agent, as_role, world, pair):
    first, second = pair
    admin = agent("admin_a")
    page = admin.get(f"/admin/duplicates/merge?first={first}&second={first}")
    assert "cannot be merged with itself" in follow(page).text
    assert admin.get(f"/admin/duplicates/merge?first={first}&second={world.b_student.id}",
                     expect_errors=True).status_int == 404
    assert admin.get("/admin/duplicates/merge?first=x&second=1", expect_errors=True).status_int == 404
    compare = admin.get(f"/admin/duplicates/merge?first={first}&second={second}")
    admin.submit(compare, id="merge-form", expect=(302,))
    twice = follow(admin.submit(compare, id="merge-form", expect=(302,)))  # a double submit
    assert "was already merged" in twice.text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(StudentMerge)) == 1
    # Two accounts: refused
    with app.app_context():
        third = students.create(world.school_a.id, {"last_name": "Inside", "first_name": "Ivan"}, actor=world.platform)
        db.session.get(Student, third).user_id = world.admin_a.id
        db.session.commit()
    compare = admin.get(f"/admin/duplicates/merge?first={world.in_section.id}&second={third}")
    refused = follow(admin.submit(compare, id="merge-form", expect=(302,)))
    assert "Both records have an account" in refused.text
    with app.app_context():
        assert db.session.get(Student, third).status == Status.STUDYING.value
    teacher = as_role("teacher_a")
    assert teacher.get("/admin/duplicates/").status_code == 403
    assert teacher.get(f"/admin/duplicates/merge?first={first}&second={second}").status_code == 403


def test_guardians_the_same_person_twice_become_one(app, world, pair):
    from roster.services import merging

    first, second = pair
    with app.app_context():
        names = db.session.scalars(select(Guardian.full_name).where(Guardian.student_id == first)).all()
        assert names == ["Ахметова Гульнара"]
        merging.merge(world.school_a.id, first, second, [], actor=db.session.get(User, world.admin_a.id))
        names = db.session.scalars(select(Guardian.full_name).where(Guardian.student_id == first)).all()
        assert sorted(names) == ["Ахметов Бекзат", "Ахметова Гульнара"]  # the mother, typed twice, once


def test_the_import_report_names_the_survivor_after_a_merge_and_the_other_again_after_undo(app, agent, world):
    from roster.records import ImportJob
    from roster.services import merging

    admin = agent("admin_a")
    done = admin.confirm_import(admin.upload_import(
        "list.csv", "Last name,First name,Date of birth\nКим,Ли,2014-03-02\nKim,Li,2014-03-02\n".encode()))
    assert done.html.select_one("#job-status").text.strip() == "Completed"
    with app.app_context():
        first, second = db.session.scalars(select(Student.id).where(Student.school_id == world.school_a.id,
                                                                    Student.first_name.in_(("Ли", "Li")))
                                           .order_by(Student.id)).all()
        admin_user = db.session.get(User, world.admin_a.id)
        merge_id = merging.merge(world.school_a.id, first, second, [], actor=admin_user)
        rows = db.session.scalar(select(ImportJob)).report["first_rows"]
        assert [r["student_id"] for r in rows] == [first, first]
        merging.undo(world.school_a.id, merge_id, actor=admin_user)
        rows = db.session.scalar(select(ImportJob)).report["first_rows"]
        assert [r["student_id"] for r in rows] == [first, second]


def test_erasing_the_survivor_erases_the_record_merged_into_it(app, world, pair):
    from roster.services import erasure, merging

    first, second = pair
    with app.app_context():
        admin_user = db.session.get(User, world.admin_a.id)
        merging.merge(world.school_a.id, first, second, [], actor=admin_user)
        assert erasure.erase([first], world.school_a.id, actor=admin_user) == 2
        assert db.session.get(Student, second) is None
        assert db.session.scalar(select(func.count()).select_from(StudentMerge)) == 0
        from roster.records import duplicate_key

        assert db.session.scalar(select(func.count()).select_from(duplicate_key)
                                 .where(duplicate_key.c.student_id.in_((first, second)))) == 0
