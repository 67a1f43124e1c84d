"""The columns an import reads: the template's, in its order, with labels, header aliases and links."""

from __future__ import annotations

import logging
import re

import tablib

from roster.models import (
    Program,
    Section,
    Tag,
    student_program,
    student_section,
    student_tag,
)
from roster.text import fold

log = logging.getLogger(__name__)

GUARDIAN_COLUMNS = (("full_name", "full name"), ("relation", "relation"), ("phone", "phone"), ("email", "email"),
                    ("workplace", "workplace"), ("position", "position"))
# The template's columns, in its order: (field, label shown in the app).
COLUMNS: list[tuple[str, str]] = [
    ("last_name", "Last name"), ("first_name", "First name"), ("middle_name", "Middle name"),
    ("email", "Email"), ("phone", "Phone"), ("personal_file_number", "Personal file number"),
    ("gender", "Gender"), ("birth_date", "Date of birth"),
    ("is_inclusive", "Is inclusive"), ("is_individual", "Is individual"),
    ("address", "Address"), ("extra_phone", "Extra phone"), ("extra_email", "Extra email"),
    ("dropout_date", "Drop-out date"), ("dropout_reason", "Drop-out reason"), ("dropout_note", "Drop-out note"),
    ("programs", "Programs"), ("tags", "Tags"), ("sections", "Sections"),
] + [(f"guardian{n}_{key}", f"Guardian {n} {label}") for n in (1, 2) for key, label in GUARDIAN_COLUMNS]
LABELS = dict(COLUMNS)
ERROR_COLUMN = "Error"
LINKS = {"programs": (Program, student_program), "tags": (Tag, student_tag), "sections": (Section, student_section)}
LINK_SEPARATOR = ";"
CHUNK = 1000  # ids per IN (...) and rows per progress report: SQLite takes at most 32,766 parameters


def _header_key(text) -> str:
    """"Date of birth", "date_of_birth" and "DATE OF BIRTH:" all give "dateofbirth"."""
    return re.sub(r"[\W_]+", "", fold(str(text or "")))


HEADER_ALIASES = {_header_key(name): name for name, _ in COLUMNS}
HEADER_ALIASES |= {_header_key(label): name for name, label in COLUMNS}
HEADER_ALIASES |= {_header_key(alias): name for alias, name in (
    ("Surname", "last_name"), ("Patronymic", "middle_name"), ("Birth date", "birth_date"), ("Sex", "gender"),
    ("File number", "personal_file_number"), ("Guardian 1 name", "guardian1_full_name"),
    ("Guardian 2 name", "guardian2_full_name"),
)}


# Columns an export writes that Roster keeps itself: read back as known and left alone, never "unknown".
EXPORTED_ONLY = {_header_key(label) for label in ("Full name", "Account status", "Source", "Created")}


def _chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def template() -> tablib.Dataset:
    return tablib.Dataset(headers=[label for _, label in COLUMNS])
