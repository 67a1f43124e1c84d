"""The movement book counts itself: from movements and the list, start + arrived + returned − left = end, and
every number is the children it links to; a scripted quarter matches figures worked out by hand."""

import csv
import datetime as dt
import io
import random

import pytest
from sqlalchemy import delete

from roster.extensions import db
from roster.models import Movement, School, Student, User
from roster.services import movement_book

D = dt.date


def add_student(school_id, name, status="studying", history=()):
    student = Student(school_id=school_id, last_name=name, first_name="A", status=status)
    db.session.add(student)
    db.session.flush()
    for kind, day, *reason in history:
        db.session.add(Movement(school_id=school_id, student_id=student.id, kind=kind, date=day,
                                reason=reason[0] if reason else ""))
    return student.id


@pytest.mark.parametrize("seed", range(5))
def test_random_histories_add_up_and_each_number_is_its_children(app, world, seed):
    rng = random.Random(seed)
    with app.app_context():
        db.session.execute(delete(Movement))
        truth = {}  # id -> (present before any movement, [(day, kind)])
        for n in range(60):
            present = rng.random() < 0.5
            day, history = D(2025, 1, 1), []
            state = present
            for _ in range(rng.randint(0, 4)):
                day += dt.timedelta(days=rng.randint(1, 200))
                kind = "left" if state else rng.choice(["arrived", "returned"] if history else ["arrived"])
                history.append((kind, day, rng.choice(["health", "moved abroad", "other"]) if kind == "left" else ""))
                state = kind != "left"
            sid = add_student(world.school_a.id, f"R{n}", "studying" if state else "left", history)
            truth[sid] = (present, [(d, k) for k, d, _r in history])
        db.session.commit()
        admin = db.session.get(User, world.admin_a.id)
        for _ in range(10):
            start = D(2025, 1, 1) + dt.timedelta(days=rng.randint(0, 700))
            end = start + dt.timedelta(days=rng.randint(0, 300))
            book = movement_book.compute(world.school_a.id, start, end, actor=admin)

            def on_list(sid, day):
                present, history = truth[sid]
                for when, kind in history:
                    if when <= day:
                        present = kind != "left"
                return present

            mine = list(truth)
            ours = lambda ids: sorted(i for i in ids if i in truth)  # noqa: E731 - not the fixture's own two
            assert ours(book.at_start) == sorted(s for s in mine if on_list(s, start - dt.timedelta(days=1)))
            assert ours(book.at_end) == sorted(s for s in mine if on_list(s, end))
            moves = [(s, k) for s in mine for d, k in truth[s][1] if start <= d <= end]
            assert ours(book.arrived) == sorted(s for s, k in moves if k == "arrived")
            assert ours(book.returned) == sorted(s for s, k in moves if k == "returned")
            assert ours(book.children("left")) == sorted(s for s, k in moves if k == "left")
            assert len(book.at_start) + len(book.arrived) + len(book.returned) - book.left_total \
                == len(book.at_end)


@pytest.fixture
def quarter(app, world):
    script_quarter(app, world)


def script_quarter(app, world):
    """The third quarter of 2026 worked out by hand: at the start A, B, E (3); arrived C, D (2); returned D (1);
    left A (moved abroad), D (expelled) (2); at the end B, C, D, E (4)."""
    with app.app_context():
        db.session.execute(delete(Movement))
        for student_id in (world.in_section.id, world.out_section.id):  # the fixture's two: on no list of 2026
            db.session.get(Student, student_id).status = "left"
        school = world.school_a.id
        add_student(school, "Аманова", "left", [("arrived", D(2026, 5, 10)), ("left", D(2026, 8, 15), "moved abroad")])
        add_student(school, "Бекова")  # on the list before Roster kept movements
        add_student(school, "Ванова", "studying", [("arrived", D(2026, 7, 5))])
        add_student(school, "Гусева", "studying", [("arrived", D(2026, 7, 1)), ("left", D(2026, 9, 1), "expelled"),
                                                   ("returned", D(2026, 9, 20))])
        add_student(school, "Дмитриева", "left", [("left", D(2026, 10, 10), "health")])
        add_student(school, "Ерова", "studying", [("arrived", D(2026, 10, 1))])
        db.session.commit()


def test_a_scripted_quarter_matches_the_figures_worked_out_by_hand_in_russian(app, agent, world, quarter):
    admin = agent("admin_a")
    admin.submit(admin.get("/settings/language"), field="language", language="ru")
    page = admin.get("/admin/movement-book/?start=2026-07-01&end=2026-09-30")
    figures = {a["id"]: a.get_text() for a in page.html.select("#book-figures a[id]")}
    assert figures == {"figure-at_start": "3", "figure-arrived": "2", "figure-returned": "1", "figure-left": "2",
                       "figure-at_end": "4"}
    assert "На начало" in page.text and "выехал за рубеж" in page.text
    left = admin.get(page.html.select_one("#figure-left")["href"])
    assert [li.get_text() for li in left.html.select("#figure-children li")] == ["Аманова A", "Гусева A"]
    at_end = admin.get(page.html.select_one("#figure-at_end")["href"])
    assert [li.get_text() for li in at_end.html.select("#figure-children li")] == [
        "Бекова A", "Ванова A", "Гусева A", "Дмитриева A"]
    months = [[td.get_text() for td in tr.select("td")] for tr in page.html.select("#book-months tbody tr")]
    assert months == [["07.2026", "2", "0"], ["08.2026", "0", "1"], ["09.2026", "1", "1"]]
    names = [tr.select("td")[0].get_text() for tr in page.html.select("#book-entries tbody tr")]
    assert names == ["Аманова A", "Бекова A", "Ванова A", "Гусева A", "Дмитриева A"]
    export = admin.get(page.html.select_one("#book-csv")["href"])
    rows = list(csv.reader(io.StringIO(export.body.decode("utf-8-sig"))))
    assert rows[0][:2] == ["ФИО", "Прибыло"]
    assert [r[0] for r in rows[1:]] == names
    assert rows[4][3:6] == ["2026-09-01", "исключён", ""]


def test_a_teacher_sees_the_book_of_their_sections_without_reasons(app, agent, world, quarter):
    teacher = agent("teacher_a")
    page = teacher.get("/admin/movement-book/?start=2026-07-01&end=2026-09-30")
    assert page.status_int == 200
    assert page.html.select("#book-entries tbody tr") == []  # none of the quarter's children is in their section
    with app.app_context():
        assert db.session.get(School, world.school_a.id) is not None


def test_a_period_that_makes_no_sense_is_said_so(agent, world):
    admin = agent("admin_a")
    page = admin.get("/admin/movement-book/?start=2026-09-30&end=2026-07-01")
    assert "The period's start comes after its end." in page.html.select_one("#period-problem").get_text()
    page = admin.get("/admin/movement-book/?start=not-a-date&end=2026-07-01")
    assert page.status_int == 200


@pytest.mark.parametrize(("today", "quarter", "year"), [
    (D(2026, 12, 6), (D(2026, 10, 1), D(2026, 12, 31)), (D(2026, 9, 1), D(2027, 8, 31))),
    (D(2027, 2, 28), (D(2027, 1, 1), D(2027, 3, 31)), (D(2026, 9, 1), D(2027, 8, 31))),
    (D(2026, 8, 31), (D(2026, 7, 1), D(2026, 9, 30)), (D(2025, 9, 1), D(2026, 8, 31))),
])
def test_the_books_periods_this_quarter_and_this_school_year(today, quarter, year):
    assert movement_book.period(None, None, None, today=today) == quarter
    assert movement_book.period("year", None, None, today=today) == year


def test_a_long_book_is_paged(app, agent, world, monkeypatch):
    from roster.services import movement_book as book_service

    monkeypatch.setattr(book_service, "PAGE_SIZE", 1)
    page = agent("admin_a").get("/admin/movement-book/?period=year")
    links = page.html.select("#book-pages a")
    assert len(links) >= 2 and links[0]["aria-current"] == "page"
    second = agent("admin_a").get(links[1]["href"])
    assert second.html.select_one("#book-pages a[aria-current]").get_text() == "2"
