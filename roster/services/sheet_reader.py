"""Reading a spreadsheet upload (XLSX, ODS) in a process of its own.

python-calamine is fast, but it is native code that aborts the whole interpreter when a file makes it ask for
more memory than there is (one cell at XFD1048576 is 17 billion cells). Run in the web process or a worker, such
a 2 KB file would stop every school's service; run here, in a child with a memory limit and a time limit, it
only ends the child, and the upload is refused with a message.

The child writes the rows back as JSON (never pickle: its input is a stranger's file), one cell a JSON value
and dates tagged. This file runs as a script (`python -I sheet_reader.py`), so it imports nothing of Roster.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, datetime, time, timedelta


class Unreadable(Exception):
    """The child could not read the file: too large once read, too slow, or damaged."""


def read_rows(data: bytes, *, max_rows: int | None, memory_bytes: int, seconds: float) -> list[list]:
    """The first sheet's rows (at most max_rows of them), as the reader gives them."""
    from flask_babel import gettext as _  # here: the child process runs this file alone, without Flask

    command = [sys.executable, "-I", os.path.abspath(__file__), str(max_rows or 0), str(memory_bytes)]
    try:
        done = subprocess.run(command, input=data, capture_output=True, timeout=seconds, check=False)
    except subprocess.TimeoutExpired:
        raise Unreadable(_("reading it took more than %(seconds)s seconds", seconds=round(seconds))) from None
    if done.returncode == 2:
        raise Unreadable("damaged: " + done.stderr.decode(errors="replace").strip()[-300:])
    if done.returncode != 0:
        raise Unreadable(_("its reader stopped (exit %(code)s): it asks for more memory than a list needs",
                             code=done.returncode))
    return _decode(json.loads(done.stdout))


TAGS = {"d": date.fromisoformat, "t": datetime.fromisoformat, "h": time.fromisoformat,
        "s": lambda seconds: timedelta(seconds=seconds)}


def _decode(rows: list[list]) -> list[list]:
    # A cell that is a list is a tagged value: ["d", "2011-03-14"]. No plain cell is ever a list.
    for row in rows:
        for i, value in enumerate(row):
            if type(value) is list:
                row[i] = TAGS[value[0]](value[1])
    return rows


def _encode(value):
    if isinstance(value, datetime):
        return ["t", value.isoformat()]
    if isinstance(value, date):
        return ["d", value.isoformat()]
    if isinstance(value, time):
        return ["h", value.isoformat()]
    if isinstance(value, timedelta):
        return ["s", value.total_seconds()]
    return value


def _child(max_rows: int, memory_bytes: int) -> int:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    import python_calamine

    data = sys.stdin.buffer.read()
    try:
        import io

        sheet = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
        rows = []
        for row in sheet.iter_rows():
            rows.append([_encode(value) for value in row])
            if max_rows and len(rows) >= max_rows:
                break
    except Exception as exc:  # calamine raises its own kinds for a broken workbook
        sys.stderr.write(f"{type(exc).__name__}: {exc}")
        return 2
    sys.stdout.buffer.write(json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode())
    return 0


if __name__ == "__main__":
    sys.exit(_child(int(sys.argv[1]), int(sys.argv[2])))
