"""The columns an import reads: the template's, in its order, with labels, header aliases and links."""

from __future__ import annotations

import logging
import re
from contextvars import ContextVar

import tablib
from flask_babel import gettext

from roster import fields
from roster.i18n import LANGUAGES, N_, in_every_language, translator
from roster.text import fold

log = logging.getLogger(__name__)

# The template's columns, in its order: roster.fields says which, with their labels and aliases.
TEMPLATE = fields.TEMPLATE
GUARDIANS_IN_FILE = (1, 2)


# A guardian's columns: one message each (never "Guardian" + a label), numbered in the file.
GUARDIAN_HEADERS = {
    "full_name": N_("Guardian %(number)s full name"), "relation": N_("Guardian %(number)s relation"),
    "phone": N_("Guardian %(number)s phone"), "email": N_("Guardian %(number)s email"),
    "workplace": N_("Guardian %(number)s workplace"), "position": N_("Guardian %(number)s position"),
}


def _guardian_header(number: int, key: str, translate=lambda text: text) -> str:
    return translate(GUARDIAN_HEADERS[key]) % {"number": number}


# (field, its English header): the template's columns. A file's headers are read in English, Russian and Kazakh.
COLUMNS: list[tuple[str, str]] = [(name, fields.STUDENT[name].label) for name in TEMPLATE] + [
    (f"guardian{n}_{key}", _guardian_header(n, key))
    for n in GUARDIANS_IN_FILE for key in fields.GUARDIAN]
LABELS = {name: header for name, header in COLUMNS} | {"full_name": fields.STUDENT["full_name"].label}
ERROR_COLUMN = "Error"
NAME_FIELDS = ("last_name", "first_name", "middle_name")
# The file's own headers by field, while its rows are read: a row's error names the column as the file does.
file_headers: ContextVar[dict[str, str] | None] = ContextVar("file_headers", default=None)


def column_label(name: str) -> str:
    """How a report names a field's column: the file's own header (the ФИО column for a name split from it),
    else Roster's label."""
    headers = file_headers.get() or {}
    if name in headers:
        return headers[name]
    if name in NAME_FIELDS and "full_name" in headers:
        return headers["full_name"]
    return LABELS[name]
LINK_SEPARATOR = ";"
CHUNK = 1000  # ids per IN (...) and rows per progress report: SQLite takes at most 32,766 parameters


def header_key(text) -> str:
    """"Date of birth", "date_of_birth" and "DATE OF BIRTH:" all give "dateofbirth"."""
    return re.sub(r"[\W_]+", "", fold(str(text or "")))


HEADER_ALIASES = {header_key(name): name for name, _ in COLUMNS}
HEADER_ALIASES |= {header_key(label): name for name, label in COLUMNS[:len(TEMPLATE)]
                   for label in in_every_language(label)}
HEADER_ALIASES |= {header_key(_guardian_header(n, key, translate)): f"guardian{n}_{key}"
                   for n in GUARDIANS_IN_FILE for key in fields.GUARDIAN for translate in map(translator, LANGUAGES)}
HEADER_ALIASES |= {header_key(alias): name for name in TEMPLATE for alias in fields.STUDENT[name].aliases}
HEADER_ALIASES |= {header_key(f"{prefix} {n} {alias}"): f"guardian{n}_{key}"
                   for n in GUARDIANS_IN_FILE for key, field in fields.GUARDIAN.items()
                   for prefix in fields.GUARDIAN_PREFIXES for alias in (field.header or field.label, *field.aliases)}
# A single full-name column (ФИО: very common in office lists) is split into the three names, unless the file
# has the names in columns of their own.
HEADER_ALIASES |= {header_key(alias): "full_name"
                   for alias in (*in_every_language("Full name"), *fields.STUDENT["full_name"].aliases)}


# Columns an export writes that Roster keeps itself: read back as known and left alone, never "unknown".
EXPORTED_ONLY = {header_key(text) for label in fields.EXPORTED_ONLY for text in in_every_language(label)}


def chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def template(country: str | None = None) -> tablib.Dataset:
    """The import template, headed in the language of the page that downloads it, with the columns a school of
    that country has (an IIN column in Kazakhstan, SNILS in Russia, neither elsewhere)."""
    hidden = fields.hidden_for(country)
    return tablib.Dataset(headers=[
        *(str(fields.label(name)) for name in TEMPLATE if name not in hidden),
        *(_guardian_header(n, key, gettext) for n in GUARDIANS_IN_FILE for key in fields.GUARDIAN)])
