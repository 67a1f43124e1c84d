"""Median time of one Invite submit of 1,000 addresses (mails written to the log and queued, not yet sent).

    .venv/bin/python bench/invite_bench.py                      # SQLite in bench/out/invite.db
    export BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/roster_invite_bench
    .venv/bin/python bench/invite_bench.py                      # PostgreSQL
"""

import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.generate import HERE, recreate  # noqa: E402
from roster import create_app, tasks  # noqa: E402
from roster.extensions import db  # noqa: E402
from roster.services import accounts, schools  # noqa: E402
from tests.helpers import csrf_from  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "7"))
ADMIN, PASSWORD = "invite-admin@roster.example", "bench-password-2026"


def main() -> None:
    url = os.environ.get("BENCH_DATABASE_URL") or "sqlite:///" + os.path.join(HERE, "out", "invite.db")
    recreate(url)
    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url, "SESSION_COOKIE_SECURE": False,
                      "SIGN_IN_LIMIT_PER_ADDRESS": "1000 per minute"})
    with app.app_context():
        db.create_all()
        admin = accounts.create_user(ADMIN, password=PASSWORD, is_platform_admin=True)
        db.session.commit()
        schools.create("Invite School", actor=admin)
    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"login": ADMIN, "password": PASSWORD, "csrf_token": token})
    token = csrf_from(client.get("/admin/invite/").get_data(as_text=True))
    times = []
    for run in range(RUNS + 1):
        addresses = "\n".join(f"student{run}-{n}@example.org" for n in range(1000))
        started = time.perf_counter()
        response = client.post("/admin/invite/", data={"emails": addresses, "csrf_token": token})
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200 and "1000 invitations sent." in response.get_data(as_text=True)
        tasks.wait_for_background_work(app, timeout=300)  # let the mail log settle; not timed
        if run:  # the first run warms caches
            times.append(elapsed)
    print(f"{url}: invite 1,000 addresses in one submit, median {statistics.median(times):.0f} ms "
          f"(min {min(times):.0f}, max {max(times):.0f}, {len(times)} runs)")


if __name__ == "__main__":
    main()
