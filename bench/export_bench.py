"""Export the big school's list (100,000 rows) and a 10,000-row filter of it, to CSV and XLSX, through the app.

Each export runs in a fresh process, so that its peak memory (ru_maxrss) is its own. Needs bench/generate.py first.

    .venv/bin/python bench/export_bench.py            # SQLite; BENCH_DATABASE_URL=... for PostgreSQL
"""

import json
import os
import resource
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

RUNS = int(os.environ.get("BENCH_RUNS", "3"))
CASES = {"100,000 rows": "", "10,170 rows (name 'иванов')": "&flt0_0=иванов"}


def child(fmt: str, query: str) -> None:
    from bench.generate import BENCH_ADMIN, BENCH_PASSWORD, bench_app
    from tests.helpers import csrf_from

    app = bench_app()
    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"login": BENCH_ADMIN, "password": BENCH_PASSWORD, "csrf_token": token})
    client.get("/admin/students/")  # warm up, then measure the export alone
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    response = client.get(f"/admin/students/export?format={fmt}{query}")
    size = sum(len(block) for block in response.response)  # read the stream as a browser would
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": elapsed, "peak_mb": peak / 1024, "grew_mb": (peak - before) / 1024, "bytes": size}))


def main() -> None:
    print(os.environ.get("BENCH_DATABASE_URL") or "sqlite (bench/out/bench.db)", f"- median of {RUNS} runs")
    for fmt in os.environ.get("BENCH_FORMATS", "csv,xlsx").split(","):
        for name, query in CASES.items():
            results = []
            for _ in range(RUNS):
                out = subprocess.run([sys.executable, __file__, "child", fmt, query], capture_output=True, text=True,
                                     check=True).stdout
                results.append(json.loads(out.strip().splitlines()[-1]))
            print(f"  {fmt:<4} {name:<28} {statistics.median(r['seconds'] for r in results):6.1f} s   "
                  f"peak {statistics.median(r['peak_mb'] for r in results):5.0f} MB "
                  f"(+{statistics.median(r['grew_mb'] for r in results):4.0f} MB during the export)   "
                  f"{results[0]['bytes'] / 1e6:.1f} MB file")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "child":
        child(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "")
    else:
        main()
