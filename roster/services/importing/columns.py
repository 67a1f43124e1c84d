"""The columns an import reads: the template's, in its order, with labels, header aliases and links."""

from __future__ import annotations

import logging
import re

import tablib

from roster import fields
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

# The template's columns, in its order: (field, header); labels and aliases are roster.fields'.
TEMPLATE = ("last_name", "first_name", "middle_name", "email", "phone", "personal_file_number", "gender", "birth_date",
            "is_inclusive", "is_individual", "address", "extra_phone", "extra_email", "dropout_date", "dropout_reason",
            "dropout_note", "programs", "tags", "sections")
GUARDIANS_IN_FILE = (1, 2)


def _guardian_header(number: int, field: fields.Field) -> str:
    return f"Guardian {number} {(field.header or field.label).lower()}"


COLUMNS: list[tuple[str, str]] = [(name, fields.label(name)) for name in TEMPLATE] + [
    (f"guardian{n}_{key}", _guardian_header(n, field))
    for n in GUARDIANS_IN_FILE for key, field in fields.GUARDIAN.items()]
LABELS = dict(COLUMNS) | {"full_name": fields.label("full_name")}
ERROR_COLUMN = "Error"
LINKS = {"programs": (Program, student_program), "tags": (Tag, student_tag), "sections": (Section, student_section)}
LINK_SEPARATOR = ";"
CHUNK = 1000  # ids per IN (...) and rows per progress report: SQLite takes at most 32,766 parameters


def _header_key(text) -> str:
    """"Date of birth", "date_of_birth" and "DATE OF BIRTH:" all give "dateofbirth"."""
    return re.sub(r"[\W_]+", "", fold(str(text or "")))


HEADER_ALIASES = {_header_key(name): name for name, _ in COLUMNS}
HEADER_ALIASES |= {_header_key(label): name for name, label in COLUMNS}
HEADER_ALIASES |= {_header_key(alias): name for name in TEMPLATE for alias in fields.STUDENT[name].aliases}
HEADER_ALIASES |= {_header_key(f"{prefix} {n} {alias}"): f"guardian{n}_{key}"
                   for n in GUARDIANS_IN_FILE for key, field in fields.GUARDIAN.items()
                   for prefix in fields.GUARDIAN_PREFIXES for alias in (field.header or field.label, *field.aliases)}
# A single full-name column (ФИО: very common in office lists) is split into the three names, unless the file
# has the names in columns of their own.
HEADER_ALIASES |= {_header_key(alias): "full_name" for alias in ("Full name", *fields.STUDENT["full_name"].aliases)}


# Columns an export writes that Roster keeps itself: read back as known and left alone, never "unknown".
EXPORTED_ONLY = {_header_key(label) for label in fields.EXPORTED_ONLY}


def _chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def template() -> tablib.Dataset:
    return tablib.Dataset(headers=[label for _, label in COLUMNS])
