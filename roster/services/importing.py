"""Importing a student list from CSV, XLSX or ODS (flow 2 of design.md).

read_file() turns an upload into a tablib.Dataset, or says clearly why it cannot. import_students() checks every
row, matches it to the school's students (personal file number, else email) and writes the file in bulk, in
one transaction: a dry run (the preview) is the very same code, rolled back. Jobs (ImportJob) carry a file from
the upload through the preview to the run, on a Celery worker or in a thread of the web process.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import gc
import io
import itertools
import logging
import posixpath
import re
import zipfile
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NamedTuple

import charset_normalizer
import tablib
from flask import current_app
from sqlalchemy import and_, delete, func, insert, or_, select, text, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import defer

from roster import permissions
from roster.errors import NotFound, RosterError
from roster.extensions import db
from roster.models import (
    AccountStatus,
    Guardian,
    ImportJob,
    ImportStatus,
    Program,
    Section,
    Source,
    Student,
    Tag,
    student_name_part,
    student_program,
    student_section,
    student_tag,
    utcnow,
)
from roster.services import audit, sheet_reader
from roster.services import students as student_service
from roster.services.exporting import DANGEROUS_STARTS
from roster.sql import id_in
from roster.text import fold, name_parts, name_search_key
from roster.urls import clean_file_name

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


class FileNotAccepted(RosterError):
    """The file as a whole cannot be imported; the message says why and what to do."""


# Reading files.

def read_file(data: bytes, file_name: str) -> tablib.Dataset:
    """Read a CSV (see text_encoding; comma, semicolon or tab), XLSX or ODS upload."""
    with _without_gc():
        return _dataset(_rows(data, file_name))


CHECK_ROWS = 10_000  # rows of a spreadsheet read at upload, to find its header and a first student


def check_file(data: bytes, file_name: str) -> list[str]:
    """Check an upload without reading all of it: its kind, size, header and at least one student; the header."""
    dataset = _dataset(_rows(data, file_name, max_rows=CHECK_ROWS), stop_after=1)
    match_headers(dataset.headers)
    if not len(dataset):
        raise FileNotAccepted("The file has a header row but no students under it.")
    return dataset.headers


def _rows(data: bytes, file_name: str, max_rows: int | None = None):
    cfg = current_app.config
    if len(data) > cfg["IMPORT_MAX_BYTES"]:
        raise FileNotAccepted(f"The file is {len(data) / 1048576:.1f} MB; files up to "
                              f"{cfg['IMPORT_MAX_BYTES'] // 1048576} MB are taken. Split it into smaller files.")
    if not data.strip():
        raise FileNotAccepted("The file is empty.")
    extension = file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
    if extension in WORKBOOKS:
        rows = _workbook_rows(data, WORKBOOKS[extension], max_rows)
    elif extension in ("csv", "txt", "tsv"):
        rows = _csv_rows(data)
    else:
        raise FileNotAccepted("Upload a CSV, XLSX or ODS file (File → Save as → CSV, Excel workbook or "
                              "OpenDocument spreadsheet).")
    return rows


def _csv_rows(data: bytes):
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text": UTF-16, its BOM tells the order
        try:
            data = data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            raise FileNotAccepted("This file starts as UTF-16 text but is damaged further on. Save the list as "
                                  "“CSV UTF-8” and upload that file.") from None
    if b"\x00" in data[:8192] or data.startswith((b"%PDF", b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise FileNotAccepted("This file is not a CSV text file, whatever its name says. Save the list as CSV "
                              "(or XLSX) from your spreadsheet program and upload that.")
    encoding = text_encoding(data)
    if encoding == "utf-8-sig":
        encoding, data = "utf-8", data[3:]
    first_line = next((line for line in data[:65536].splitlines() if line.strip()), b"")
    delimiter = max(";,\t", key=lambda d: first_line.count(d.encode()))
    # Decoded as it is read: the whole file as one str would be its size twice over (four times as a StringIO).
    text = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, errors="replace", newline="")
    # A long cell is that row's error (IMPORT_MAX_CELL_CHARS), never the csv module's 128 KB limit stopping all.
    csv.field_size_limit(max(csv.field_size_limit(), current_app.config["IMPORT_MAX_BYTES"]))
    return _read_csv(csv.reader(text, delimiter=delimiter))


def _read_csv(reader):
    try:
        yield from reader
    except csv.Error as exc:  # a NUL byte deep in the file, say
        raise FileNotAccepted(f"Line {reader.line_num} of the file cannot be read as CSV ({exc}). Save the list "
                              "as CSV from your spreadsheet program again and upload that.") from None


# The single-byte encodings a school's spreadsheet program saves CSV in here: Windows Cyrillic (Russian, and
# Kazakh without its own letters) and Windows Kazakh (KZ-1048).
SINGLE_BYTE = {"cp1251": "Windows-1251", "kz1048": "KZ-1048"}
ENCODINGS_ACCEPTED = "UTF-8 (with or without BOM), UTF-16 with BOM, " + ", ".join(SINGLE_BYTE.values())
DETECTION_SAMPLE = 256 * 1024
# The letters of the schools' languages beyond ASCII: Russian, and Kazakh's own.
SCHOOL_LETTERS = set("абвгдеёжзийклмнопрстуфхцчшщъыьэюя" "әғқңөұүһі")
WORD = re.compile(r"[^\W\d_]+")


def text_encoding(data: bytes) -> str:
    """The text encoding of a CSV: UTF-8 with a BOM, else UTF-8 when the bytes are UTF-8, else the single-byte
    encoding charset-normalizer finds among SINGLE_BYTE. Refused when unsure: never a list read as gibberish.

    The detector reads the lines with non-ASCII bytes (names; ASCII headers and numbers say nothing). On a few
    names it cannot tell Windows-1250 "Zażółć" (read as Windows-1251 "Zaїуіж", not one invalid byte) or KZ-1048
    "Қасымов" (Windows-1251 "Ќасымов") from the real thing, so each candidate's text is also read for the sign
    of a wrong guess: words that mix Latin and Cyrillic letters, or hold letters of neither Russian nor Kazakh.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    sample = b"\n".join(line for line in data[:DETECTION_SAMPLE].splitlines() if not line.isascii())
    readings: dict[str, tuple[int, str]] = {}  # text -> (its odd words, the first encoding that reads so)
    for match in charset_normalizer.from_bytes(sample, cp_isolation=list(SINGLE_BYTE)):
        text = str(match)
        words = [w for w in WORD.findall(text) if not w.isascii()]
        odd = sum(1 for w in words if _odd_word(w))
        if words and odd * 4 < len(words):
            readings.setdefault(text, (odd, match.encoding))
    ranked = sorted(readings.values())
    if ranked and (len(ranked) == 1 or ranked[0][0] < ranked[1][0]):
        return ranked[0][1]
    raise FileNotAccepted("Roster cannot tell for certain how this file's text is encoded, and will not guess "
                          f"(the names would come out garbled). Accepted: {ENCODINGS_ACCEPTED}. In your "
                          "spreadsheet program, save the list as “CSV UTF-8” and upload that file.")


def _odd_word(word: str) -> bool:
    latin = any(c.isascii() for c in word)
    other = [c for c in word if not c.isascii()]
    return bool(latin and other) or any(c.lower() not in SCHOOL_LETTERS for c in other)


# Spreadsheet files python-calamine reads alike: Excel's XLSX and LibreOffice Calc's own ODS (both zip archives).
WORKBOOKS = {"xlsx": ("XLSX", "Excel workbook (.xlsx)"), "ods": ("ODS", "OpenDocument spreadsheet (.ods)")}


def _workbook_rows(data: bytes, kind: tuple[str, str], max_rows: int | None):
    name, save_as = kind
    if not data.startswith(b"PK\x03\x04"):
        raise FileNotAccepted(f"This file is not an {name} spreadsheet, whatever its name says. "
                              f"Save it as {save_as} or CSV and upload it again.")
    cfg = current_app.config
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            # Sizes as the archive declares them; the reader never inflates an entry beyond its declared size.
            unpacked = sum(entry.file_size for entry in archive.infolist())
            if unpacked > cfg["IMPORT_MAX_UNPACKED_BYTES"]:
                raise FileNotAccepted(f"This {name} file unpacks to {unpacked / 1048576:,.0f} MB, more than the "
                                      f"{cfg['IMPORT_MAX_UNPACKED_BYTES'] // 1048576} MB allowed. Remove what is "
                                      "not the list, or save it as CSV.")
            if name == "XLSX":
                _check_extent(*_xlsx_extent(archive))
    except (zipfile.BadZipFile, KeyError, EOFError, zlib.error):
        raise FileNotAccepted(f"This {name} file is damaged and cannot be opened.") from None
    try:
        # A formula cell gives the value the spreadsheet last computed, never its formula: nothing is ever run.
        return sheet_reader.read_rows(data, max_rows=max_rows, memory_bytes=cfg["IMPORT_READER_MEMORY_BYTES"],
                                      seconds=cfg["IMPORT_READER_SECONDS"])
    except sheet_reader.Unreadable as exc:
        log.warning("A %s upload could not be read: %s", name, exc)
        raise FileNotAccepted(f"This {name} file cannot be read ({exc}). Open it in your spreadsheet program, "
                              f"copy the list to a new sheet and save it as {save_as} or CSV.") from None


# In an XLSX sheet: its declared extent (<dimension ref="A1:K200"/>), a cell beyond column ZZ (3 letters), and
# a row's or cell's number (the last rows say how far down it goes: rows come in order).
DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="(?:[A-Z]{1,3}[0-9]{1,7}:)?([A-Z]{1,3})([0-9]{1,7})"')
FAR_COLUMN = re.compile(rb'r="([A-Z]{3})[0-9]')  # a literal start is 10x faster than \sr=: the space is checked
ROW_NUMBER = re.compile(rb'\sr="[A-Z]{0,3}([0-9]{1,7})"')
SHEET_PATH = re.compile(rb'<(?:\w+:)?sheet\b[^>]*?\br:id="([^"]+)"')


def _xlsx_extent(archive: zipfile.ZipFile) -> tuple[int, int]:
    """How many rows and columns the first sheet spans, as the reader would allocate them: its declared
    dimension or its farthest cell, whichever is larger, found in one pass over its XML before the reader runs.
    (Columns up to ZZ are not counted: 702 columns of 110,000 rows are left to the reader's memory limit.)"""
    relation = SHEET_PATH.search(archive.read("xl/workbook.xml"))
    path = "xl/worksheets/sheet1.xml"
    if relation:
        target = re.search(rb'Id="' + re.escape(relation[1]) + rb'"[^>]*?Target="([^"]+)"|Target="([^"]+)"[^>]*?Id="'
                           + re.escape(relation[1]) + rb'"', archive.read("xl/_rels/workbook.xml.rels"))
        if target:
            found = (target[1] or target[2]).decode()
            path = found.lstrip("/") if found.startswith("/") else posixpath.normpath("xl/" + found)
    rows = columns = 0
    text = b""
    with archive.open(path) as sheet:
        while chunk := sheet.read(1 << 20):
            if not text and (declared := DIMENSION.search(chunk, 0, 4096)):  # it comes before the cells
                rows, columns = int(declared[2]), _column_number(declared[1])
            text = text[-64:] + chunk
            for far in FAR_COLUMN.finditer(text):
                if far.start() and text[far.start() - 1:far.start()].isspace():
                    columns = max(columns, _column_number(far[1]))
    rows = max([rows, *(int(n) for n in ROW_NUMBER.findall(text[-4096:]))])
    return rows, columns


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _check_extent(rows: int, columns: int) -> None:
    cfg = current_app.config
    if rows > cfg["IMPORT_MAX_ROWS"] + 10_000 or columns > 702 or rows * columns > cfg["IMPORT_MAX_SHEET_CELLS"]:
        raise FileNotAccepted(f"The first sheet spans {rows:,} rows and {columns:,} columns, far more than a list of "
                              "students: something lies far below or to the right of the list. Delete those rows "
                              "and columns (or copy the list to a new workbook) and upload again.")


def _dataset(rows, *, stop_after: int | None = None) -> tablib.Dataset:
    limit = current_app.config["IMPORT_MAX_ROWS"]
    dataset = tablib.Dataset()
    header = None
    count = 0
    shared: dict[str, str] = {}
    for row in rows:
        if header is None:
            header = [_plain(value) for value in row]
            while header and not header[-1]:
                header.pop()
            if not header:
                raise FileNotAccepted("The first row is empty: it should name the columns, as in the template.")
            longest = max(range(len(header)), key=lambda i: len(header[i]))
            if len(header[longest]) > HEADER_MAX_CHARS:
                raise FileNotAccepted(f"Column {longest + 1} of the first row is {len(header[longest]):,} "
                                      "characters long: the first row should name the columns (Last name, First "
                                      "name…), as in the template.")
            dataset.headers = header
            continue
        # One string object for each repeated value (first names, programs, "yes"): a file's cells are mostly
        # repeats, and 100,000 rows of separate copies cost tens of MB. The cache stops growing at a limit.
        values = [(shared.setdefault(v, v) if len(shared) < SHARED_LIMIT else shared.get(v, v))
                  if type(v) is str else v for v in row[:len(header)]]
        values += [None] * (len(header) - len(values))
        if any(v not in (None, "") for v in values):
            count += 1
            if count > limit:
                raise FileNotAccepted(f"The file has more than {limit:,} rows of students; import at most "
                                      f"{limit:,} at a time.")
        dataset.append(values)  # blank rows stay, so that row numbers stay the file's own
        if stop_after is not None and count >= stop_after:
            break
    if header is None:
        raise FileNotAccepted("The file is empty.")
    return dataset


SHARED_LIMIT = 50_000
HEADER_MAX_CHARS = 200  # a column's name; anything longer is no header row


def _plain(value) -> str:
    return "" if value is None else str(value).strip()


# Reading values.

TRUE_WORDS = {"yes", "y", "true", "t", "1", "да", "д", "+", "x", "on"}
FALSE_WORDS = {"no", "n", "false", "f", "0", "нет", "н", "-", "", "off"}
GENDER_WORDS = {"male": "male", "m": "male", "м": "male", "муж": "male", "мужской": "male", "boy": "male",
                "female": "female", "f": "female", "ж": "female", "жен": "female", "женский": "female",
                "girl": "female", "": ""}
# YYYY-MM-DD, or DD.MM.YYYY and DD/MM/YYYY (a two-digit year too): read by hand, strptime is slow at 100,000.
ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
DAY_FIRST_DATE = re.compile(r"^(\d{1,2})[./](\d{1,2})[./](\d{2}|\d{4})$")


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a spreadsheet's 12345.0 is the number 12345 (file numbers, phones)
    if isinstance(value, datetime):
        value = value.date() if value.time() == datetime.min.time() else value
    if isinstance(value, date):
        return value.isoformat()
    return _unescaped(str(value).strip())


def _unescaped(text: str) -> str:
    """Our own exports and error reports put an apostrophe before a formula character: take it off again."""
    if text[:1] == "'" and text[1:2] and text[1:2] in DANGEROUS_STARTS:
        return text[1:]
    return text


def _date(value):
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    return _date_from_text(text) if text else None


@functools.lru_cache(maxsize=8192)
def _date_from_text(text: str) -> date:
    """Cached: a school's birth dates span a few thousand days, and rows that share one share its object."""
    iso, day_first = ISO_DATE.match(text), DAY_FIRST_DATE.match(text)
    try:
        if iso:
            return date(int(iso[1]), int(iso[2]), int(iso[3]))
        if day_first:
            year = int(day_first[3])
            if len(day_first[3]) == 2:  # 31.05.12 is 2012; 31.05.95 is 1995
                year += 2000 if year <= date.today().year % 100 else 1900
            return date(year, int(day_first[2]), int(day_first[1]))
    except ValueError:
        pass
    raise ValueError(f"“{text[:40]}” is not a date: write it as YYYY-MM-DD or DD.MM.YYYY.")


def _bool(value) -> bool:
    if isinstance(value, bool):
        return value
    word = fold(_text(value))
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"“{_text(value)[:40]}” is not yes or no.")


def _gender(value) -> str:
    word = fold(_text(value)).rstrip(".")
    if word in GENDER_WORDS:
        return GENDER_WORDS[word]
    raise ValueError(f"“{_text(value)[:40]}” is not a gender: write male or female (or m, f).")


@functools.lru_cache(maxsize=4096)
def _names(value) -> tuple[str, ...]:
    """The names of one programs/tags/sections cell. Cached: a file repeats a few cells thousands of times, and
    the rows that repeat one share its tuple."""
    seen, names = set(), []
    for name in _text(value).split(LINK_SEPARATOR):
        name = " ".join(name.split())
        key = fold(name)
        if name and key not in seen:
            seen.add(key)
            names.append(name)
    return tuple(names)


CONVERTERS: dict[str, Callable] = {"birth_date": _date, "dropout_date": _date, "is_inclusive": _bool,
                                   "is_individual": _bool, "gender": _gender}


# Results.

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

    def count(self, status: str) -> int:
        return sum(1 for row in self.rows if row.status == status)

    @property
    def totals(self) -> dict[str, int]:
        return {"rows": len(self.rows), "new": self.count("new"), "update": self.count("update"),
                "unchanged": self.count("unchanged"), "error": self.count("error")}


# Matching headers.

def match_headers(headers: list[str]) -> tuple[dict[int, str], list[str]]:
    """Map column positions to fields; return the map and the names of the columns nobody knows."""
    mapping: dict[int, str] = {}
    unknown: list[str] = []
    seen: dict[str, str] = {}
    exported_only: list[str] = []
    for position, header in enumerate(headers):
        key = _header_key(header)
        name = HEADER_ALIASES.get(key)
        if name is None:
            if key in EXPORTED_ONLY:
                exported_only.append(header)  # ours: an export carries it back, and Roster keeps it itself
            elif header and key != _header_key(ERROR_COLUMN):  # our error report's own column: expected back
                unknown.append(header)
            continue
        if name in seen:
            raise FileNotAccepted(f"The columns “{seen[name]}” and “{header}” both hold {LABELS[name]}; "
                                  "keep one of them.")
        seen[name] = header
        mapping[position] = name
    missing = [LABELS[name] for name in student_service.REQUIRED if name not in seen]
    if missing and any(_header_key(h) == _header_key("Full name") for h in exported_only):
        raise FileNotAccepted(f"The file has a Full name column but no {' and no '.join(missing)} column. A full "
                              "name cannot be split reliably: give each name its own column, as Roster's exports "
                              "and the template do.")
    if not mapping:
        raise FileNotAccepted("No column of this file is one we know: the first row should name the columns, "
                              "as in the template (Last name, First name, Email…).")
    if missing:
        raise FileNotAccepted(f"The file has no {' and no '.join(missing)} column; every student needs one.")
    return mapping, unknown


# The import.

Progress = Callable[[int, int], None]


def import_students(dataset: tablib.Dataset, school_id: int, *, dry_run: bool, actor, file_name: str = "",
                    progress: Progress | None = None,
                    before_commit: Callable[[ImportResult], None] | None = None) -> ImportResult:
    """Check, match and write every row of the file in one transaction; roll it back when dry_run.

    Never stops at a bad row: each row gets its result, and the good ones are written. before_commit writes
    whatever must be saved exactly when the rows are (a job's end) in the same transaction.
    """
    permissions.require(actor, school_id, "students.import")
    mapping, unknown = match_headers(dataset.headers)
    with _without_gc():
        return _import(dataset, school_id, mapping, unknown, dry_run=dry_run, actor=actor, file_name=file_name,
                       progress=progress, before_commit=before_commit)


@contextlib.contextmanager
def _without_gc():
    """Pause the cyclic garbage collector while a file is read and imported: hundreds of thousands of small
    objects live until the end, and it would walk them again and again (a third of the time at 100,000 rows)
    to find nothing to free."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _import(dataset, school_id, mapping, unknown, *, dry_run, actor, file_name, progress,
            before_commit) -> ImportResult:
    fields = set(mapping.values())
    rows: list[RowResult] = []
    total = len(dataset)
    region = student_service.school_country(school_id)
    max_chars = current_app.config["IMPORT_MAX_CELL_CHARS"]
    for index, cells in enumerate(dataset):
        if not any(value not in (None, "") for value in cells):
            continue
        rows.append(_parse_row(index + 2, cells, mapping, region, max_chars))
        if progress and len(rows) % CHUNK == 0:
            progress(index + 1, total)
    _match(rows, school_id)
    _compare(rows, fields, school_id)
    for row in rows:
        if row.status == "error":
            row.cells = dataset[row.number - 2]  # the rows that failed go back to the user as they were
    if progress:
        progress(total, total)
    result = ImportResult(list(dataset.headers), rows, unknown, {})
    try:
        result.new_names = _write(rows, fields, school_id)
        if not dry_run:
            totals = result.totals
            audit.record("students imported", actor=actor, school_id=school_id, details={
                "file": file_name, "rows": totals["rows"], "created": totals["new"], "updated": totals["update"],
                "unchanged": totals["unchanged"], "errors": totals["error"]})
            if before_commit:
                before_commit(result)
    except BaseException:
        db.session.rollback()
        raise
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
        _refresh_statistics(result.count("new") + result.count("update"))
    return result


ANALYZE_AFTER_ROWS = 10_000
ANALYZED_TABLES = ("student", "student_name_part", "student_program", "student_tag", "student_section", "guardian")


def _refresh_statistics(written: int) -> None:
    """After a large import, update PostgreSQL's statistics at once, as its manual advises after a bulk load.

    Until autovacuum gets to it (never, where it is off), the planner takes the new rows for a handful and reads
    whole tables for the next import's lookups (0.12 s per thousand ids at 2 million name words). ANALYZE
    samples each table, blocks no reads or writes, and skips a table the app's database user does not own.
    """
    if written < ANALYZE_AFTER_ROWS or db.session.get_bind().dialect.name != "postgresql":
        return
    try:
        db.session.execute(text(f"ANALYZE {', '.join(ANALYZED_TABLES)}"))
        db.session.commit()
    except SQLAlchemyError:  # the import is committed: a job that did its work must not be reported failed
        db.session.rollback()
        log.warning("ANALYZE after an import failed", exc_info=True)


def _parse_row(number: int, cells, mapping: dict[int, str], region: str, max_chars: int) -> RowResult:
    """Read one row's cells (phones as written in region). An empty cell leaves the student's value as it is
    (only names are required); a cell longer than max_chars is the row's error."""
    row = RowResult(number)
    raw: dict = {}
    links: dict[str, tuple[str, ...]] = {}
    guardians: dict[int, dict] = {}
    for position, name in mapping.items():
        value = cells[position]
        if type(value) is str:  # most cells: read the text once
            value = _unescaped(value.strip())
            if len(value) > max_chars:
                row.fail(LABELS[name], f"The cell is {len(value):,} characters long; at most {max_chars:,} "
                                       "are taken.")
                continue
        if (value is None or value == "") and name not in student_service.REQUIRED:
            continue
        try:
            if name in CONVERTERS:
                raw[name] = CONVERTERS[name](value)
            elif name in LINKS:
                links[name] = _names(value)
            elif name[:8] == "guardian":
                guardians.setdefault(int(name[8]), {})[name[10:]] = _text(value)
            else:
                raw[name] = value if type(value) is str else _text(value)
        except ValueError as exc:
            row.fail(LABELS[name], str(exc))
    positions = sorted(guardians)
    if guardians:
        raw["guardians"] = [guardians[n] for n in positions]
    values, errors = student_service.clean_fields(raw, region=region)
    for name, messages in errors.items():
        label = LABELS.get(name) or _guardian_label(name)
        for message in messages:
            row.fail(label, message)
    for name, names in links.items():
        limit = LINKS[name][0].__table__.c.name.type.length
        if any(len(n) > limit for n in names):
            row.fail(LABELS[name], f"A name is longer than {limit} characters.")
    if "guardians" in values:
        # Guardian n of the file is the student's guardian n; the cleaned list keeps the file's order.
        row.guardians = dict(zip(positions, values.pop("guardians"), strict=True))
    row.values, row.links = values, links
    return row


def _guardian_label(key: str) -> str:
    # "guardians-0-email" -> "Guardian 1 email"
    _, number, name = key.split("-", 2)
    return LABELS[f"guardian{int(number) + 1}_{name}"]


# A new student's values for the columns a file leaves empty: every row of one bulk INSERT has the same keys.
NEW_STUDENT = {"middle_name": "", "email": None, "phone": "", "phone_normalized": "", "personal_file_number": None,
               "gender": None, "birth_date": None, "is_inclusive": False, "is_individual": False, "address": "",
               "extra_phone": "", "extra_email": "", "dropout_date": None, "dropout_reason": "", "dropout_note": ""}
# What comparing a matched student needs besides the file's own columns: its names (for the search key) and
# normalised phone (a phone written another way is the same phone).
COMPARE_COLUMNS = {"id", "last_name", "first_name", "middle_name", "phone_normalized"}
STUDENT_COLUMNS = ("id", "last_name", "first_name", "middle_name", "email", "phone", "phone_normalized",
                   "personal_file_number", "gender", "birth_date", "is_inclusive", "is_individual", "address",
                   "extra_phone", "extra_email", "dropout_date", "dropout_reason", "dropout_note")


def _chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _match(rows: list[RowResult], school_id: int) -> None:
    """Find each row's student: by personal file number, else by email; one query per thousand keys."""
    # The file's own string objects stand for the keys found: 100,000 matches hold no second copy of each.
    keys = {value: value for row in rows for value in (row.values.get("personal_file_number"),
                                                          row.values.get("email")) if value}
    by_number = _students_by(school_id, "personal_file_number", keys, {
        r.values["personal_file_number"] for r in rows if r.values.get("personal_file_number")})
    # An email needs looking up only where the file number did not already find a student with that email.
    by_email = {s.email: s for s in by_number.values() if s.email}
    by_email |= _students_by(school_id, "email", keys, {
        r.values["email"] for r in rows if r.values.get("email") and r.values["email"] not in by_email})

    # Two rows of one file for one student: by the student they match, or by the keys of a new one. Each key's
    # first row is remembered; a list is made only for a key seen twice (at 100,000 rows, memory counts).
    first: dict[str, dict] = {"id": {}, "number": {}, "email": {}}
    repeated: dict[tuple, list[RowResult]] = {}
    conflicts = []
    for row in rows:
        if row.status == "error":
            continue
        number, address = row.values.get("personal_file_number"), row.values.get("email")
        numbered, mailed = by_number.get(number), by_email.get(address)
        if (numbered and mailed and numbered.id != mailed.id) or (
                not numbered and mailed and number and mailed.personal_file_number):
            conflicts.append((row, numbered, mailed))
        else:
            found = numbered or mailed
            row.student_id = found.id if found else None
        row_keys = [("id", row.student_id)] if row.student_id else [("number", number), ("email", address)]
        for kind, key in row_keys:
            if key:
                earlier = first[kind].setdefault(key, row)
                if earlier is not row:
                    repeated.setdefault((kind, key), [earlier]).append(row)
    names = _names_of({s.id for _, numbered, mailed in conflicts for s in (numbered, mailed) if s}, school_id)
    for row, numbered, mailed in conflicts:
        if numbered:
            row.fail(LABELS["email"], f"The personal file number is {names[numbered.id]}'s, the email "
                                      f"{names[mailed.id]}'s: two different students.")
        else:
            row.fail(LABELS["email"], f"This email is {names[mailed.id]}'s, whose personal file number is "
                                      f"{mailed.personal_file_number}.")
    for same in repeated.values():
        numbers_text = ", ".join(str(r.number) for r in same)
        error = ("", f"Rows {numbers_text} are the same student; keep one of them.")
        for row in same:
            if error not in row.errors:  # the same two rows may share a number and an email
                row.fail(*error)
    for row in rows:
        if row.errors:
            row.status, row.student_id = "error", None


class _StudentKeys(NamedTuple):
    id: int
    personal_file_number: str | None
    email: str | None


def _students_by(school_id: int, key: str, strings: dict[str, str], wanted: set[str]) -> dict[str, _StudentKeys]:
    """The school's students whose `key` is one of `wanted`, by that key; a query per 1,000 keys."""
    found = {}
    for chunk in _chunks(sorted(wanted)):
        for student_id, number, email in db.session.execute(
                select(Student.id, Student.personal_file_number, Student.email)
                .where(Student.school_id == school_id, id_in(getattr(Student, key), chunk))):
            student = _StudentKeys(student_id, strings.get(number, number), strings.get(email, email))
            found[getattr(student, key)] = student
    return found


def _names_of(ids: set[int], school_id: int) -> dict[int, str]:
    """Names of a few students, for messages."""
    names = {}
    for chunk in _chunks(sorted(ids)):
        for student_id, last_name, first_name in db.session.execute(
                select(Student.id, Student.last_name, Student.first_name)
                .where(Student.school_id == school_id, id_in(Student.id, chunk))):
            names[student_id] = " ".join(n for n in (last_name, first_name) if n)
    return names


def _compare(rows: list[RowResult], fields: set[str], school_id: int) -> None:
    """Mark each matched row update or unchanged, with the labels of what it changes.

    A thousand students at a time: only the students that change are kept (to write), not the whole school.
    """
    columns = tuple(c for c in STUDENT_COLUMNS if c in COMPARE_COLUMNS or c in fields)
    link_fields = [name for name in LINKS if name in fields]
    with_guardians = any(f.startswith("guardian") for f in fields)
    for chunk in _chunks([row for row in rows if row.student_id]):
        ids = [row.student_id for row in chunk]
        students = {values[0]: dict(zip(columns, values, strict=True)) for values in db.session.execute(
            select(*(getattr(Student, c) for c in columns))
            .where(Student.school_id == school_id, id_in(Student.id, ids)))}
        current_links = {name: _link_names(LINKS[name][1], LINKS[name][0], ids) for name in link_fields}
        guardians = _guardians_of(ids) if with_guardians else {}
        for row in chunk:
            student = students[row.student_id]
            changes, updates = [], {}
            for name, value in row.values.items():
                if name == "phone_normalized":
                    continue
                current = student[name]
                if name == "phone":
                    same = student["phone_normalized"] == row.values["phone_normalized"]
                elif name in ("is_inclusive", "is_individual"):
                    same = bool(current) == value
                else:
                    same = (current or None) == (value or None)
                if not same:
                    changes.append(LABELS[name])
                    updates[name] = value
            if "phone" in updates:
                updates["phone_normalized"] = row.values["phone_normalized"]
            if updates.keys() & {"last_name", "first_name", "middle_name"}:
                key = name_search_key(*(updates.get(n, student[n]) or "" for n in ("last_name", "first_name",
                                                                                    "middle_name")))
                if key != name_search_key(student["last_name"], student["first_name"], student["middle_name"] or ""):
                    updates["search_key"] = key
            for name in row.links:
                if {fold(n) for n in row.links[name]} != {fold(n) for n in current_links[name].get(row.student_id, [])}:
                    changes.append(LABELS[name])
            if row.guardians is not None:
                merged = list(guardians.get(row.student_id, []))
                for position, guardian in sorted(row.guardians.items()):
                    if position <= len(merged):
                        old = merged[position - 1]
                        merged[position - 1] = {f: guardian[f] or old[f] for f in student_service.GUARDIAN_FIELDS}
                    else:
                        merged.append(guardian)
                if [_guardian_key(g) for g in merged] != [_guardian_key(g) for g in guardians.get(row.student_id, [])]:
                    changes.append("Guardians")
                    row.guardians = merged  # guardians the file does not name (a third, added by hand) stay
                else:
                    row.guardians = None
            if changes:
                row.status, row.changes, row.updates = "update", changes, updates or None
            else:
                row.status, row.guardians = "unchanged", None


def _guardian_key(guardian: dict) -> tuple:
    return tuple(guardian.get(f) or "" for f in student_service.GUARDIAN_FIELDS)


def _link_names(link_table, model, ids: list[int]) -> dict[int, list[str]]:
    names: dict[int, list[str]] = defaultdict(list)
    other = link_table.c[f"{model.__tablename__}_id"]
    for chunk in _chunks(ids):
        for student_id, name in db.session.execute(
                select(link_table.c.student_id, model.name).join(model, model.id == other)
                .where(id_in(link_table.c.student_id, chunk))):
            names[student_id].append(name)
    return names


def _guardians_of(ids: list[int]) -> dict[int, list[dict]]:
    found: dict[int, list[dict]] = defaultdict(list)
    columns = [Guardian.student_id] + [getattr(Guardian, f) for f in student_service.GUARDIAN_FIELDS]
    for chunk in _chunks(ids):
        for row in db.session.execute(select(*columns).where(id_in(Guardian.student_id, chunk))
                                      .order_by(Guardian.student_id, Guardian.id)).mappings():
            found[row["student_id"]].append({f: row[f] for f in student_service.GUARDIAN_FIELDS})
    return found


WRITE_CHUNK = 5000  # rows per round of statements: memory stays flat however long the file is


def _write(rows: list[RowResult], fields: set[str], school_id: int) -> dict[str, list[str]]:
    """Write the new and changed rows in bulk: a few statements per 5,000 rows, never one per row."""
    written = [row for row in rows if row.status in ("new", "update")]
    link_ids, new_names = _ensure_names(written, fields, school_id)
    now = utcnow()
    for chunk in _chunks(written, WRITE_CHUNK):
        _insert_new([row for row in chunk if row.status == "new"], school_id, now)
        _update_changed([row for row in chunk if row.status == "update"], school_id, now)
        _write_links_and_guardians(chunk, link_ids)
    return new_names


def _insert_new(new: list[RowResult], school_id: int, now) -> None:
    if not new:
        return
    records = []
    for row in new:
        record = {**NEW_STUDENT, **row.values}
        record.update(school_id=school_id, source=Source.IMPORT.value, created_at=now, updated_at=now,
                      account_status=AccountStatus.NO_ACCOUNT.value,
                      search_key=name_search_key(record["last_name"], record["first_name"], record["middle_name"]))
        records.append(record)
    ids = _insert_returning_ids(records)
    for row, student_id in zip(new, ids, strict=True):
        row.student_id = student_id
    _insert_plain(student_name_part, ("student_id", "school_id", "part"), [
        (sid, school_id, part) for record, sid in zip(records, ids, strict=True)
        for part in name_parts(record["search_key"])])


def _insert_returning_ids(records: list[dict]) -> list[int]:
    """Insert students and return their ids in order, the fastest way each database allows.

    PostgreSQL: the ids are drawn from the table's sequence in one query and the rows go in by COPY (15x
    faster than batched INSERTs here). SQLite could return ids in order only one row per statement, so there
    the rows go in one executemany and the ids are read back: SQLite gives each new row the largest id so far
    plus one, and no one else can insert while this transaction holds the write lock, so the newest
    len(records) ids of the table are these rows', in order.
    """
    table = Student.__table__
    if db.session.get_bind().dialect.name == "postgresql":
        sequence = db.session.scalar(text("SELECT pg_get_serial_sequence('student', 'id')"))
        ids = db.session.scalars(text("SELECT nextval(CAST(:sequence AS regclass)) FROM generate_series(1, :n)"),
                                 {"sequence": sequence, "n": len(records)}).all()
        columns = tuple(records[0])
        rows = [(student_id, *(record[c] for c in columns)) for student_id, record in zip(ids, records, strict=True)]
        _insert_plain(table, ("id", *columns), rows)
        return ids
    db.session.execute(insert(table), records)
    ids = db.session.scalars(select(table.c.id).order_by(table.c.id.desc()).limit(len(records))).all()
    return ids[::-1]


def _update_changed(changed: list[RowResult], school_id: int, now) -> None:
    """Write the fields each update changes, one executemany per set of fields. A student whose own fields stay
    (only programs, tags, sections or guardians change) is not rewritten, as when the form changes only tags."""
    by_fields: dict[tuple, list[dict]] = defaultdict(list)
    for row in changed:
        if row.updates:
            by_fields[tuple(row.updates)].append({"id": row.student_id, **row.updates, "updated_at": now})
    for records in by_fields.values():
        db.session.execute(update(Student), records)
    renamed = [(row.student_id, school_id, row.updates["search_key"])
               for row in changed if row.updates and "search_key" in row.updates]
    for chunk in _chunks(renamed):
        student_service.index_names(chunk)


def _write_links_and_guardians(written: list[RowResult], link_ids: dict) -> None:
    """New students' programs, tags, sections and guardians; an update's, replaced where they change."""
    for name, (model, link_table) in LINKS.items():
        label = LABELS[name]
        named = [row for row in written if name in row.links and (row.status == "new" or label in row.changes)]
        other = f"{model.__tablename__}_id"
        for chunk in _chunks([row.student_id for row in named if row.status == "update"]):
            db.session.execute(delete(link_table).where(id_in(link_table.c.student_id, chunk)))
        ids_of = {names: [link_ids[name][fold(n)] for n in names] for names in {row.links[name] for row in named}}
        _insert_plain(link_table, ("student_id", other), [
            (row.student_id, link_id) for row in named for link_id in ids_of[row.links[name]]])
    with_guardians = [row for row in written if row.guardians is not None]
    for chunk in _chunks([row.student_id for row in with_guardians if row.status == "update"]):
        db.session.execute(delete(Guardian).where(id_in(Guardian.student_id, chunk)))
    guardians = []
    for row in with_guardians:
        listed = row.guardians if row.status == "update" else [row.guardians[n] for n in sorted(row.guardians)]
        guardians += [(row.student_id, *(g[f] for f in student_service.GUARDIAN_FIELDS)) for g in listed]
    _insert_plain(Guardian.__table__, ("student_id", *student_service.GUARDIAN_FIELDS), guardians)


def _insert_plain(table, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Insert rows of plain values straight through the driver: COPY on PostgreSQL, executemany on SQLite.

    SQLAlchemy's per-row parameter handling costs more than the insert itself at 100,000 rows. The values are
    ints, strings, booleans, dates and None, which both drivers take as they are.
    """
    if not rows:
        return
    connection = db.session.connection()
    names = ", ".join(columns)
    if connection.dialect.name == "postgresql":
        with connection.connection.driver_connection.cursor() as cursor:
            with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        return
    connection.exec_driver_sql(f"INSERT INTO {table.name} ({names}) VALUES ({', '.join('?' * len(columns))})",
                               rows)


def _ensure_names(rows: list[RowResult], fields: set[str], school_id: int):
    """Ids of every program, tag and section the rows name (case-insensitively), creating the missing ones."""
    link_ids: dict[str, dict[str, int]] = {}
    new_names: dict[str, list[str]] = {}
    for name, (model, _) in LINKS.items():
        if name not in fields:
            continue
        known = {fold(n): i for i, n in db.session.execute(
            select(model.id, model.name).where(model.school_id == school_id))}
        missing: dict[str, str] = {}
        for names in dict.fromkeys(row.links.get(name, ()) for row in rows):  # each cell once, in file order
            for item in names:
                if fold(item) not in known:
                    missing.setdefault(fold(item), item)
        if missing:
            created = db.session.execute(
                insert(model).returning(model.id, model.name, sort_by_parameter_order=True),
                [{"school_id": school_id, "name": n} for n in missing.values()]).all()
            known |= {fold(n): i for i, n in created}
            new_names[name] = sorted(missing.values())
        link_ids[name] = known
    return link_ids, new_names


# Jobs: upload -> preview -> confirm -> run.

def create_job(school_id: int, file_name: str, data: bytes, *, actor) -> int:
    """Store an upload as a job, once it reads as a student list; its preview is made next (run_job, dry run)."""
    permissions.require(actor, school_id, "students.import")
    file_name = clean_file_name(file_name, default="upload.csv")
    check_file(data, file_name)
    job = ImportJob(school_id=school_id, uploaded_by_id=getattr(actor, "id", None), file_name=file_name,
                    content=data, status=ImportStatus.UPLOADED.value)
    db.session.add(job)
    db.session.commit()
    return job.id


def run_now(school_id: int, file_name: str, data: bytes, *, actor, runner: str | None = None) -> ImportJob:
    """Import a file at once, without a preview (the command line): a job like any other, run right here."""
    job_id = create_job(school_id, file_name, data, actor=actor)
    db.session.execute(update(ImportJob).where(ImportJob.id == job_id).values(
        status=ImportStatus.RUNNING.value, started_at=utcnow(), runner=runner))
    db.session.commit()
    run_job(job_id, dry_run=False, runner=runner)
    return db.session.get(ImportJob, job_id)


def get_job(job_id: int, school_id: int, *, actor) -> ImportJob:
    """The school's job, without its stored upload (up to 10 MB; the progress bar asks for the job every second)
    and with its report only when read."""
    permissions.require(actor, school_id, "students.import")
    job = db.session.scalar(select(ImportJob).where(ImportJob.id == job_id, ImportJob.school_id == school_id)
                            .options(defer(ImportJob.content), defer(ImportJob.report)))
    if job is None:
        raise NotFound("No such import in this school.")
    return job


STALLED_MESSAGE = ("The import stopped before it finished: its worker went away (a restart?) and nothing was saved. "
                   "Upload the file again.")
RESTARTED_MESSAGE = "Roster restarted during this import; nothing was saved. Upload the file again."
UNFINISHED = (ImportStatus.UPLOADED.value, ImportStatus.RUNNING.value)


def assign(job_id: int, runner: str) -> None:
    """Record which process has the job ("host:pid"): the one whose thread will make its preview or run."""
    db.session.execute(update(ImportJob).where(ImportJob.id == job_id)
                       .values(runner=runner, progress_at=utcnow()).execution_options(synchronize_session=False))
    db.session.commit()


def beat(runner: str) -> None:
    """The heartbeat of the unfinished jobs a process has: they are not taken for stalled while it lives."""
    db.session.execute(update(ImportJob).where(ImportJob.runner == runner, ImportJob.status.in_(UNFINISHED))
                       .values(progress_at=utcnow()).execution_options(synchronize_session=False))
    db.session.commit()


def runners_on(host: str) -> list[str]:
    """The processes of this host that have unfinished jobs."""
    return list(db.session.scalars(select(ImportJob.runner).distinct().where(
        ImportJob.status.in_(UNFINISHED), ImportJob.runner.startswith(f"{host}:", autoescape=True))))


def fail_runners(runners: list[str]) -> int:
    """End the unfinished jobs of processes that are gone: Failed, as nothing of theirs was committed."""
    if not runners:
        return 0
    ended = db.session.execute(
        update(ImportJob).where(ImportJob.runner.in_(runners), ImportJob.status.in_(UNFINISHED))
        .values(status=ImportStatus.FAILED.value, message=RESTARTED_MESSAGE, content=None, finished_at=utcnow())
        .execution_options(synchronize_session=False))
    db.session.commit()
    return ended.rowcount


def fail_stalled_jobs() -> int:
    """End the jobs whose process has given no sign of life for IMPORT_STALLED_AFTER (a job no worker has
    taken yet: IMPORT_QUEUED_FOR): Failed, as nothing of theirs was committed, instead of Checking or Running
    for ever. Returns how many."""
    cfg, now = current_app.config, utcnow()
    last_sign = func.coalesce(ImportJob.progress_at, ImportJob.started_at, ImportJob.created_at)
    ended = db.session.execute(
        update(ImportJob).where(
            ImportJob.status.in_(UNFINISHED),
            or_(and_(ImportJob.runner.is_not(None), last_sign < now - timedelta(seconds=cfg["IMPORT_STALLED_AFTER"])),
                last_sign < now - timedelta(seconds=max(cfg["IMPORT_QUEUED_FOR"], cfg["IMPORT_STALLED_AFTER"]))))
        .values(status=ImportStatus.FAILED.value, message=STALLED_MESSAGE, content=None, finished_at=now)
        .execution_options(synchronize_session=False))
    db.session.commit()
    return ended.rowcount


def confirm_job(job_id: int, school_id: int, *, actor) -> bool:
    """Move a previewed job to running, once (a double click starts one run); True when this call did it."""
    get_job(job_id, school_id, actor=actor)
    moved = db.session.execute(
        update(ImportJob).where(ImportJob.id == job_id, ImportJob.status == ImportStatus.VALIDATED.value)
        .values(status=ImportStatus.RUNNING.value, done_rows=0, started_at=utcnow())
        .execution_options(synchronize_session=False))
    db.session.commit()
    return moved.rowcount == 1


def cancel_job(job_id: int, school_id: int, *, actor) -> None:
    """Drop a job that has not run: its file and preview go."""
    job = get_job(job_id, school_id, actor=actor)
    if job.status not in (ImportStatus.UPLOADED.value, ImportStatus.VALIDATED.value):
        raise RosterError("This import has already run; it cannot be cancelled.")
    db.session.delete(job)
    db.session.commit()


def run_job(job_id: int, *, dry_run: bool, runner: str | None = None) -> None:
    """Make a job's preview (dry_run) or run it, recording progress, results and the end state.

    Called by the background task. A run's end (Completed, its counts and report) is written in the import's own
    transaction: a job says Completed exactly when its students are saved, and one left Running saved nothing.
    A failure of the whole run leaves nothing written and says why.
    """
    job = db.session.get(ImportJob, job_id)
    expected = ImportStatus.UPLOADED.value if dry_run else ImportStatus.RUNNING.value
    if job is None or job.status != expected or job.content is None:
        return
    school_id, file_name, data = job.school_id, job.file_name, job.content
    actor = job.uploaded_by or permissions.SYSTEM
    job.progress_at = utcnow()
    job.runner = runner or job.runner
    db.session.commit()  # hold no transaction open while the file is read

    def progress(done: int, total: int) -> None:
        _report_progress(job_id, done, total)

    def record_end(result: ImportResult) -> None:
        status = ImportStatus.COMPLETED_WITH_ERRORS if result.count("error") else ImportStatus.COMPLETED
        _record_end(job_id, status, result=result)

    try:
        result = import_students(read_file(data, file_name), school_id, dry_run=dry_run, actor=actor,
                                 file_name=file_name, progress=progress,
                                 before_commit=None if dry_run else record_end)
    except RosterError as exc:
        _fail(job_id, str(exc))
        return
    except Exception:
        log.exception("Import job %s failed", job_id)
        _fail(job_id, "An unexpected error stopped the import; nothing was saved. Try again, or tell us.")
        raise
    if dry_run:
        _record_end(job_id, ImportStatus.VALIDATED, result=result, keep_file=True)
        db.session.commit()


def _report_progress(job_id: int, done: int, total: int) -> None:
    """Write progress on a connection of its own: the import's transaction is not committed until the end."""
    with db.engine.begin() as connection:
        connection.execute(update(ImportJob).where(ImportJob.id == job_id).values(
            done_rows=done, total_rows=total, progress_at=utcnow()))


def _fail(job_id: int, message: str) -> None:
    db.session.rollback()
    _record_end(job_id, ImportStatus.FAILED, message=message)
    db.session.commit()


def _record_end(job_id: int, status: ImportStatus, *, message: str = "", result: ImportResult | None = None,
                keep_file: bool = False) -> None:
    """Write how a job ended (or its preview), in the current transaction; a job cancelled meanwhile is gone."""
    values: dict = {"status": status.value, "message": message}
    if result is not None:
        totals = result.totals
        values.update(total_rows=totals["rows"], done_rows=totals["rows"], created_count=totals["new"],
                      updated_count=totals["update"], unchanged_count=totals["unchanged"],
                      error_count=totals["error"], report=_report(result), failed_rows_csv=_failed_csv(result))
    if not keep_file:
        values.update(content=None, finished_at=utcnow())
    db.session.execute(update(ImportJob).where(ImportJob.id == job_id).values(**values)
                       .execution_options(synchronize_session=False))


def _report(result: ImportResult) -> dict:
    """What the job's page shows: read at each view of it, so bounded however many rows the file had."""
    errors = (_row_json(r) for r in result.rows if r.status == "error")
    return {
        "unknown_columns": result.unknown_columns,
        "new_names": result.new_names,
        "first_rows": [_row_json(r) for r in result.rows[:current_app.config["IMPORT_PREVIEW_ROWS"]]],
        "errors": list(itertools.islice(errors, current_app.config["IMPORT_REPORT_ERRORS"])),
    }


def _row_json(row: RowResult) -> dict:
    return {"number": row.number, "status": row.status, "name": row.name, "errors": row.errors,
            "changes": row.changes, "student_id": row.student_id}


def _failed_csv(result: ImportResult) -> bytes | None:
    """Every failed row as it was in the file, with an Error column, as plain UTF-8 CSV: to download, fix and
    upload again as it is. Kept beside the job, not in its report: 100,000 failed rows are megabytes."""
    if not result.count("error"):
        return None
    keep = [i for i, h in enumerate(result.headers) if _header_key(h) != _header_key(ERROR_COLUMN)]
    buffer = io.BytesIO()
    text = io.TextIOWrapper(buffer, encoding="utf-8", newline="")
    writer = csv.writer(text)
    writer.writerow([result.headers[i] for i in keep] + [ERROR_COLUMN])
    for row in result.rows:
        if row.status == "error":
            # Each message is a sentence: "Gender: … (or m, f). Email: …", never ".;" between them.
            reason = " ".join(f"{column}: {message}" if column else message for column, message in row.errors)
            writer.writerow([_text(row.cells[i]) for i in keep] + [f"Row {row.number}: {reason}"])
    text.flush()
    text.detach()
    return buffer.getvalue()


def failed_rows(job: ImportJob) -> tuple[list[str], Iterator[list[str]]]:
    """The headers and rows of a job's failed rows, read as they are streamed out (the template's headers and no
    rows when none failed)."""
    if not job.failed_rows_csv:
        return [label for _, label in COLUMNS] + [ERROR_COLUMN], iter(())
    reader = csv.reader(io.TextIOWrapper(io.BytesIO(job.failed_rows_csv), encoding="utf-8", newline=""))
    return next(reader), reader


def template() -> tablib.Dataset:
    return tablib.Dataset(headers=[label for _, label in COLUMNS])
