"""A child's national identifier: the IIN (ИИН / ЖСН) in Kazakhstan, SNILS (СНИЛС) in Russia; the school's country
decides which. Pure checks, by the official algorithms (python-stdnum 2.2, the field's standard library, has
neither number):

- IIN: 12 digits, YYMMDD of birth, a digit for the century and sex (1/2: 1800s, 3/4: 1900s, 5/6: 2000s; odd male,
  even female), a serial, and a check digit: the first eleven digits weighted 1..11, mod 11; a result of 10 is
  weighed again with 3..11, 1, 2; a second 10 means no such number is issued (Resolution of the Government of
  Kazakhstan No. 565 of 11 June 2003, and its rules of IIN formation).
- SNILS: 11 digits, the last two a check number: the first nine weighted 9..1; a sum under 100 is the check
  number, 100 and 101 give 00, a larger sum is taken mod 101 (100 again giving 00); numbers up to 001-001-998
  carry no check (the Pension Fund's rule).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

IIN, SNILS = "iin", "snils"
STORED_AS_DIGITS = {"national_id"}  # the student's field that holds one, as its digits
KINDS = {"KZ": IIN, "RU": SNILS}
LENGTHS = {IIN: 12, SNILS: 11}
SEPARATORS = re.compile(r"[\s\-‐‑‒–—]+")


def kind_for(country: str | None) -> str | None:
    """The identifier a school of this country keeps: IIN, SNILS, or none."""
    return KINDS.get((country or "").upper())


@dataclass(frozen=True)
class Decoded:
    """What a valid IIN says of its holder."""

    birth_date: date
    gender: str  # "male" or "female", as the student's Gender field stores it


class Invalid(ValueError):
    """The reason a value is no identifier of its kind (the message is English; callers translate its `code`)."""

    def __init__(self, code: str, **values):
        super().__init__(code)
        self.code, self.values = code, values


def digits(text: str, kind: str) -> str:
    """The number with its spaces and dashes removed; Invalid when anything else is in it or its length is wrong."""
    cleaned = SEPARATORS.sub("", text or "")
    if not cleaned.isdigit() or not cleaned.isascii():
        raise Invalid("not digits")
    if len(cleaned) != LENGTHS[kind]:
        raise Invalid("length", length=LENGTHS[kind])
    return cleaned


def _weighted(numbers: str, weights) -> int:
    return sum(int(d) * w for d, w in zip(numbers, weights, strict=True))


def iin_check_digit(first_eleven: str) -> int | None:
    """The IIN's check digit for its first eleven digits; None where no IIN can end them."""
    check = _weighted(first_eleven, range(1, 12)) % 11
    if check == 10:
        check = _weighted(first_eleven, (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)) % 11
    return None if check == 10 else check


def decode_iin(number: str) -> Decoded:
    """The birth date and sex a 12-digit IIN encodes; Invalid where they are no date or no person's."""
    century_sex = int(number[6])
    if not 1 <= century_sex <= 6:
        raise Invalid("century")
    century = 1800 + 100 * ((century_sex - 1) // 2)
    try:
        born = date(century + int(number[:2]), int(number[2:4]), int(number[4:6]))
    except ValueError:
        raise Invalid("birth date") from None
    return Decoded(born, "male" if century_sex % 2 else "female")


def snils_check_number(first_nine: str) -> int:
    total = _weighted(first_nine, range(9, 0, -1))
    if total > 101:
        total %= 101
    return 0 if total in (100, 101) else total


def check(kind: str, text: str) -> tuple[str, Decoded | None]:
    """The identifier as stored (its digits) and, for an IIN, what it encodes; Invalid with the reason."""
    number = digits(text, kind)
    if kind == IIN:
        decoded = decode_iin(number)
        if iin_check_digit(number[:11]) != int(number[11]):
            raise Invalid("check digit")
        return number, decoded
    if int(number[:9]) > 1001998 and snils_check_number(number[:9]) != int(number[9:]):
        raise Invalid("check digit")
    return number, None


def shown(kind: str, number: str) -> str:
    """How the number is written for people: SNILS as 112-233-445 95, an IIN as its twelve digits."""
    if kind == SNILS and len(number) == 11:
        return f"{number[:3]}-{number[3:6]}-{number[6:9]} {number[9:]}"
    return number
