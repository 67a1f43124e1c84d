"""Reading an upload into rows: CSV (its encoding detected, refused when unsure), XLSX and ODS (in a child
process), with every limit checked before the reading allocates."""

from __future__ import annotations

import contextlib
import csv
import gc
import io
import logging
import posixpath
import re
import zipfile
import zlib

import charset_normalizer
import tablib
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from roster.errors import RosterError
from roster.i18n import number
from roster.services import sheet_reader

log = logging.getLogger(__name__)

class FileNotAccepted(RosterError):
    """The file as a whole cannot be imported; the message says why and what to do."""


def check_upload(data: bytes) -> None:
    """Refuse a file over the size limit, or with nothing in it."""
    cfg = current_app.config
    if len(data) > cfg["IMPORT_MAX_BYTES"]:
        raise FileNotAccepted(_("The file is %(size)s MB; files up to %(limit)s MB are taken. Split it into "
                                "smaller files.", size=number(round(len(data) / 1048576, 1)),
                                limit=number(cfg["IMPORT_MAX_BYTES"] // 1048576)))
    if not data.strip():
        raise FileNotAccepted(_("The file is empty."))


def file_rows(data: bytes, file_name: str, max_rows: int | None = None):
    """The rows of a CSV (see text_encoding; comma, semicolon or tab), XLSX or ODS upload."""
    check_upload(data)
    extension = file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
    if extension in WORKBOOKS:
        return _workbook_rows(data, WORKBOOKS[extension], max_rows)
    if extension in ("csv", "txt", "tsv"):
        return _csv_rows(data)
    raise FileNotAccepted(_("Upload a CSV, XLSX or ODS file (File → Save as → CSV, Excel workbook or "
                          "OpenDocument spreadsheet), or a OneRoster zip."))


def _csv_rows(data: bytes):
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text": UTF-16, its BOM tells the order
        try:
            data = data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            raise FileNotAccepted(_("This file starts as UTF-16 text but is damaged further on. Save the list as "
                                  "“CSV UTF-8” and upload that file.")) from None
    if b"\x00" in data[:8192] or data.startswith((b"%PDF", b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise FileNotAccepted(_("This file is not a CSV text file, whatever its name says. Save the list as CSV "
                              "(or XLSX) from your spreadsheet program and upload that."))
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
        raise FileNotAccepted(_("Line %(line)s of the file cannot be read as CSV (%(problem)s). Save the list "
                                "as CSV from your spreadsheet program again and upload that.",
                                line=reader.line_num, problem=exc)) from None


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
    raise FileNotAccepted(_("Roster cannot tell for certain how this file's text is encoded, and will not guess "
                            "(the names would come out garbled). Accepted: %(encodings)s. In your spreadsheet "
                            "program, save the list as “CSV UTF-8” and upload that file.",
                            encodings=ENCODINGS_ACCEPTED))


def _odd_word(word: str) -> bool:
    latin = any(c.isascii() for c in word)
    other = [c for c in word if not c.isascii()]
    return bool(latin and other) or any(c.lower() not in SCHOOL_LETTERS for c in other)


# Spreadsheet files python-calamine reads alike: Excel's XLSX and LibreOffice Calc's own ODS (both zip archives).
WORKBOOKS = {"xlsx": ("XLSX", _l("Excel workbook (.xlsx)")), "ods": ("ODS", _l("OpenDocument spreadsheet (.ods)"))}


def _workbook_rows(data: bytes, kind: tuple[str, str], max_rows: int | None):
    name, save_as = kind
    if not data.startswith(b"PK\x03\x04"):
        raise FileNotAccepted(_("This file is not an %(kind)s spreadsheet, whatever its name says. "
                                "Save it as %(save_as)s or CSV and upload it again.", kind=name, save_as=save_as))
    cfg = current_app.config
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            # Sizes as the archive declares them; the reader never inflates an entry beyond its declared size.
            unpacked = sum(entry.file_size for entry in archive.infolist())
            if unpacked > cfg["IMPORT_MAX_UNPACKED_BYTES"]:
                raise FileNotAccepted(_("This %(kind)s file unpacks to %(size)s MB, more than the %(limit)s MB "
                                        "allowed. Remove what is not the list, or save it as CSV.", kind=name,
                                        size=number(round(unpacked / 1048576)),
                                        limit=number(cfg["IMPORT_MAX_UNPACKED_BYTES"] // 1048576)))
            if name == "XLSX":
                _check_extent(*_xlsx_extent(archive))
    except (zipfile.BadZipFile, KeyError, EOFError, zlib.error):
        raise FileNotAccepted(_("This %(kind)s file is damaged and cannot be opened.", kind=name)) from None
    try:
        # A formula cell gives the value the spreadsheet last computed, never its formula: nothing is ever run.
        return sheet_reader.read_rows(data, max_rows=max_rows, memory_bytes=cfg["IMPORT_READER_MEMORY_BYTES"],
                                      seconds=cfg["IMPORT_READER_SECONDS"])
    except sheet_reader.Unreadable as exc:
        log.warning("A %s upload could not be read: %s", name, exc)
        raise FileNotAccepted(_("This %(kind)s file cannot be read (%(problem)s). Open it in your spreadsheet "
                                "program, copy the list to a new sheet and save it as %(save_as)s or CSV.",
                                kind=name, problem=exc, save_as=save_as)) from None


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
        raise FileNotAccepted(_("The first sheet spans %(rows)s rows and %(columns)s columns, far more than a list "
                                "of students: something lies far below or to the right of the list. Delete those "
                                "rows and columns (or copy the list to a new workbook) and upload again.",
                                rows=number(rows), columns=number(columns)))


def rows_dataset(rows, *, stop_after: int | None = None) -> tablib.Dataset:
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
                raise FileNotAccepted(_("The first row is empty: it should name the columns, as in the template."))
            longest = max(range(len(header)), key=lambda i: len(header[i]))
            if len(header[longest]) > HEADER_MAX_CHARS:
                raise FileNotAccepted(_("Column %(column)s of the first row is %(length)s characters long: the "
                                        "first row should name the columns (Last name, First name…), as in the "
                                        "template.", column=longest + 1, length=number(len(header[longest]))))
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
                raise FileNotAccepted(_("The file has more than %(limit)s rows of students; import at most "
                                        "%(limit)s at a time.", limit=number(limit)))
        dataset.append(values)  # blank rows stay, so that row numbers stay the file's own
        if stop_after is not None and count >= stop_after:
            break
    if header is None:
        raise FileNotAccepted(_("The file is empty."))
    return dataset


SHARED_LIMIT = 50_000
HEADER_MAX_CHARS = 200  # a column's name; anything longer is no header row


def _plain(value) -> str:
    return "" if value is None else str(value).strip()


@contextlib.contextmanager
def without_gc():
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
