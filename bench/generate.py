"""Generate a platform of 1,000 schools of 1,000 students plus one school of 100,000, for the benchmarks.

    .venv/bin/python bench/generate.py                       # SQLite: bench/out/bench.db
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/roster_bench .venv/bin/python bench/generate.py

Other sizes: BENCH_SCHOOLS (small schools, 1,000), BENCH_SCHOOL_SIZE (1,000), BENCH_BIG_SIZE (100,000). The
5,000,000-student platform of issue 29 (5,000 schools of 1,000 and one of 200,000; about 9 minutes on SQLite):

    BENCH_SCHOOLS=4999 BENCH_BIG_SIZE=200000 BENCH_DATABASE_URL=sqlite:///$PWD/bench/out/bench_5m.db \
        .venv/bin/python bench/generate.py
"""

import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import create_engine, insert, select, text  # noqa: E402

from roster import create_app  # noqa: E402
from roster.extensions import db  # noqa: E402
from roster.models import (  # noqa: E402
    Membership,
    Program,
    School,
    Student,
    Tag,
    User,
    student_program,
    student_tag,
)
from roster.services import accounts, students  # noqa: E402
from roster.text import name_search_key, normalize_phone  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SMALL_SCHOOLS = int(os.environ.get("BENCH_SCHOOLS", "1000"))
SMALL_SIZE = int(os.environ.get("BENCH_SCHOOL_SIZE", "1000"))
BIG_SIZE = int(os.environ.get("BENCH_BIG_SIZE", "100000"))
BIG_SLUG = "big-school"
BENCH_ADMIN = "bench-admin@roster.example"
BENCH_PASSWORD = "bench-password-2026"
# Names built from parts, so that a big school has thousands of surnames, as real ones do.
STEMS = ["Иван", "Петр", "Сидор", "Смирн", "Кузнец", "Поп", "Сокол", "Лебед", "Козл", "Новик", "Мороз", "Волк",
         "Алексе", "Фёдор", "Ахмет", "Нурлан", "Сейтказ", "Жумаб", "Абдрахман", "Касым", "Серик", "Ерлан", "Бектас",
         "Макар", "Никит", "Орл", "Павл", "Семён", "Тарас", "Ульян", "Фрол", "Харит", "Цвет", "Чернышев", "Шишк",
         "Щерб", "Юсуп", "Ярослав", "Белоус", "Гусе", "Дьяч", "Ермак", "Жук", "Зуб", "Игнать", "Калин", "Ларион",
         "Медвед", "Нестер", "Осип", "Прохор", "Родион", "Савел", "Тимоф", "Устин", "Филипп", "Хохл", "Цыган"]
SUFFIXES = ["ов", "ев", "ин", "енко", "баев", "ский", "ук", "улы"]
LATIN = ["Smith", "Johnson", "Brown", "Taylor", "Wilson", "Davies", "Evans", "Walker", "Wright", "Green", "Hall",
         "Wood", "Clarke", "Turner", "Hill", "Moore", "Cooper", "Ward", "Morris", "King", "Baker", "Harris"]
LAST = [stem + suffix for stem in STEMS for suffix in SUFFIXES] + [
    f"{a}-{b}" for a in LATIN for b in LATIN if a != b]
FIRST = ["Пётр", "Иван", "Анна", "Мария", "Алёна", "Тимур", "Арман", "Данияр", "Айгерим", "Дарья", "Елена",
         "Ольга", "Сергей", "Дмитрий", "Никита", "Артём", "Софья", "Полина", "Камила", "Ерлан", "Асель", "Диана",
         "Oliver", "Emily", "Jack", "Grace", "Harry", "Isla", "Noah", "Ava", "Leo", "Mia", "Oscar", "Freya"]
MIDDLE = ["Петрович", "Ивановна", "Сергеевич", "Алексеевна", "Дмитриевич", "Нурланович", "", "", "", ""]
TAGS = ["Choir", "Olympiad", "Scholarship", "Sports team", "Needs support", "Robotics", "Chess", "Drama"]
PROGRAMS = ["General", "STEM", "Humanities", "Languages"]


def database_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL") or "sqlite:///" + os.path.join(HERE, "out", "bench.db")


def bench_app():
    return create_app({
        "TESTING": False, "DEBUG": False, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": database_url(),
        "SESSION_COOKIE_SECURE": False, "WTF_CSRF_ENABLED": True,
        "TWO_FACTOR_REQUIRED": False,  # the benchmarks time the pages, not the second sign-in step
    })


def recreate(url: str) -> None:
    if url.startswith("sqlite"):
        os.makedirs(os.path.join(HERE, "out"), exist_ok=True)
        path = url.split("///", 1)[1]
        if os.path.exists(path):
            os.remove(path)
        return
    server, name = url.rsplit("/", 1)
    engine = create_engine(server + "/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()


def students_of(school_id: int, count: int, rng: random.Random, start: int):
    for n in range(count):
        last, first, middle = rng.choice(LAST), rng.choice(FIRST), rng.choice(MIDDLE)
        phone = f"+7 70{rng.randint(0, 9)} {rng.randint(100, 999)}-{rng.randint(10, 99)}-{rng.randint(10, 99)}"
        yield {
            "school_id": school_id, "last_name": last, "first_name": first, "middle_name": middle,
            "search_key": name_search_key(last, first, middle), "email": f"s{start + n}@bench.example",
            "phone": phone, "phone_normalized": normalize_phone(phone), "personal_file_number": f"PF-{start + n}",
            "gender": "male", "is_inclusive": n % 20 == 0, "is_individual": n % 30 == 0,
            "account_status": "pending" if n % 25 == 0 else "no_account", "source": "import",
        }


def add_school(name: str, slug: str, size: int, rng: random.Random, start: int) -> int:
    school = School(name=name, slug=slug, signup_token=f"token-{slug}")
    db.session.add(school)
    db.session.flush()
    tags = [Tag(school_id=school.id, name=t) for t in TAGS]
    programs = [Program(school_id=school.id, name=p) for p in PROGRAMS]
    db.session.add_all(tags + programs)
    db.session.flush()
    batch = 20_000
    rows = list(students_of(school.id, size, rng, start))
    for i in range(0, len(rows), batch):
        db.session.execute(insert(Student), rows[i:i + batch])
    rows = db.session.execute(select(Student.id, Student.school_id, Student.search_key)
                              .where(Student.school_id == school.id).order_by(Student.id)).all()
    for i in range(0, len(rows), batch):
        students.index_names(rows[i:i + batch])
    ids = [row.id for row in rows]
    program_links = [{"student_id": sid, "program_id": programs[i % len(programs)].id} for i, sid in enumerate(ids)]
    tag_links = [{"student_id": sid, "tag_id": tags[(i * 7 + k) % len(tags)].id}
                 for i, sid in enumerate(ids) for k in range(i % 3)]
    for table, links in ((student_program, program_links), (student_tag, tag_links)):
        for i in range(0, len(links), batch):
            db.session.execute(insert(table), links[i:i + batch])
    return school.id


def main() -> None:
    url = database_url()
    recreate(url)
    app = bench_app()
    started = time.perf_counter()
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        rng = random.Random(1)
        big_id = add_school("Big School", BIG_SLUG, BIG_SIZE, rng, 0)
        admin = accounts.create_user(BENCH_ADMIN, password=BENCH_PASSWORD)
        db.session.flush()
        db.session.add(Membership(user_id=admin.id, school_id=big_id, role="admin"))
        db.session.commit()
        for n in range(SMALL_SCHOOLS):
            add_school(f"School {n:04d}", f"school-{n:04d}", SMALL_SIZE, rng, BIG_SIZE + n * SMALL_SIZE)
            if n % 100 == 99:
                db.session.commit()
                print(f"  {n + 1} schools", flush=True)
        db.session.commit()
        # A settled database, as production's is after autovacuum: statistics, and on PostgreSQL the visibility
        # map that makes index-only scans read no table pages (it changes which plans win).
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE" if url.startswith("postgresql") else "ANALYZE"))
        total = db.session.scalar(select(db.func.count(Student.id)))
        assert db.session.scalar(select(User.id).where(User.email == BENCH_ADMIN))
    print(f"{total} students in {time.perf_counter() - started:.0f} s at {url}")


if __name__ == "__main__":
    main()
