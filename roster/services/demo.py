"""Demo data: a platform of two schools that shows every flow at once."""

import random
from datetime import date, timedelta

from sqlalchemy import insert, select, update

from roster.extensions import db
from roster.models import (
    AccountStatus,
    Movement,
    Order,
    Program,
    School,
    Section,
    Source,
    Student,
    Tag,
    student_program,
    student_section,
    student_tag,
)
from roster.services import accounts, duplicates, schools, students, years
from roster.text import name_search_key, normalize_phone

DEMO_PASSWORD = "roster-demo-2026"
PLATFORM_ADMIN = "platform@roster.example"
SCHOOLS = [  # (name, slug, short, language of its mails to students)
    ("Green Valley School", "green-valley", "gv", None),
    ("Школа № 17", "school-17", "s17", "ru"),
]
LATIN = {
    "last": ["Smith", "Johnson", "Brown", "Taylor", "Wilson", "Davies", "Evans", "Walker", "Wright", "Green",
             "Hall", "Wood", "Clarke", "Turner", "Hill", "Moore"],
    "first_m": ["James", "Oliver", "Jack", "Harry", "George", "Noah", "Leo", "Oscar", "Arthur", "Henry"],
    "first_f": ["Olivia", "Amelia", "Isla", "Ava", "Mia", "Grace", "Lily", "Freya", "Emily", "Sophie"],
}
CYRILLIC = {
    "last": ["Иванов", "Петров", "Сидоров", "Смирнов", "Кузнецов", "Попов", "Соколов", "Лебедев", "Козлов",
             "Новиков", "Морозов", "Волков", "Алексеев", "Фёдоров", "Ахметов", "Нурланов"],
    "first_m": ["Пётр", "Иван", "Алексей", "Дмитрий", "Сергей", "Артём", "Никита", "Тимур", "Арман", "Данияр"],
    "first_f": ["Анна", "Мария", "Алёна", "Дарья", "Елена", "Ольга", "Айгерим", "Софья", "Полина", "Камила"],
    "middle_m": ["Петрович", "Иванович", "Сергеевич", "Алексеевич", ""],
    "middle_f": ["Петровна", "Ивановна", "Сергеевна", "Алексеевна", ""],
}
PROGRAMS = ["General education", "STEM", "Humanities", "Languages"]
TAGS = ["Scholarship", "Sports team", "Choir", "Olympiad", "Needs support", "Новичок"]
SECTIONS = ["1A", "1B", "2A", "2B", "3A", "3B"]


def staff_logins() -> list[tuple[str, str]]:
    rows = [(PLATFORM_ADMIN, "platform admin")]
    for name, _slug, short, _language in SCHOOLS:
        rows += [(f"admin@{short}.roster.example", f"school admin, {name}"),
                 (f"teacher1@{short}.roster.example", f"teacher (sections 1A, 1B), {name}"),
                 (f"teacher2@{short}.roster.example", f"teacher (sections 2A, 2B), {name}")]
    return rows


def _feminine(last: str) -> str:
    return last + "а" if last.endswith(("ов", "ев", "ин")) else last


def _students(school_id: int, short: str, count: int, rng: random.Random) -> list[dict]:
    rows = []
    for n in range(count):
        cyr = n % 2 == 1
        names = CYRILLIC if cyr else LATIN
        female = rng.random() < 0.5
        last = rng.choice(names["last"])
        if cyr and female:
            last = _feminine(last)
        first = rng.choice(names["first_f" if female else "first_m"])
        middle = rng.choice(names["middle_f" if female else "middle_m"]) if cyr else ""
        if n % 37 == 0:
            last = last.upper()  # as some registers write it
        phone = f"+7 70{rng.randint(0, 9)} {rng.randint(100, 999)}-{rng.randint(10, 99)}-{rng.randint(10, 99)}"
        pending = n % 15 == 3
        rows.append({
            "school_id": school_id, "last_name": last, "first_name": first, "middle_name": middle,
            "search_key": name_search_key(last, first, middle),
            "email": f"student{n + 1}@{short}.roster.example" if n % 5 else None,
            "phone": phone, "phone_normalized": normalize_phone(phone),
            "personal_file_number": f"{short.upper()}-{n + 1:05d}",
            "gender": "female" if female else "male",
            "is_inclusive": n % 23 == 0, "is_individual": n % 31 == 0,
            "account_status": AccountStatus.PENDING.value if pending else AccountStatus.NO_ACCOUNT.value,
            "source": Source.SIGN_UP.value if pending else Source.MANUAL.value,
            "birth_date": _born(n),
        })
    return _with_duplicates(rows)


def _born(n: int) -> date:
    """A date of birth of a child aged 7 to 17 (a random of its own: the names stay those the tests know)."""
    born = random.Random(n)
    return date(born.randint(2009, 2019), born.randint(1, 12), born.randint(1, 28))


def _with_duplicates(rows: list[dict]) -> list[dict]:
    """Two children written twice, as schools do (the names swapped; Ё typed as Е), for the Duplicates page: the
    last two rows become copies of two earlier ones."""
    if len(rows) < 10:
        return rows
    for copy, (original, change) in zip(rows[-2:], ((rows[1], "swap"), (rows[3], "yo")), strict=True):
        last, first = (original["first_name"], original["last_name"]) if change == "swap" else (
            original["last_name"].replace("ё", "е").replace("Ё", "Е"), original["first_name"].replace("ё", "е"))
        copy.update(last_name=last, first_name=first, middle_name="", birth_date=original["birth_date"],
                    phone=original["phone"], phone_normalized=original["phone_normalized"],
                    search_key=name_search_key(last, first, ""))
    return rows


def load(students_per_school: int = 300, *, history: bool = False) -> bool:
    """Create the demo platform once; return False (and change nothing) when it is already there. With history,
    this school year's arrivals and a few leavings, for the movement book to show (`flask roster demo`)."""
    if db.session.scalar(select(School.id).where(School.slug == SCHOOLS[0][1])) is not None:
        return False
    rng = random.Random(2026)
    platform = accounts.create_user(PLATFORM_ADMIN, password=DEMO_PASSWORD, last_name="Admin",
                                    first_name="Platform", is_platform_admin=True)
    db.session.flush()
    for name, slug, short, language in SCHOOLS:
        school = schools.create(name, slug=slug, language=language, actor=platform)
        admin = accounts.create_user(f"admin@{short}.roster.example", password=DEMO_PASSWORD,
                                     last_name="Admin", first_name=name)
        teachers = [accounts.create_user(f"teacher{i}@{short}.roster.example", password=DEMO_PASSWORD,
                                         last_name=f"Teacher {i}", first_name=name) for i in (1, 2)]
        db.session.flush()
        schools.add_staff(school.id, admin.id, "admin", actor=platform)
        for teacher in teachers:
            schools.add_staff(school.id, teacher.id, "teacher", actor=platform)
        programs = [Program(school_id=school.id, name=p) for p in PROGRAMS]
        tags = [Tag(school_id=school.id, name=t) for t in TAGS]
        year_id = years.current_id(school.id)
        sections = [Section(school_id=school.id, year_id=year_id, name=s) for s in SECTIONS]
        db.session.add_all(programs + tags + sections)
        sections[0].teachers = [teachers[0]]
        sections[1].teachers = [teachers[0]]
        sections[2].teachers = [teachers[1]]
        sections[3].teachers = [teachers[1]]
        db.session.flush()
        db.session.execute(insert(Student), _students(school.id, short, students_per_school, rng))
        rows = db.session.execute(
            select(Student.id, Student.school_id, Student.search_key)
            .where(Student.school_id == school.id).order_by(Student.id)).all()
        students.index_names(rows)
        ids = [row.id for row in rows]
        duplicates.index(ids, school.id)
        links = {student_program: [], student_tag: [], student_section: []}
        for i, sid in enumerate(ids):
            links[student_program].append({"student_id": sid, "program_id": programs[i % len(programs)].id})
            links[student_section].append({"student_id": sid, "section_id": sections[i % len(sections)].id})
            for tag in rng.sample(tags, rng.choice([0, 1, 1, 2])):
                links[student_tag].append({"student_id": sid, "tag_id": tag.id})
        for table, rows in links.items():
            if rows:
                db.session.execute(insert(table), rows)
        if history:
            _history(school.id, ids, rng)
    db.session.commit()
    return True


def _history(school_id: int, ids: list[int], rng: random.Random) -> None:
    """This school year's way for the movement book to count: a tenth of the students arrived on days of the
    year so far, four left (each with a reason, by one order)."""
    today = date.today()
    year_start = date(today.year if today.month >= 9 else today.year - 1, 9, 1)
    days = max(1, (today - year_start).days)
    on = lambda: year_start + timedelta(days=rng.randrange(days))  # noqa: E731
    order = Order(school_id=school_id, number="12-у", year=today.year, date=today)
    db.session.add(order)
    db.session.flush()
    rows = [{"school_id": school_id, "student_id": sid, "kind": "arrived", "date": on(), "reason": "", "note": "",
             "order_id": None} for sid in ids[: len(ids) // 10]]
    # A school of a handful (`roster demo --students 1`, as the benchmarks load it) keeps them all on its list.
    reasons = ("moved in the country", "moved abroad", "health", "other") if len(ids) >= 10 else ()
    leavers = zip(ids[-len(reasons):] if reasons else [], reasons, strict=True)
    for student_id, reason in leavers:
        when = on()
        rows.append({"school_id": school_id, "student_id": student_id, "kind": "left", "date": when,
                     "reason": reason, "note": "", "order_id": order.id})
        db.session.execute(update(Student).where(Student.id == student_id).values(
            status="left", dropout_date=when, dropout_reason=reason))
    if rows:
        db.session.execute(insert(Movement), rows)
