"""Test data made through the services, as the app would make it."""


from types import SimpleNamespace

from sqlalchemy import inspect

from roster.extensions import db
from roster.models import AccountStatus, Program, Section, Student, Tag, User
from roster.services import accounts, schools, students, years

PASSWORD = "correct horse battery"


def user(email, *, platform=False, **kw):
    u = accounts.create_user(email, password=PASSWORD, is_platform_admin=platform, last_name=email.split("@")[0], **kw)
    db.session.commit()
    return u


def school(name, actor):
    return schools.create(name, actor=actor)


def staff(school_, email, role, actor):
    u = user(email)
    schools.add_staff(school_.id, u.id, role, actor=actor)
    return u


def named(model, school_, name):
    """A program, tag or section of the school (a section: of its current year)."""
    extra = {"year_id": years.current_id(school_.id)} if model is Section else {}
    item = model(school_id=school_.id, name=name, **extra)
    db.session.add(item)
    db.session.commit()
    return item


def student(school_, actor, **fields):
    data = {"last_name": "Test", "first_name": "Student"} | fields
    return db.session.get(Student, students.create(school_.id, data, actor=actor))


def set_status(student_, status: AccountStatus):
    student_.account_status = status.value
    db.session.commit()


class World(dict):
    """Named test records; w.name and w["name"] both work."""

    __getattr__ = dict.__getitem__
    __setattr__ = dict.__setitem__

    def snapshot(self) -> "World":
        """Plain copies of the records' columns, usable after their session is gone (users act as actors)."""
        return World({name: snap(obj) for name, obj in self.items()})


def snap(obj) -> SimpleNamespace:
    values = {attr.key: getattr(obj, attr.key) for attr in inspect(obj).mapper.column_attrs}
    if isinstance(obj, User):
        values["is_authenticated"] = True
    return SimpleNamespace(**values)


def two_schools() -> World:
    w = World()
    w.platform = user("platform@example.org", platform=True)
    w.school_a = school("Alpha School", w.platform)
    w.school_b = school("Beta School", w.platform)
    w.admin_a = staff(w.school_a, "admin@alpha.example", "admin", w.platform)
    w.teacher_a = staff(w.school_a, "teacher@alpha.example", "teacher", w.platform)
    w.admin_b = staff(w.school_b, "admin@beta.example", "admin", w.platform)
    w.student_user = user("pupil@alpha.example")
    w.section_a1 = named(Section, w.school_a, "1A")
    w.section_a2 = named(Section, w.school_a, "2A")
    w.section_a1.teachers = [w.teacher_a]
    w.tag_a = named(Tag, w.school_a, "Choir")
    w.program_a = named(Program, w.school_a, "STEM")
    w.tag_b = named(Tag, w.school_b, "Choir")
    db.session.commit()
    w.in_section = student(w.school_a, w.platform, last_name="Inside", first_name="Ivan",
                           section_ids=[w.section_a1.id], email="inside@alpha.example")
    w.out_section = student(w.school_a, w.platform, last_name="Outside", first_name="Olga",
                            section_ids=[w.section_a2.id])
    w.b_student = student(w.school_b, w.platform, last_name="Beta", first_name="Boris")
    w.in_section.user_id = w.student_user.id
    db.session.commit()
    return w.snapshot()

