"""Load: 200 concurrent sign-ins, then 50 parallel filtered Students lists, against gunicorn on 127.0.0.1.

    .venv/bin/python bench/load_bench.py

Runs Roster as in production (gunicorn, 4 workers) on a fresh SQLite file with the demo's two schools, the
sign-in limit per address raised (every request here comes from 127.0.0.1). Each person signs in with the
page's own form (its CSRF token), then lists their school's students filtered by a name; the run fails on any
500 and on any page that shows the other school's students. Bounded: a fixed number of requests, 127.0.0.1 only.
"""

import http.cookiejar
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIGN_INS = int(os.environ.get("BENCH_SIGN_INS", "200"))
LISTS = int(os.environ.get("BENCH_LISTS", "50"))
PASSWORD = "roster-demo-2026"
SCHOOLS = (("admin@gv.roster.example", "Green Valley School", "Школа № 17"),
           ("admin@s17.roster.example", "Школа № 17", "Green Valley School"))
TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Person:
    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def open(self, path: str, data: dict | None = None) -> tuple[int, str, float]:
        started = time.perf_counter()
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, body, timeout=60) as response:
                return response.status, response.read().decode(), time.perf_counter() - started
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace"), time.perf_counter() - started

    def sign_in(self, login: str) -> tuple[int, float]:
        status, page, _ = self.open("/login")
        token = TOKEN.search(page)[1]
        status, page, took = self.open("/login", {"csrf_token": token, "login": login, "password": PASSWORD})
        return (200 if "Sign out" in page or "/logout" in page else status), took


def run_all(count: int, work) -> list:
    results = [None] * count
    barrier = threading.Barrier(count)

    def one(n):
        barrier.wait()
        results[n] = work(n)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    return results


def main() -> None:
    folder = tempfile.mkdtemp(prefix="roster-load-")
    port = free_port()
    env = {**os.environ, "DATABASE_URL": "sqlite:///" + os.path.join(folder, "load.db"),
           "SECRET_KEY": "load-bench", "ROSTER_SESSION_COOKIE_SECURE": "false",
           "ROSTER_SIGN_IN_LIMIT_PER_ADDRESS": "100000 per minute", "ROSTER_TWO_FACTOR_REQUIRED": "false"}
    env.pop("CELERY_BROKER_URL", None)
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    subprocess.run(flask + ["db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run(flask + ["roster", "demo"], cwd=ROOT, env=env, check=True, capture_output=True)
    server = subprocess.Popen([os.path.join(os.path.dirname(sys.executable), "gunicorn"), "--workers", "4",
                               "--threads", "4", "--bind", f"127.0.0.1:{port}", "app:app"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/login", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        people = [Person(base) for _ in range(max(SIGN_INS, LISTS))]
        signed = run_all(SIGN_INS, lambda n: people[n].sign_in(SCHOOLS[n % 2][0]))
        failed = [status for status, _ in signed if status != 200]
        times = sorted(took for _, took in signed)
        print(f"{SIGN_INS} concurrent sign-ins: {len(failed)} failed {sorted(set(failed))}; median "
              f"{statistics.median(times):.2f} s, p90 {times[int(len(times) * 0.9)]:.2f} s, max {times[-1]:.2f} s")

        def listing(n):
            _, own, other = SCHOOLS[n % 2]
            status, page, took = people[n].open("/admin/students/?flt0_0=" + urllib.parse.quote("а"))
            return status, own in page and other not in page, took

        listed = run_all(LISTS, listing)
        wrong = [n for n, (status, right, _) in enumerate(listed) if status != 200 or not right]
        times = sorted(took for *_, took in listed)
        print(f"{LISTS} parallel filtered lists: {len(wrong)} wrong or failed; median "
              f"{statistics.median(times):.2f} s, p90 {times[int(len(times) * 0.9)]:.2f} s, max {times[-1]:.2f} s")
        if failed or wrong:
            raise SystemExit(1)
    finally:
        server.terminate()
        errors = server.communicate(timeout=30)[1].decode(errors="replace")
        if "Traceback" in errors:
            print(errors)
            raise SystemExit(1)


if __name__ == "__main__":
    main()
