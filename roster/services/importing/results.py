"""What an import makes of each row and of the file, and the reports a job keeps of it."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

@dataclass(slots=True, eq=False)
class RowResult:
    """One row of the file: its cleaned values, the student it matched and what the import makes of it.

    Slotted, and empty tuples until there is something to say: a 100,000-row file keeps 100,000 of them.
    """
    number: int  # the row's number in the file (the header is row 1)
    status: str = "new"  # new | update | unchanged | error
    errors: list[tuple[str, str]] | tuple = ()  # (column label, message)
    changes: list[str] | tuple = ()  # labels of the fields an update changes
    student_id: int | None = None
    cells: tuple = ()  # a failed row's cells as they are in the file, for the report of failed rows
    values: dict | None = None  # cleaned student fields
    links: dict | None = None  # programs/tags/sections -> names
    guardians: dict | list | None = None  # the file's {position: guardian}; for an update, the full list
    updates: dict | None = None  # the student's own fields an update changes, with their new values
    # A possible duplicate: ("student", id, name, reasons) or ("row", the earlier row's number, name, reasons),
    # and the admin's choice for it (importing.dedupe).
    duplicate: tuple | None = None
    choice: str | None = None
    keys: dict | None = None  # a new row's duplicate-detection keys (roster.services.duplicates.keys)

    @property
    def name(self) -> str:
        return " ".join(self.values.get(n) or "" for n in ("last_name", "first_name", "middle_name")).strip()

    def fail(self, column: str, message: str) -> None:
        if not self.errors:
            self.errors = []
        self.errors.append((column, message))
        self.status = "error"


@dataclass
class ImportResult:
    headers: list[str]
    rows: list[RowResult]
    unknown_columns: list[str]
    new_names: dict[str, list[str]]  # programs, tags, sections the file creates
    # A OneRoster file's people who are no students (teachers, parents) or are to be deleted: (name, reason).
    not_imported: list[tuple[str, str]] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for row in self.rows if row.status == status)

    @property
    def totals(self) -> dict[str, int]:
        return {"rows": len(self.rows), "new": self.count("new"), "update": self.count("update"),
                "unchanged": self.count("unchanged"), "error": self.count("error")}

    @property
    def possible_duplicates(self) -> int:
        return sum(1 for row in self.rows if row.duplicate)
