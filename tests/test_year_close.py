"""Close the school year over HTTP, as a school admin does it: Map (suggested from the grades), Exceptions (a
repeat, a leaver), Preview (counts and warnings, nothing changed), Apply with one order in the background, the
archive and the new year; undo of one child and of the whole close, blocked by a later change; a second Apply
refused; teachers' views before and after."""

from datetime import date

import pytest
from sqlalchemy import func, select

from roster import tasks
from roster.extensions import db
from roster.models import (
    Movement,
    School,
    SchoolYear,
    Section,
    Student,
    User,
    past_section_member,
    student_section,
)
from roster.services import schools, years
from roster.services import students as student_service
from roster.services.year_close import suggest
from tests.agent import find_form, set_field


@pytest.mark.parametrize("name, expected", [
    ("5А", ("promote", "6А")), ("10 Б", ("promote", "11 Б")), ("5 А", ("promote", "6 А")), ("5A", ("promote", "6A")),
    ("5 Ә", ("promote", "6 Ә")), ("7-В", ("promote", "8-В")), ("9А", ("graduate", "")), ("11 Б", ("graduate", "")),
    ("Кружок", ("", "")), ("", ("", "")),
])
def test_next_years_section_is_suggested_from_the_grade_in_the_name(name, expected):
    assert tuple(suggest(name, {9, 11}).values()) == expected


def setup_school(app, world):
    """Alpha: 1A (Inside Ivan, Rep Eat; teacher_a), 2A (Outside Olga, Leav Er), 11Б (Grad One, Grad Two)."""
    with app.app_context():
        admin = db.session.get(User, world.admin_a.id)
        eleven = schools.save_section(world.school_a.id, None, "11Б", [], actor=admin)
        made = {}
        for last, section in (("Rep", world.section_a1.id), ("Leav", world.section_a2.id), ("Grad", eleven.id),
                              ("Gradtwo", eleven.id)):
            made[last] = student_service.create(world.school_a.id, {"last_name": last, "first_name": "X",
                                                                    "section_ids": [section]}, actor=admin)
        db.session.commit()
        return made


def sections_of(app, student_id) -> list[tuple[str, str]]:
    with app.app_context():
        return sorted((s.name, s.year.title) for s in db.session.get(Student, student_id).sections)


def test_close_the_year_map_exceptions_preview_apply_archive_and_undo(app, agent, as_role, world):
    made = setup_school(app, world)
    admin = agent("admin_a")
    before = years.span_of(date.today())[0]
    # Map: the suggestions are on the page; 2A goes to "3Б" instead of 3A.
    map_page = admin.get("/admin/year-close/").click(href="/admin/year-close/map")
    with app.app_context():
        ids = {s.name: s.id for s in db.session.scalars(select(Section).where(Section.school_id == world.school_a.id))}
    assert map_page.html.select_one(f"#to-{ids['1A']}")["value"] == "2A"
    assert map_page.html.select_one(f"#action-{ids['11Б']} option[selected]")["value"] == "graduate"
    admin.submit(map_page, id="map-form", expect=(302,), **{f"to-{ids['2A']}": "3Б"})
    # Exceptions: Rep repeats the grade, Leav leaves (moved abroad).
    for query, values in (("Rep", {"action": "repeat"}), ("Leav", {"action": "leave", "reason": "moved abroad"})):
        found = admin.get(f"/admin/year-close/exceptions?q={query}")
        form = find_form(found, id=found.html.select_one("form.exception-form")["id"])
        for name, value in values.items():  # "action" is the form's field here, not the form's address
            set_field(form, name, value)
        assert form.submit().status_int == 302
    # Preview: the counts, and nothing changed yet.
    preview = admin.get("/admin/year-close/preview")
    totals = {tr.th.get_text(): tr.td.get_text() for tr in preview.html.select("#preview-totals tr")}
    assert totals == {"moves up": "2", "repeats the grade": "1", "graduates": "2", "leaves": "1",
                      "not studying: archive only": "0"}
    assert {tr.th.get_text(): tr.td.get_text() for tr in preview.html.select("#preview-sections tbody tr")} == {
        "1A": "1", "2A": "1", "3Б": "1"}
    assert sections_of(app, world.in_section.id) == [("1A", before)]
    # Apply with one order, in the background.
    response = admin.submit(preview, id="apply-form", order_number="45-у", expect=(302,))
    tasks.wait_for_background_work(app)
    close_page = response.follow()
    assert close_page.html.select_one("#close-status").get_text() == "Applied"
    after = years.next_span(SchoolYear(start=date(int(before[:4]), 9, 1)))[0]
    assert f"School year {after}" in close_page.html.select_one("#current-year").get_text()
    assert sections_of(app, world.in_section.id) == [("2A", after)]
    assert sections_of(app, world.out_section.id) == [("3Б", after)]
    assert sections_of(app, made["Rep"]) == [("1A", after)]
    with app.app_context():
        statuses = {s.last_name: s.status for s in db.session.scalars(select(Student).where(
            Student.school_id == world.school_a.id))}
        assert statuses == {"Inside": "studying", "Outside": "studying", "Rep": "studying", "Leav": "left",
                            "Grad": "graduated", "Gradtwo": "graduated"}
        kinds = dict(db.session.execute(select(Movement.kind, func.count()).where(
            Movement.order_id.is_not(None)).group_by(Movement.kind)).all())
        assert kinds == {"promoted": 2, "repeated": 1, "left": 3}  # graduates and the leaver: Left, by reason
        assert db.session.scalar(select(func.count()).select_from(past_section_member)) == 6
    # The teacher of last year's 1A teaches next year's 2A (carried over): Ivan is on their list.
    teacher_list = as_role("teacher_a").get("/admin/students/").get_data(as_text=True)
    assert "Inside Ivan" in teacher_list and "Rep X" not in teacher_list
    # A second Apply of the same close is refused, and nothing moves again.
    again = admin.submit(preview, id="apply-form", order_number="45-у", expect=(302,)).follow()
    assert "This close has already been applied." in again.text
    assert sections_of(app, world.in_section.id) == [("2A", after)]
    # Undo for one child: Rep is back in last year's 1A.
    close_page = admin.get(close_page.request.path)
    [undo_rep] = [f for key, f in close_page.forms.items() if isinstance(key, int) and "student_id" in f.fields
                  and f["student_id"].value == str(made["Rep"])]
    done = undo_rep.submit().follow()
    assert "Undone for this child" in done.text
    assert sections_of(app, made["Rep"]) == [("1A", before)]
    # A later change of Ivan (his record edited) blocks the whole undo, and the page names him.
    edit = admin.get(f"/admin/students/edit/?id={world.in_section.id}")
    admin.submit(edit, field="first_name", first_name="Ivan", middle_name="Changed", expect=(302,))
    blocked = admin.get(close_page.request.path)
    assert "Inside Ivan Changed" in blocked.html.select_one("#undo-blockers").get_text()
    assert blocked.html.select_one("#undo-close button").has_attr("disabled")


def test_undo_of_the_whole_close_puts_everyone_back_and_the_year_before_is_current(app, agent, world):
    made = setup_school(app, world)
    admin = agent("admin_a")
    before = years.span_of(date.today())[0]
    map_page = admin.get("/admin/year-close/map")
    admin.submit(map_page, id="map-form", expect=(302,))
    preview = admin.get("/admin/year-close/preview")
    close_page = admin.submit(preview, id="apply-form", order_number="46-у", expect=(302,))
    tasks.wait_for_background_work(app)
    close_page = close_page.follow()
    undone = admin.submit(close_page, id="undo-close", expect=(302,)).follow()
    assert undone.html.select_one("#close-status").get_text() == "Undone"
    assert f"School year {before}" in undone.html.select_one("#current-year").get_text()
    assert sections_of(app, world.in_section.id) == [("1A", before)]
    assert sections_of(app, made["Grad"]) == [("11Б", before)]
    with app.app_context():
        assert db.session.get(Student, made["Grad"]).status == "studying"
        assert db.session.scalar(select(func.count()).select_from(past_section_member)) == 0
        assert db.session.scalar(select(func.count()).select_from(student_section)) == 6
        # The corrections are movements: the graduates returned, the others moved back.
        kinds = dict(db.session.execute(select(Movement.kind, func.count()).where(
            Movement.note == "undo of the year's close").group_by(Movement.kind)).all())
        assert kinds == {"returned": 2, "moved": 4}


def test_a_section_mapped_nowhere_blocks_apply_and_the_preview_says_why(app, agent, world):
    admin = agent("admin_a")
    with app.app_context():
        schools.save_section(world.school_a.id, None, "Кружок", [], actor=db.session.get(User, world.admin_a.id))
    admin.submit(admin.get("/admin/year-close/map"), id="map-form", expect=(302,))
    preview = admin.get("/admin/year-close/preview")
    assert "Section Кружок is mapped nowhere" in preview.html.select_one("#preview-warnings").get_text()
    assert preview.html.select_one("#apply-close").has_attr("disabled")
    forced = admin.submit(preview, id="apply-form", order_number="47-у", expect=(302,)).follow()
    assert "mapped nowhere" in forced.text  # the server refuses it too
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SchoolYear).where(
            SchoolYear.school_id == world.school_a.id)) == 1


def test_a_teacher_cannot_reach_the_close_and_another_schools_admin_finds_nothing(app, agent, as_role, world):
    assert as_role("teacher_a").get("/admin/year-close/").status_code == 403
    admin = agent("admin_a")
    admin.submit(admin.get("/admin/year-close/map"), id="map-form", expect=(302,))
    with app.app_context():
        from roster.records import YearClose

        close_id = db.session.scalar(select(YearClose.id).where(YearClose.school_id == world.school_a.id))
    admin_b = agent("admin_b")
    assert admin_b.get(f"/admin/year-close/{close_id}", expect_errors=True).status_int == 404
    forged = as_role("admin_b")
    assert forged.post("/admin/year-close/apply", data={"close_id": close_id, "order_number": "1",
                                                        "order_date": "2026-06-01"}).status_code in (400, 404)


def test_the_schools_top_grades_and_a_sections_teachers_are_chosen_on_the_map(app, agent, as_role, world):
    setup_school(app, world)
    admin = agent("admin_a")
    map_page = admin.get("/admin/year-close/map")
    with app.app_context():
        ids = {s.name: s.id for s in db.session.scalars(select(Section).where(Section.school_id == world.school_a.id))}
    assert map_page.html.select_one("#top_grades")["value"] == "9, 11"
    map_page = admin.submit(map_page, id="top-grades-form", top_grades="4 and 11", expect=(302,)).follow()
    assert "suggested again" in map_page.text
    with app.app_context():
        assert db.session.get(School, world.school_a.id).top_grades == "4, 11"
    for typed in ("none", ""):  # no grade in it: said, nothing changed
        refused = admin.submit(map_page, id="top-grades-form", top_grades=typed, expect=(302,)).follow()
        assert "Enter the grades that graduate" in refused.text
    # 1A's teacher is not carried over this time: next year's 2A has none, and the teacher's list is empty.
    admin.submit(map_page, id="map-form", expect=(302,), **{f"teachers-{ids['1A']}": False})
    preview = admin.get("/admin/year-close/preview")
    admin.submit(preview, id="apply-form", order_number="48-у", expect=(302,))
    tasks.wait_for_background_work(app)
    with app.app_context():
        next_2a = db.session.scalar(select(Section).where(Section.name == "2A", Section.year_id == years.current_id(
            world.school_a.id)))
        assert next_2a.teachers == []
    page = as_role("teacher_a").get("/admin/students/").get_data(as_text=True)
    assert "You teach no section in" in page and "Inside Ivan" not in page


def test_apply_is_refused_while_another_close_of_the_school_runs(app, world):
    from roster.errors import ValidationFailed
    from roster.records import YearClose
    from roster.services import movements, year_close

    with app.app_context():
        admin = db.session.get(User, world.admin_a.id)
        close = year_close.draft(world.school_a.id, actor=admin)
        other = YearClose(school_id=world.school_a.id, from_year_id=close.from_year_id, status="applying")
        db.session.add(other)
        db.session.commit()
        with pytest.raises(ValidationFailed) as refused:
            year_close.start(close.id, world.school_a.id, movements.OrderGiven("9", date.today()), actor=admin)
        assert refused.value.field_errors["close"] == ["Another close of this school's year is running."]
        assert db.session.get(YearClose, close.id).status == "draft"


def test_a_long_close_is_paged(app, agent, world, monkeypatch):
    from roster.admin import year_close as view

    monkeypatch.setattr(view, "SHOWN", 2)
    setup_school(app, world)
    admin = agent("admin_a")
    admin.submit(admin.get("/admin/year-close/map"), id="map-form", expect=(302,))
    preview = admin.get("/admin/year-close/preview")
    assert len(preview.html.select("#children-pages li")) == 3  # 6 children, 2 a page
    assert len(preview.html.select("#preview-children tbody tr")) == 2
    response = admin.submit(preview, id="apply-form", order_number="49-у", expect=(302,))
    tasks.wait_for_background_work(app)
    close_page = response.follow()
    assert len(close_page.html.select("#children-pages li")) == 3
    last = admin.get(close_page.html.select("#children-pages a")[-1]["href"])
    assert len(last.html.select("#close-children tbody tr")) == 2


def test_a_close_whose_process_died_is_taken_up_where_it_stopped(app, world):
    from roster.records import YearClose
    from roster.services import movements, year_close

    setup_school(app, world)
    with app.app_context():
        admin = db.session.get(User, world.admin_a.id)
        close = year_close.draft(world.school_a.id, actor=admin)
        year_close.start(close.id, world.school_a.id, movements.OrderGiven("50", date.today()), actor=admin)
        # Its worker died before moving anyone: Applying, silent since long ago.
        close = db.session.get(YearClose, close.id)
        close.runner, close.progress_at = "nowhere:999999", close.created_at.replace(year=2000)
        db.session.commit()
        close_id = close.id
        tasks.housekeeping(app, first=True)  # any Roster process's housekeeping takes it up
    tasks.wait_for_background_work(app)
    with app.app_context():
        close = db.session.get(YearClose, close_id)
        assert (close.status, close.done, close.total) == ("applied", 6, 6)
    assert sections_of(app, world.in_section.id)[0][0] == "2A"
