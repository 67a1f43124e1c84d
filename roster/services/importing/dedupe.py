"""An import's possible duplicates: a new row that looks like a student of the school, or like an earlier row of
the same file, is marked with the match and its reasons (roster.services.duplicates); the admin's choice for the
row (import as new, update that student, skip) holds for the run."""

from __future__ import annotations

from roster.services import duplicates
from roster.services.importing.results import RowResult

NEW, UPDATE, SKIP = "new", "update", "skip"
CHOICES = (NEW, UPDATE, SKIP)
# Unless the admin chooses: a row like a student of the list waits (skipped: nothing is written twice); a row
# like an earlier row of the file is imported (the earlier row may be the one that is skipped).
DEFAULT = {"student": SKIP, "row": NEW}


def _guardians(row: RowResult) -> list[dict]:
    if row.guardians is None:
        return []
    return row.guardians if isinstance(row.guardians, list) else list(row.guardians.values())


def mark(rows: list[RowResult], school_id: int, choices: dict[str, str]) -> None:
    """Mark the new rows that may be duplicates and apply the admin's choice for each (by row number)."""
    new = [row for row in rows if row.status == "new" and not row.student_id]
    people = [duplicates.person(row.values, _guardians(row)) for row in new]
    people_keys = [duplicates.keys(p) for p in people]
    for row, row_keys in zip(new, people_keys, strict=True):
        row.keys = row_keys  # written with the student (writing._insert_new), not made twice
    of_students = duplicates.matches(people, school_id, people_keys)
    of_rows = duplicates.within(people, people_keys)
    for position, row in enumerate(new):
        if position in of_students:
            match = of_students[position][0]
            row.duplicate = ("student", match.student_id, match.name, tuple(match.reasons))
        elif position in of_rows:
            match = of_rows[position]
            row.duplicate = ("row", new[match.student_id].number, match.name, tuple(match.reasons))
        else:
            continue
        kind = row.duplicate[0]
        choice = choices.get(str(row.number))
        if choice not in CHOICES or (choice == UPDATE and kind != "student"):
            choice = DEFAULT[kind]
        row.choice = choice
        if choice == SKIP:
            row.status = "skipped"
        elif choice == UPDATE:
            row.student_id = row.duplicate[1]
