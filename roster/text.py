"""Normalising names, phones and emails, so that search and uniqueness behave the same everywhere."""

import re
import unicodedata

from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email

_PHONE_ALLOWED = re.compile(r"^\+?[\d\s\-().]+$")
# A plain ASCII address that email-validator would take as it is: checked here at once (an import checks
# 100,000 of them); anything else (Unicode, quoting, odd dots, special-use domains) goes to email-validator.
_ATOM = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_SPECIAL_USE = frozenset(SPECIAL_USE_DOMAIN_NAMES)  # single labels: the top-level domain tells
_PLAIN_EMAIL = re.compile(rf"^(?=.{{1,64}}@){_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}\.)+([a-z]{{2,63}})$")


def fold(text: str) -> str:
    """Casefold in every alphabet, and treat ё as е (Russian writes both for the same letter)."""
    if text and text.isascii():  # the common case, at a tenth of the cost
        return text.lower()
    return unicodedata.normalize("NFKC", text or "").casefold().replace("ё", "е")


def name_search_key(*parts: str) -> str:
    return " ".join(fold(p).strip() for p in parts if p and p.strip())


def search_words(query: str) -> list[str]:
    return [w for w in re.split(r"[\s\-]+", fold(query)) if w]


def name_parts(search_key: str) -> set[str]:
    """The words of a name as search finds them: "Иванова-Петрова Анна" gives иванова, петрова, анна."""
    return {w[:100] for w in search_words(search_key)}


def prefix_range(word: str) -> tuple[str, str]:
    """Bounds of every string that starts with word, in bytewise (code point) order."""
    return word, word + "\U0010ffff"


def phone_digits(phone: str, country_code: str = "7") -> str:
    """Digits of a phone without its country code or trunk prefix: the part every way of writing it shares.

    "+7 701 123-45-67", "87011234567" and "701 123 45 67" all give "7011234567".
    """
    digits = re.sub(r"\D", "", phone or "")
    if country_code == "7" and len(digits) == 11 and digits[0] in "78":
        return digits[1:]
    if phone.strip().startswith("+") and digits.startswith(country_code):
        return digits[len(country_code):]
    return digits


def normalize_phone(phone: str, country_code: str = "7") -> str:
    """Return the phone as +<country><number>, or raise ValueError with a message fit for the user."""
    phone = (phone or "").strip()
    if not phone:
        return ""
    if not _PHONE_ALLOWED.match(phone):
        raise ValueError("Enter a phone number using digits, spaces, dashes and brackets, e.g. +7 701 123-45-67.")
    digits = re.sub(r"\D", "", phone)
    if phone.startswith("+"):
        if not 8 <= len(digits) <= 15:
            raise ValueError("A phone number has 8 to 15 digits with its country code.")
        return "+" + digits
    if country_code == "7" and len(digits) == 11 and digits[0] in "78":
        return "+7" + digits[1:]
    if len(digits) == 10:
        return "+" + country_code + digits
    raise ValueError("Enter a full phone number, e.g. +7 701 123-45-67 or 8 701 123 45 67.")


def normalize_email(email: str) -> str:
    """Return the address trimmed and lower-cased, or raise ValueError with a message fit for the user."""
    email = (email or "").strip()
    if not email:
        return ""
    if any(c in email for c in "\r\n"):
        raise ValueError("Enter a single email address.")
    lowered = email.lower()
    plain = _PLAIN_EMAIL.match(lowered)
    if plain and len(lowered) <= 254 and "xn--" not in lowered and plain.group(1) not in _SPECIAL_USE:
        return lowered
    try:
        result = validate_email(email, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"Enter a valid email address ({exc}).") from exc
    return result.normalized.lower()
