"""School years, first slice: each school has a current year named in the page header; its sections belong to a
year; the list, filters, forms, import and teachers' views work on the current year's sections; a past year's
sections and who was in them stay, read-only, as the archive."""

from datetime import date

from sqlalchemy import func, insert, select

from roster.extensions import db
from roster.models import SchoolYear, Section, Student, User, past_section_member, student_section
from roster.services import years
from tests.helpers import filter_arg


def past_year(app, world, *, section_name="1A", students=(), teacher=None):
    """A closed year 2020/2021 of Alpha School, with a section and who was in it (as a close leaves them)."""
    with app.app_context():
        year = SchoolYear(school_id=world.school_a.id, title="2020/2021", start=date(2020, 9, 1),
                          end=date(2021, 8, 31), is_current=False)
        db.session.add(year)
        db.session.flush()
        section = Section(school_id=world.school_a.id, year_id=year.id, name=section_name)
        if teacher is not None:
            section.teachers = [db.session.get(User, teacher.id)]
        db.session.add(section)
        db.session.flush()
        for student in students:
            db.session.execute(insert(past_section_member).values(student_id=student.id, section_id=section.id))
        db.session.commit()
        return year.id, section.id


def test_the_header_names_the_current_year_and_its_page_lists_the_sections_with_their_students(app, agent, world):
    admin = agent("admin_a")
    title = years.span_of(date.today())[0]
    page = admin.get("/admin/students/")
    assert page.html.select_one("#current-year").get_text() == f"School year {title}"
    years_page = page.click(href="/admin/years/", index=0)
    assert "Current" in years_page.html.select_one("#years-table").get_text()
    year_page = years_page.click(title, href="/admin/years/[0-9]")
    rows = [[td.get_text(" ", strip=True) for td in tr.select("td")] for tr in year_page.html.select(
        "#year-sections tbody tr")]
    teacher = " ".join(p for p in (world.teacher_a.last_name, world.teacher_a.first_name) if p)
    assert rows == [["1A", "1", teacher], ["2A", "1", ""]]
    section_page = year_page.click("1A")
    assert [a.get_text() for a in section_page.html.select("#section-students td a")] == ["Inside Ivan"]


def test_a_past_year_is_the_archive_and_nothing_of_the_current_year_offers_its_sections(app, agent, as_role, world):
    year_id, old_section = past_year(app, world, section_name="9Z", students=[world.out_section],
                                     teacher=world.teacher_a)
    admin = agent("admin_a")
    # The archive: the year, its section, who was in it (Outside Olga, now in 2A).
    archive = admin.get(f"/admin/years/{year_id}/sections/{old_section}")
    assert archive.html.select_one("#archive-note")
    assert [td.get_text(" ", strip=True) for td in archive.html.select("#section-students td")] == [
        "Outside Olga", "Studying", "2A"]
    # Today's list, filters, forms and the Sections page know only this year's sections.
    sections_filter = filter_arg(admin.get("/admin/students/").text, "Sections")
    page = admin.get(f"/admin/students/?{sections_filter}=9Z")
    assert "No section named “9Z”" in page.text
    assert "9Z" not in admin.get("/admin/sections/").html.select_one("main").get_text()  # not the page's nonce
    assert admin.get(f"/admin/sections/edit/?id={old_section}", expect_errors=True).status_int == 404
    move = admin.get(f"/admin/students/move?id={world.in_section.id}")
    assert "9Z" not in [o.get_text() for o in move.html.select("#section option")]
    # A teacher of the past section sees its students only in the archive, not in today's list.
    teacher = as_role("teacher_a")
    assert "Outside Olga" not in teacher.get("/admin/students/").get_data(as_text=True)
    assert teacher.get(f"/admin/years/{year_id}/sections/{old_section}").status_code == 200
    assert teacher.get(f"/admin/years/{year_id}").status_code == 200


def test_a_section_name_of_a_past_year_is_a_new_section_of_this_year(app, agent, world):
    past_year(app, world, section_name="7B")
    admin = agent("admin_a")
    response = admin.submit(admin.get("/admin/sections/new/"), field="name", name="7B", expect=(302,))
    assert response.status_int == 302  # the same name as last year's 7B: allowed, it is another year
    page = admin.upload_import("list.csv", b"Last name,First name,Sections\nNew,Pupil,7B\nOther,Pupil,8C\n")
    admin.confirm_import(page)
    with app.app_context():
        current = years.current_id(world.school_a.id)
        by_name = {s.name: s.year_id for s in db.session.scalars(select(Section).where(
            Section.school_id == world.school_a.id, Section.name.in_(["7B", "8C"]), Section.year_id == current))}
        assert set(by_name) == {"7B", "8C"}
        pupil = db.session.scalar(select(Student).where(Student.last_name == "New"))
        assert [s.name for s in pupil.sections] == ["7B"] and pupil.sections[0].year_id == current


def test_another_schools_year_or_section_is_not_found(app, agent, world):
    year_id, section_id = past_year(app, world)
    admin_b = agent("admin_b")
    for url in (f"/admin/years/{year_id}", f"/admin/years/{year_id}/sections/{section_id}", "/admin/years/999999"):
        assert admin_b.get(url, expect_errors=True).status_int == 404, url
    with app.app_context():
        current_b = years.current_id(world.school_b.id)
        db.session.commit()
    assert agent("admin_a").get(f"/admin/years/{current_b}", expect_errors=True).status_int == 404


def test_one_current_year_per_school_and_sections_keep_their_links_there(app, world):
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SchoolYear).where(
            SchoolYear.school_id == world.school_a.id, SchoolYear.is_current.is_(True))) == 1
        assert db.session.scalar(select(func.count()).select_from(student_section)) == 2


def test_a_teacher_with_no_section_this_year_sees_an_empty_list_that_says_why(app, as_role, world):
    teacher = as_role("teacher_a")
    assert "no-sections-this-year" not in teacher.get("/admin/students/").get_data(as_text=True)
    with app.app_context():  # a new year begins in which teacher_a has no section yet
        db.session.execute(db.update(SchoolYear).values(is_current=False))
        db.session.flush()
        db.session.add(SchoolYear(school_id=world.school_a.id, title="2099/2100", start=date(2099, 9, 1),
                                  end=date(2100, 8, 31), is_current=True))
        db.session.execute(db.delete(student_section))  # their sections are last year's now
        db.session.commit()
    page = teacher.get("/admin/students/").get_data(as_text=True)
    assert "You teach no section in 2099/2100 yet" in page and "Inside Ivan" not in page
