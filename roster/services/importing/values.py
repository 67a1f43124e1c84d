"""Reading a row's values: text, dates, yes/no, gender, link names, guardians; a row's errors with its number."""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from datetime import date, datetime

from flask_babel import gettext as _

from roster import fields, i18n
from roster.models import LINKS
from roster.services import students as student_service
from roster.services.exporting import DANGEROUS_STARTS
from roster.services.importing.columns import LABELS, LINK_SEPARATOR, column_label
from roster.services.importing.results import RowResult
from roster.text import fold, split_full_name

log = logging.getLogger(__name__)

TRUE_WORDS = {"yes", "y", "true", "t", "1", "да", "д", "+", "x", "on", "иә", "иа", "ия"}
FALSE_WORDS = {"no", "n", "false", "f", "0", "нет", "н", "-", "", "off", "жоқ", "жок"}
# YYYY-MM-DD, or DD.MM.YYYY and DD/MM/YYYY (a two-digit year too): read by hand, strptime is slow at 100,000.
ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
DAY_FIRST_DATE = re.compile(r"^(\d{1,2})[./](\d{1,2})[./](\d{2}|\d{4})$")
# "5 марта 2012", "5 наурыз 2012 ж.", "5 March 2012", "05 мар. 2012 г."
NAMED_MONTH_DATE = re.compile(r"^(\d{1,2})\s+([^\W\d_]+)\.?,?\s+(\d{4})(?:\s*(?:г|года|ж|жыл|жылы)\.?)?$")


@functools.cache
def _month_numbers() -> dict[str, int]:
    """Month names as Russian, Kazakh and English write them (wide and short, in a date and alone), folded."""
    from babel import Locale

    numbers: dict[str, int] = {}
    for language in ("en", "ru", "kk"):
        locale = Locale.parse(language)
        for context in ("format", "stand-alone"):
            for width in ("wide", "abbreviated"):
                for number, name in locale.months[context][width].items():
                    numbers.setdefault(fold(name).rstrip("."), number)
    return numbers


def cell_value(value) -> str:
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
    text = cell_value(value)
    return _date_from_text(text) if text else None


@functools.lru_cache(maxsize=8192)
def _date_from_text(text: str) -> date:
    """Cached: a school's birth dates span a few thousand days, and rows that share one share its object."""
    iso, day_first, named = ISO_DATE.match(text), DAY_FIRST_DATE.match(text), NAMED_MONTH_DATE.match(text)
    try:
        if named and fold(named[2]) in _month_numbers():
            return date(int(named[3]), _month_numbers()[fold(named[2])], int(named[1]))
        if iso:
            return date(int(iso[1]), int(iso[2]), int(iso[3]))
        if day_first:
            year = int(day_first[3])
            if len(day_first[3]) == 2:  # 31.05.12 is 2012; 31.05.95 is 1995
                year += 2000 if year <= date.today().year % 100 else 1900
            return date(year, int(day_first[2]), int(day_first[1]))
    except ValueError:
        pass
    raise ValueError(_("“%(value)s” is not a date: write it as YYYY-MM-DD or DD.MM.YYYY.", value=text[:40]))


def _bool(value) -> bool:
    if isinstance(value, bool):
        return value
    word = fold(cell_value(value))
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(_("“%(value)s” is not yes or no.", value=cell_value(value)[:40]))


def _choice(name: str) -> Callable:
    """A choice's reader: its stored values, its labels in every language and the field's own words (м, ж)."""
    field = fields.STUDENT[name]
    words = {"": ""} | {fold(value): value for value, _label in field.choices}
    words |= {fold(text): value for value, label in field.choices for text in i18n.in_every_language(label)}
    words |= {fold(word): value for word, value in field.words.items()}

    def read(value) -> str:
        word = fold(cell_value(value)).rstrip(".")
        if word in words:
            return words[word]
        raise ValueError(_(field.invalid, value=cell_value(value)[:40]))
    return read


@functools.lru_cache(maxsize=4096)
def _names(value) -> tuple[str, ...]:
    """The names of one programs/tags/sections cell. Cached: a file repeats a few cells thousands of times, and
    the rows that repeat one share its tuple."""
    seen, names = set(), []
    for name in cell_value(value).split(LINK_SEPARATOR):
        name = " ".join(name.split())
        key = fold(name)
        if name and key not in seen:
            seen.add(key)
            names.append(name)
    return tuple(names)


REQUIRED_CELLS = (*fields.REQUIRED, "full_name")
# How a cell becomes a value, by the field's kind (text is taken as it is).
CONVERTERS: dict[str, Callable] = {
    **{name: _date for name in fields.of_kind(fields.DATE)}, **{name: _bool for name in fields.of_kind(fields.FLAG)},
    **{name: _choice(name) for name in fields.of_kind(fields.CHOICE)}}


def parse_row(number: int, cells, mapping: dict[int, str], region: str, max_chars: int) -> RowResult:
    """Read one row's cells (phones as written in region). An empty cell leaves the student's value as it is
    (only names are required); a cell longer than max_chars is the row's error."""
    row = RowResult(number)
    raw, links, guardians = _read_cells(row, cells, mapping, max_chars)
    positions = sorted(guardians)
    if guardians:
        raw["guardians"] = [guardians[n] for n in positions]
    values, errors = student_service.clean_fields(raw, region=region)
    for name, messages in errors.items():
        label = column_label(name) if name in LABELS else _guardian_label(name)
        for message in messages:
            row.fail(label, message)
    _check_link_names(row, links)
    if "guardians" in values:
        # Guardian n of the file is the student's guardian n; the cleaned list keeps the file's order.
        row.guardians = dict(zip(positions, values.pop("guardians"), strict=True))
    row.values, row.links = values, links
    return row


def _read_cells(row: RowResult, cells, mapping: dict[int, str], max_chars: int) -> tuple[dict, dict, dict]:
    """The row's cells read by field: (student fields, link names, guardians by their number in the file)."""
    raw: dict = {}
    links: dict[str, tuple[str, ...]] = {}
    guardians: dict[int, dict] = {}
    for position, name in mapping.items():
        value = cells[position]
        if type(value) is str:  # most cells: read the text once
            value = _unescaped(value.strip())
            if len(value) > max_chars:
                row.fail(column_label(name), _("The cell is %(length)s characters long; at most %(limit)s are taken.",
                                         length=i18n.number(len(value)), limit=i18n.number(max_chars)))
                continue
        if (value is None or value == "") and name not in REQUIRED_CELLS:
            continue
        try:
            if name == "full_name":
                raw["last_name"], raw["first_name"], raw["middle_name"] = split_full_name(cell_value(value))
            elif name in CONVERTERS:
                raw[name] = CONVERTERS[name](value)
            elif name in LINKS:
                links[name] = _names(value)
            elif name[:8] == "guardian":
                guardians.setdefault(int(name[8]), {})[name[10:]] = cell_value(value)
            else:
                raw[name] = value if type(value) is str else cell_value(value)
        except ValueError as exc:
            row.fail(column_label(name), str(exc))
    return raw, links, guardians


# The longest name of each link's items (a program, tag or section name), read once: not per row of an import.
NAME_LIMITS = {name: model.__table__.c.name.type.length for name, (model, _table) in LINKS.items()}


def _check_link_names(row: RowResult, links: dict[str, tuple[str, ...]]) -> None:
    for name, names in links.items():
        limit = NAME_LIMITS[name]
        if any(len(n) > limit for n in names):
            row.fail(column_label(name), _("A name is longer than %(limit)s characters.", limit=limit))


def _guardian_label(key: str) -> str:
    # "guardians-0-email" -> "Guardian 1 email"
    _prefix, number, name = key.split("-", 2)
    return column_label(f"guardian{int(number) + 1}_{name}")
