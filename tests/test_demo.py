from sqlalchemy import func, select

from roster.extensions import db
from roster.models import Membership, School, Student, section_teacher
from roster.services import demo


def test_demo_loads_once_and_prints_the_sign_ins(app, runner):
    result = runner.invoke(args=["roster", "demo", "--students", "40"])
    assert result.exit_code == 0, result.output
    assert "Demo data loaded." in result.output
    assert demo.DEMO_PASSWORD in result.output and "admin@gv.roster.example" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(School.id))) == 2
        assert db.session.scalar(select(func.count(Student.id))) == 80
        assert db.session.scalar(select(func.count(Membership.id))) == 6
        assert db.session.scalar(select(func.count()).select_from(section_teacher)) == 8
        pending = db.session.scalar(select(func.count(Student.id)).where(Student.account_status == "pending"))
        cyrillic = db.session.scalar(select(func.count(Student.id)).where(Student.search_key.like("%ов%")))
        assert pending > 0 and cyrillic > 0

    again = runner.invoke(args=["roster", "demo"])
    assert "nothing changed" in again.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Student.id))) == 80


def test_a_demo_of_one_student_a_school(app, runner):
    """The benchmarks load `roster demo --students 1` (a school to import into): one studying student each."""
    result = runner.invoke(args=["roster", "demo", "--students", "1"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalars(select(Student.status)).all() == ["studying", "studying"]


def test_demo_school_admin_can_sign_in_and_see_the_list(app, runner, web):
    runner.invoke(args=["roster", "demo", "--students", "30"])
    web.sign_in("admin@gv.roster.example", demo.DEMO_PASSWORD)
    # Four of the 30 left this school year (the demo's history, for the movement book): 26 are on today's list.
    assert 'id="student-count">(26)' in web.get("/admin/students/").get_data(as_text=True)
    book = web.get("/admin/movement-book/?period=year").get_data(as_text=True)
    assert 'id="figure-left" href="' in book and '">4</a>' in book.split('id="figure-left"', 1)[1][:300]
    web2 = type(web)(app)
    web2.sign_in("teacher1@gv.roster.example", demo.DEMO_PASSWORD)
    assert 'id="student-count">(10)' in web2.get("/admin/students/").get_data(as_text=True)  # sections 1A and 1B of six


def test_create_platform_admin_command(app, runner, web):
    result = runner.invoke(args=["roster", "create-platform-admin", "Boss@Example.org"],
                           input="a long enough password\na long enough password\n")
    assert result.exit_code == 0, result.output
    web.sign_in("boss@example.org", "a long enough password")
    short = runner.invoke(args=["roster", "create-platform-admin", "x@example.org"], input="short\nshort\n")
    assert short.exit_code != 0 and "at least 12" in short.output
    taken = runner.invoke(args=["roster", "create-platform-admin", "boss@example.org"],
                          input="a long enough password\na long enough password\n")
    assert taken.exit_code != 0 and "already" in taken.output
