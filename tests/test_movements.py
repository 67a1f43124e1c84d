"""A child's way through the school, first slice: Leave and Return with their orders, the status that follows
(today's list, the Status filter, read-only records, sign-in refused), and arrivals written as movements."""

import datetime as dt

from sqlalchemy import func, select

from roster import tasks
from roster.extensions import db
from roster.models import Movement, Order, Student, User, student_section
from tests.agent import Agent, find_form
from tests.factories import PASSWORD
from tests.helpers import filter_arg


def listed(page) -> list[str]:
    return [a.get_text() for a in page.html.select("td.col-full_name .row-name a")]


def movements_of(app, student_id) -> list[tuple]:
    with app.app_context():
        return [(m.kind, m.date, m.reason, m.order.number if m.order else None) for m in db.session.scalars(
            select(Movement).where(Movement.student_id == student_id).order_by(Movement.id))]


def leave_from_row_menu(admin, student_name, **values):
    page = admin.get("/admin/students/")
    row = page.html.find("a", string=student_name).find_parent("tr")
    form_page = admin.get(row.select_one("a.dropdown-item.leave")["href"])
    assert student_name in form_page.html.select_one("#leaving").get_text()
    assert find_form(form_page, id="leave-form")["date"].value == dt.date.today().isoformat()  # today by default
    return admin.submit(form_page, id="leave-form", **values)


def test_leave_from_the_row_menu_then_find_under_left_then_return(app, agent, world):
    admin = agent("admin_a")
    today = dt.date.today()
    response = leave_from_row_menu(admin, "Inside Ivan", date=today.isoformat(), reason="moved abroad",
                                   order_number="45-у", order_date=today.isoformat(), note="to Tashkent",
                                   expect=(302,))
    page = response.follow()
    assert "1 student left the school" in page.text
    assert "Inside Ivan" not in listed(page) and "Outside Olga" in listed(page)  # today's list: studying only
    status = filter_arg(page.text, "Status")
    left = admin.get(f"/admin/students/?{status}=left")
    assert listed(left) == ["Inside Ivan"]
    by_name = admin.get(f"/admin/students/?{status}=left&{filter_arg(page.text, 'Full name', 1)}=insi")
    assert listed(by_name) == ["Inside Ivan"]  # a left student is found by name as easily as before
    assert listed(admin.get(f"/admin/students/?{status}=all")) == ["Inside Ivan", "Outside Olga"]
    with app.app_context():
        student = db.session.get(Student, world.in_section.id)
        assert (student.status, student.dropout_date, student.dropout_reason, student.dropout_note) == (
            "left", today, "moved abroad", "to Tashkent")
        order = db.session.scalar(select(Order))
        assert (order.number, order.year, order.date) == ("45-у", today.year, today)
    # Added (by the fixture) today, left today.
    assert movements_of(app, world.in_section.id) == [("arrived", today, "", None),
                                                      ("left", today, "moved abroad", "45-у")]

    # The record is read-only: its page says so, offers Return, and Edit sends back to it.
    details = admin.get(f"/admin/students/details/?id={world.in_section.id}")
    assert details.html.select_one("#edit-link") is None and details.html.select_one("#return-link")
    assert "moved abroad" in details.html.select_one("#movements-table").get_text()
    refused = admin.get(f"/admin/students/edit/?id={world.in_section.id}").follow()
    assert "has left the school" in refused.text

    # Return: a date and an order; studying again, the history keeps both.
    page = admin.get(details.html.select_one("#return-link")["href"])
    admin.submit(page, id="return-form", date=today.isoformat(), order_number="50-у", order_date=today.isoformat(),
                 expect=(302,))
    with app.app_context():
        student = db.session.get(Student, world.in_section.id)
        assert (student.status, student.dropout_date) == ("studying", None)
    assert [m[0] for m in movements_of(app, world.in_section.id)] == ["arrived", "left", "returned"]
    assert "Inside Ivan" in listed(admin.get("/admin/students/"))


def test_a_student_who_left_cannot_sign_in_and_is_told_why_and_their_account_is_kept(app, agent, world):
    pupil = Agent(app)
    pupil.sign_in(world.student_user.email, PASSWORD)
    admin = agent("admin_a")
    admin.submit(admin.get(f"/admin/students/leave?id={world.in_section.id}"), id="leave-form",
                 reason="expelled", expect=(302,))
    assert pupil.get("/account").status_int == 302  # signed out at once
    page = pupil.get("/login")
    form = find_form(page, field="password")
    form["login"], form["password"] = world.student_user.email, PASSWORD
    refused = form.submit()
    assert refused.status_int == 200
    assert "You no longer study at Alpha School, so you cannot sign in to it. Your account is kept" in refused.text
    with app.app_context():
        assert db.session.get(User, world.student_user.id) is not None


def test_bulk_leave_skips_who_is_not_studying_and_credentials_follow_the_status(app, agent, world):
    admin = agent("admin_a")
    page = admin.get("/admin/students/")
    form_page = admin.bulk_action(page, "leave", [world.in_section.id, world.out_section.id]).follow()
    assert "2 students leave the school" in form_page.text
    admin.submit(form_page, id="leave-form", reason="health", expect=(302,))
    with app.app_context():
        assert {s.status for s in db.session.scalars(select(Student).where(Student.school_id == world.school_a.id))} \
            == {"left"}
    again = admin.submit(admin.get(f"/admin/students/leave?id={world.in_section.id}"), id="leave-form",
                         reason="health", expect=(302,)).follow()
    assert "Skipped 1: Inside Ivan (not studying)" in again.text
    credentials = admin.get(f"/admin/students/credentials?id={world.in_section.id}")
    response = admin.submit(credentials, id="credentials-form", password="Correct-Horse-Battery-9")
    assert "has left the school" in response.text
    tasks.wait_for_background_work(app)


def test_an_order_number_used_this_year_for_another_date_is_a_clear_error(app, agent, world):
    admin = agent("admin_a")
    admin.submit(admin.get(f"/admin/students/leave?id={world.in_section.id}"), id="leave-form", reason="other",
                 order_number="7", order_date="2026-09-01", expect=(302,))
    page = admin.submit(admin.get(f"/admin/students/leave?id={world.out_section.id}"), id="leave-form",
                        reason="other", order_number="7", order_date="2026-09-02")
    assert "Order 7 of 2026 is dated 2026-09-01: check the number or the date." in page.text
    admin.submit(page, id="leave-form", reason="other", order_number="7", order_date="2026-09-01", expect=(302,))
    with app.app_context():
        assert db.session.scalar(select(Order).where(Order.number == "7")).date == dt.date(2026, 9, 1)
        assert len(db.session.scalars(select(Movement).where(Movement.order_id.is_not(None))).all()) == 2
    future = admin.submit(admin.get(f"/admin/students/return?id={world.in_section.id}"), id="return-form",
                          date=(dt.date.today() + dt.timedelta(days=3)).isoformat())
    assert "The date cannot be in the future." in future.text


def test_add_import_and_activation_write_arrivals(app, agent, world):
    admin = agent("admin_a")
    admin.submit(admin.get("/admin/students/new/"), field="last_name", last_name="New", first_name="Nina",
                 expect=(302,))
    job = admin.upload_import("list.csv", b"Last name,First name\nImported,Ivan\n")
    admin.confirm_import(job)
    with app.app_context():
        new = {s.last_name: s.id for s in db.session.scalars(select(Student).where(
            Student.last_name.in_(["New", "Imported"])))}
        db.session.get(Student, world.out_section.id).account_status = "pending"
        signed_up = Student(school_id=world.school_a.id, last_name="Signed", first_name="Sara", source="sign-up",
                            account_status="pending")  # as the public sign-up makes one: no movement yet
        db.session.add(signed_up)
        db.session.commit()
        new["Signed"] = signed_up.id
    admin.bulk_action(admin.get("/admin/students/"), "activate", [world.out_section.id, new["Signed"]])
    for student_id in (new["New"], new["Imported"], new["Signed"]):
        assert [(m[0], m[1]) for m in movements_of(app, student_id)] == [("arrived", dt.date.today())]
    # Added by the school, then its sign-up activated: a child arrives once.
    assert [m[0] for m in movements_of(app, world.out_section.id)] == ["arrived"]


def test_erasing_a_child_keeps_their_movements_for_the_counts_without_them(app, agent, world):
    admin = agent("admin_a")
    admin.submit(admin.get(f"/admin/students/leave?id={world.in_section.id}"), id="leave-form", reason="other",
                 note="Inside Ivan moved in with his aunt", expect=(302,))
    admin.bulk_action(admin.get(f"/admin/students/?{filter_arg(admin.get('/admin/students/').text, 'Status')}=all"),
                      "delete", [world.in_section.id])
    with app.app_context():
        kept = db.session.scalars(select(Movement).where(Movement.kind == "left")).all()
        assert [(m.student_id, m.reason, m.note) for m in kept] == [(None, "other", "")]


def test_teachers_see_statuses_and_movements_but_change_nothing(app, agent, world):
    admin = agent("admin_a")
    admin.submit(admin.get(f"/admin/students/leave?id={world.in_section.id}"), id="leave-form",
                 reason="moved abroad", expect=(302,))
    teacher = agent("teacher_a")
    details = teacher.get(f"/admin/students/details/?id={world.in_section.id}")
    assert details.html.select_one("#movements-table") is not None
    assert "moved abroad" not in details.text  # the reason, as drop-out details, is not a teacher's to see
    assert details.html.select_one("#return-link") is None
    assert teacher.get(f"/admin/students/leave?id={world.in_section.id}").status_int == 403
    assert teacher.get(f"/admin/students/return?id={world.in_section.id}").status_int == 403


def test_orders_page_lists_the_schools_orders_and_prints_each(app, agent, world):
    admin = agent("admin_a")
    today = dt.date.today()
    page = admin.get("/admin/students/")
    form_page = admin.bulk_action(page, "leave", [world.in_section.id, world.out_section.id]).follow()
    admin.submit(form_page, id="leave-form", reason="moved abroad", order_number="101", expect=(302,))
    listing = admin.get("/admin/orders/")
    [row] = listing.html.select("#orders-table tbody tr")
    cells = [td.get_text(" ", strip=True) for td in row.select("td")]
    assert cells[0] == "101" and cells[2] == "2" and cells[3] == "left the school"
    printable = admin.get(row.select_one("a")["href"])
    assert printable.html.select_one("#order-school").get_text() == "Alpha School"
    assert "Order № 101 of" in printable.html.select_one("#order-title").get_text()
    names = [tr.select("td")[1].get_text() for tr in printable.html.select("#order-movements tbody tr")]
    assert names == ["Inside Ivan", "Outside Olga"]
    assert "moved abroad" in printable.text and today.year
    order_id = printable.request.path.rsplit("/", 1)[1]
    assert agent("admin_b").get(f"/admin/orders/{order_id}").status_int == 404  # another school's order
    assert agent("teacher_a").get("/admin/orders/").status_int == 403


def test_moving_between_sections_is_a_movement_from_the_form_and_in_bulk(app, agent, world):
    admin = agent("admin_a")
    # The form: Inside Ivan's section 1A becomes 2A.
    edit = admin.get(f"/admin/students/edit/?id={world.in_section.id}")
    admin.submit(edit, field="last_name", sections=[str(world.section_a2.id)], expect=(302,))
    assert [(m[0]) for m in movements_of(app, world.in_section.id)] == ["arrived", "moved"]
    details = admin.get(f"/admin/students/details/?id={world.in_section.id}")
    assert "moved to another section: 1A → 2A" in details.html.select_one("#movements-table").get_text()
    # Bulk: both to 1A, by an order; one who left is skipped with the reason.
    admin.submit(admin.get(f"/admin/students/leave?id={world.out_section.id}"), id="leave-form", reason="other",
                 expect=(302,))
    status = filter_arg(admin.get("/admin/students/").text, "Status")
    page = admin.get(f"/admin/students/?{status}=all")
    form_page = admin.bulk_action(page, "move", [world.in_section.id, world.out_section.id]).follow()
    assert "2 students move to another section" in form_page.text
    response = admin.submit(form_page, id="move-form", section=str(world.section_a1.id), order_number="15",
                            expect=(302,)).follow()
    assert "1 student moved." in response.text and "Skipped 1: Outside Olga (not studying)" in response.text
    with app.app_context():
        assert [s.name for s in db.session.get(Student, world.in_section.id).sections] == ["1A"]
    assert movements_of(app, world.in_section.id)[-1] == ("moved", dt.date.today(), "", "15")
    # Moves change none of the book's counts.
    book = admin.get("/admin/movement-book/?period=year")
    figures = {a["id"]: a.get_text() for a in book.html.select("#book-figures a[id]")}
    assert figures["figure-arrived"] == "2" and figures["figure-left"] == "1" and figures["figure-at_end"] == "1"
    refused = admin.submit(admin.get(f"/admin/students/move?id={world.in_section.id}"), id="move-form",
                           section="")
    assert "This field is required." in refused.text


def test_add_takes_the_order_of_arrival(app, agent, world):
    admin = agent("admin_a")
    page = admin.get("/admin/students/new/")
    legends = [legend.get_text() for legend in page.html.select("fieldset legend")]
    assert legends[-1] == "Order of arrival"
    today = dt.date.today().isoformat()
    refused = admin.submit(page, field="last_name", last_name="", first_name="Nora", order_number="x" * 51)
    assert "This field is required." in refused.text
    admin.submit(admin.get("/admin/students/new/"), field="last_name", last_name="Ordered", first_name="Nora",
                 order_number="3-к", order_date=today, expect=(302,))
    with app.app_context():
        nora = db.session.scalar(select(Student).where(Student.last_name == "Ordered"))
    assert movements_of(app, nora.id) == [("arrived", dt.date.today(), "", "3-к")]
    assert agent("admin_a").get(f"/admin/students/edit/?id={nora.id}").html.select_one("#order_number") is None


def test_an_import_takes_one_order_of_arrival_for_the_whole_file(app, agent, world):
    admin = agent("admin_a")
    page = admin.get("/admin/imports/").click(href="/admin/imports/new")
    refused = admin.submit(page, id="upload-form", upload=("file", "list.csv", b"Last name,First name\nA,B\n"),
                           order_number="x" * 51)
    assert "Field cannot be longer than 50 characters." in refused.text
    page = admin.get("/admin/imports/").click(href="/admin/imports/new")
    response = admin.submit(page, id="upload-form", order_number="77-к", expect=(302,), upload=(
        "file", "list.csv", b"Last name,First name,Personal file number\nNew,One,N-1\nNew,Two,N-2\nInside,Ivan,\n"))
    tasks.wait_for_background_work(app)
    job = admin.get(response.location)
    assert "New students arrive by order № 77-к" in job.html.select_one("#job-order").get_text()
    with app.app_context():
        assert db.session.scalar(select(Order)) is None  # the preview made nothing
    admin.confirm_import(job)
    with app.app_context():
        new = db.session.scalars(select(Student.id).where(Student.last_name == "New")).all()
        order = db.session.scalar(select(Order))
        assert (order.number, order.date) == ("77-к", dt.date.today())
    for student_id in new:
        assert movements_of(app, student_id) == [("arrived", dt.date.today(), "", "77-к")]


def test_a_school_adds_its_own_leave_reason_and_a_leaving_gives_it(app, agent, world):
    admin = agent("admin_a")
    leave = admin.get(f"/admin/students/leave?id={world.in_section.id}")
    reasons = admin.get(leave.html.select_one("#edit-reasons")["href"])
    form_page = admin.get("/admin/leave-reasons/new/")
    admin.submit(form_page, field="name", name="  family   reasons ", expect=(302,))
    refused = admin.submit(admin.get("/admin/leave-reasons/new/"), field="name", name="Family Reasons")
    assert "The list already has this reason." in refused.text
    assert "family reasons" in admin.get("/admin/leave-reasons/").text and reasons.status_int == 200
    leave = admin.get(f"/admin/students/leave?id={world.in_section.id}")
    options = [o[0] for o in find_form(leave, id="leave-form")["reason"].options]
    assert "family reasons" in options and "moved abroad" in options
    admin.submit(leave, id="leave-form", reason="family reasons", expect=(302,))
    assert movements_of(app, world.in_section.id)[-1][2] == "family reasons"
    assert agent("admin_b").get("/admin/leave-reasons/").text.count("family reasons") == 0  # Alpha's own
    assert agent("teacher_a").get("/admin/leave-reasons/").status_int == 403


def test_leave_and_move_all_the_students_a_filter_matches_not_only_the_page(app, agent, world):
    from roster.services import students as student_service

    with app.app_context():
        admin_user = db.session.get(User, world.admin_a.id)
        for n in range(30):
            student_service.create(world.school_a.id, {"last_name": f"Many{n:02}", "first_name": "M",
                                                       "section_ids": [world.section_a2.id]}, actor=admin_user)
    admin = agent("admin_a")
    sections = filter_arg(admin.get("/admin/students/").text, "Sections")
    page = admin.get(f"/admin/students/?{sections}={world.section_a2.id}")  # 31 match (Outside Olga too), 20 shown
    assert "Select all 31 matching" in page.html.select_one("#select-matching").get_text()
    first = int(page.html.select_one("input.action-checkbox")["value"])
    form_page = admin.bulk_action(page, "move", [first], matching=True).follow()
    assert "31 students move to another section" in form_page.text
    assert form_page.html.select_one("#all-matching-note") and "and 11 more" in form_page.text
    done = admin.submit(form_page, id="move-form", section=str(world.section_a1.id), expect=(302,)).follow()
    assert "31 students moved." in done.text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(student_section).where(
            student_section.c.section_id == world.section_a2.id)) == 0
    page = admin.get(f"/admin/students/?{sections}={world.section_a1.id}")
    form_page = admin.bulk_action(page, "leave", [world.in_section.id], matching=True).follow()
    admin.submit(form_page, id="leave-form", reason="other", expect=(302,))
    with app.app_context():
        assert db.session.scalar(select(func.count(Student.id)).where(Student.status == "left")) == 32


def test_odd_ids_and_typed_values_on_the_new_pages_are_refused_or_ignored_never_a_500(app, agent, as_role, world):
    admin = agent("admin_a")
    for url in ("/admin/students/leave?id=abc", f"/admin/students/leave?id={world.b_student.id}",
                f"/admin/students/leave?id={world.in_section.id}&id=abc", "/admin/students/move?id=999999",
                "/admin/students/return?id=abc", "/admin/students/transfer?id=-1", "/admin/orders/999999",
                "/admin/leave-reasons/edit/?id=abc"):
        assert admin.get(url).status_int == 404, url
    forged = as_role("admin_a")  # requests no page of Roster makes: the server still answers them sanely
    for url, data in (("/admin/transfers/decide", {"id": "abc", "accept": "1"}),
                      ("/admin/transfers/withdraw", {"id": "999999"}), ("/admin/transfers/ask", {"student_id": "x"})):
        assert forged.post(url, data).status_code == 404, url
    status = filter_arg(admin.get("/admin/students/").text, "Status")
    assert listed(admin.get(f"/admin/students/?{status}=nonsense")) == []  # a typed value that names no status
    for url in ("/admin/movement-book/?section=abc&start=2026-13-01&end=x", "/admin/movement-book/?page=-5",
                "/admin/movement-book/?period=year&figure=left&reason=%00", "/admin/transfers/?birth_date=31.02"):
        assert admin.get(url).status_int == 200, url
