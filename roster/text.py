"""Normalising names, phones and emails, so that search and uniqueness behave the same everywhere."""

import functools
import re
import unicodedata

import babel
import phonenumbers
from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email
from flask_babel import gettext as _

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


DEFAULT_COUNTRY = "KZ"  # a school's country until the platform admin sets another


def countries(language: str | None = None) -> list[tuple[str, str]]:
    """Every region libphonenumber knows, as (ISO code, name), by name, in the language (else the page's).

    The names are Unicode CLDR's, through Babel (phonenumbers' own geocoder would hold 100 MB in every process).
    """
    if language is None:
        from flask_babel import get_locale

        locale = get_locale()
        language = locale.language if locale is not None else "en"
    return _countries(language)


@functools.cache
def _countries(language: str) -> list[tuple[str, str]]:
    names = babel.Locale.parse(language).territories
    return sorted(((r, names.get(r, r)) for r in phonenumbers.SUPPORTED_REGIONS), key=lambda item: item[1])


def country_name(region: str, language: str | None = None) -> str:
    return dict(countries(language)).get(region, region)


@functools.cache
def phone_example(region: str, *, international: bool = False) -> str:
    """How the region writes a mobile number, e.g. "8 (771) 000 9998" in Kazakhstan, "07400 123456" in Britain
    ("+7 771 000 9998", "+44 7400 123456" internationally); "" where libphonenumber has no example."""
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    if example is None:
        return ""
    return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.INTERNATIONAL if international
                                      else phonenumbers.PhoneNumberFormat.NATIONAL)


def normalize_phone(phone: str, region: str = DEFAULT_COUNTRY) -> str:
    """Return the phone in E.164 (+77011234567), read as written in the region; raise ValueError with a message.

    libphonenumber (phonenumbers) knows every country's trunk prefixes and lengths: "8 701 123 45 67" is
    Kazakh in Kazakhstan, "(020) 7946-0959" British in Britain; a number with its +country code is read as it is.
    """
    phone = (phone or "").strip()
    if not phone:
        return ""
    number = _international(phone)
    if number is None:
        try:
            number = phonenumbers.parse(phone, region)
        except phonenumbers.NumberParseException:
            number = None
    # Possible as a whole number (the lenient length check); a number dialled only locally lacks its area code.
    if number is None or not _possible(number):
        if not phone_example(region):
            raise ValueError(_("Enter a whole phone number with its country code, e.g. +7 701 123 4567."))
        raise ValueError(_("Enter a phone number as %(country)s writes it, e.g. %(example)s, or with its country "
                           "code, e.g. %(international)s.", country=country_name(region),
                           example=phone_example(region), international=phone_example(region, international=True)))
    if not number.italian_leading_zero:  # what format_number(E164) writes, without its lookups
        return f"+{number.country_code}{number.national_number}"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


_POSSIBLE: dict[tuple[int, int], bool] = {}


def _possible(number: phonenumbers.PhoneNumber) -> bool:
    """libphonenumber's lenient check (is_possible_number_with_reason), remembered per calling code and length:
    it compares only the national number's length with the country's possible lengths."""
    if number.italian_leading_zero:
        key = None
    else:
        key = (number.country_code, len(str(number.national_number)))
        if (known := _POSSIBLE.get(key)) is not None:
            return known
    possible = phonenumbers.is_possible_number_with_reason(number) == phonenumbers.ValidationResult.IS_POSSIBLE
    if key is not None:
        _POSSIBLE[key] = possible
    return possible


_SEPARATORS = str.maketrans("", "", " -().\u00a0")


def _international(phone: str) -> phonenumbers.PhoneNumber | None:
    """A number written with its +country code and separators only ("+7 969 754-86-19"), split by libphonenumber's
    table of calling codes: what parse() makes of it at about half the cost (an import reads 100,000). None where
    parse() may read it otherwise: any other character, a national number with a leading zero, or one that
    begins as the country's national prefix ("+44 (0) 20…": parse drops the 0)."""
    if phone[0] != "+":
        return None
    number = _stored_number(phone.translate(_SEPARATORS))
    if number is None or number.italian_leading_zero:
        return None
    metadata = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(
        number.country_code, phonenumbers.region_code_for_country_code(number.country_code))
    if metadata is None:
        return None
    prefix = metadata.national_prefix_for_parsing
    if prefix and re.match(prefix, str(number.national_number)):
        return None
    return number


def format_phone(e164: str, region: str = DEFAULT_COUNTRY) -> str:
    """Show a stored phone as its country writes it: nationally within the region's calling code (+7 is dialled
    alike from Kazakhstan and Russia, +1 across North America), internationally from elsewhere.

    What libphonenumber's format_number makes of it, with its patterns compiled and chosen once per leading
    digits (an export formats 100,000: format_number alone took most of it)."""
    split = _split_e164(e164)
    if split is None:
        return e164 or ""
    code, national = split
    home = code == _calling_code(region)
    if national.strip("0") == "":  # libphonenumber writes such a number oddly: let it
        return phonenumbers.format_number(_stored_number(e164), phonenumbers.PhoneNumberFormat.NATIONAL if home
                                          else phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    formatted = _formatter(code, home).format(national)
    return formatted if home else f"+{code} {formatted}"


@functools.cache
def _calling_code(region: str) -> int:
    return phonenumbers.country_code_for_region(region)


class _Formatter:
    """libphonenumber's choice and use of a formatting pattern for one calling code, national or international
    (phonenumberutil's _format_nsn), with every regular expression compiled once and the candidate patterns
    remembered per leading digits: a leading-digits pattern reads at most `width` digits (7 in the metadata)."""

    _FIRST_GROUP = re.compile(r"(\\\d)")  # "\1" in a rule (phonenumberutil's _FIRST_GROUP_PATTERN)
    _MEMORY = 20_000  # leading digits remembered at most

    def __init__(self, country_code: int, national: bool):
        metadata = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(
            country_code, phonenumbers.region_code_for_country_code(country_code).upper())
        formats = (metadata.number_format if national or not metadata.intl_number_format
                   else metadata.intl_number_format)
        self.patterns = []
        self.width: int | None = 0  # None: some leading-digits pattern may read the whole number
        for number_format in formats:
            rule = number_format.format
            if national and number_format.national_prefix_formatting_rule:
                rule = self._FIRST_GROUP.sub(number_format.national_prefix_formatting_rule, rule, count=1)
            leading = number_format.leading_digits_pattern[-1] if number_format.leading_digits_pattern else None
            if leading is not None and self.width is not None:
                width = _match_width(leading)
                self.width = max(self.width, width) if width else None
            self.patterns.append((re.compile(leading) if leading is not None else None,
                                  re.compile(number_format.pattern), rule, _template(rule)))
        self.candidates: dict[str, list] = {}

    def format(self, nsn: str) -> str:
        key = nsn[:self.width] if self.width is not None else nsn
        candidates = self.candidates.get(key)
        if candidates is None:
            if len(self.candidates) > self._MEMORY:
                self.candidates.clear()
            candidates = self.candidates[key] = [(pattern, rule, template)
                                                 for leading, pattern, rule, template in self.patterns
                                                 if leading is None or leading.match(key)]
        for pattern, rule, template in candidates:
            match = pattern.match(nsn)
            if match and match.end() == len(nsn) and template:  # what sub() replaces: this one match
                return template.format(*match.groups(""))
            if pattern.fullmatch(nsn):
                return pattern.sub(rule, nsn)
        return nsn


def _template(rule: str) -> str | None:
    """A rule such as "8 (\\1) \\2-\\3" as a str.format pattern of the match's groups ("8 ({0}) {1}-{2}"), or
    None if it holds any other escape."""
    parts = re.split(r"\\([1-9])", rule)
    if any("\\" in text for text in parts[::2]) or re.search(r"\\\d\d", rule):
        return None
    return "".join(f"{{{int(part) - 1}}}" if n % 2 else part.replace("{", "{{").replace("}", "}}")
                   for n, part in enumerate(parts))


def _match_width(pattern: str) -> int:
    """The most characters a pattern can match; 0 where that is unbounded or the pattern could look beyond what it
    matches (then the whole number is the key)."""
    try:
        from re import _parser as sre_parse
    except ImportError:  # Python before 3.11
        import sre_parse
    if any(sign in pattern for sign in ("(?=", "(?!", "(?<", "$", "\\b", "\\Z")):
        return 0
    width = sre_parse.parse(pattern).getwidth()[1]
    return width if width < 1000 else 0


@functools.cache
def _formatter(country_code: int, national: bool) -> _Formatter:
    return _Formatter(country_code, national)


def _stored_number(e164: str) -> phonenumbers.PhoneNumber | None:
    """The PhoneNumber of a stored E.164 string, split by libphonenumber's table of calling codes.

    Half the cost of parse() (which reads any text a person may type): a list or export shows thousands.
    """
    split = _split_e164(e164)
    if split is None:
        return None
    code, national = split
    number = phonenumbers.PhoneNumber(country_code=code, national_number=int(national))
    zeros = len(national) - len(national.lstrip("0"))
    if zeros:  # Italy keeps its leading zero in the national number
        number.italian_leading_zero = True
        number.number_of_leading_zeros = zeros if zeros > 1 else None
    return number


def _split_e164(e164: str) -> tuple[int, str] | None:
    """(calling code, national digits) of "+<digits>", or None. Calling codes are prefix-free, so the first one
    that is known is the number's."""
    if not e164 or e164[0] != "+" or not e164[1:].isdigit():
        return None
    for size in (1, 2, 3):
        code = int(e164[1:size + 1])
        if code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            national = e164[size + 1:]
            return (code, national) if national else None
    return None


def whole_phone(query: str, region: str = DEFAULT_COUNTRY) -> str | None:
    """The E.164 form of a search that is a whole, valid number (found by an exact, indexed match), else None:
    "(020) 7946" is possible as a British number but is a part of one."""
    try:
        number = phonenumbers.parse(query, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_search_digits(query: str, region: str = DEFAULT_COUNTRY) -> set[str]:
    """The digits a part of a phone may be found by in E.164 numbers: as typed and, when it begins with the
    region's trunk prefix (8 in Kazakhstan, 0 in Britain), without it. "+7 701" keeps its country code."""
    digits = re.sub(r"\D", "", query or "")
    if not digits:
        return set()
    found = {digits}
    prefix = phonenumbers.PhoneMetadata.metadata_for_region(region).national_prefix if not query.strip().startswith(
        "+") else None
    if prefix and digits.startswith(prefix) and len(digits) - len(prefix) >= 3:
        found.add(digits[len(prefix):])
    return found


def normalize_email(email: str) -> str:
    """Return the address trimmed and lower-cased, or raise ValueError with a message fit for the user."""
    email = (email or "").strip()
    if not email:
        return ""
    if any(c in email for c in "\r\n"):
        raise ValueError(_("Enter a single email address."))
    lowered = email.lower()
    plain = _PLAIN_EMAIL.match(lowered)
    if plain and len(lowered) <= 254 and "xn--" not in lowered and plain.group(1) not in _SPECIAL_USE:
        return lowered
    try:
        result = validate_email(email, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"Enter a valid email address ({exc}).") from exc
    return result.normalized.lower()


def normalize_login(text: str | None) -> str:
    """A login as it is kept and looked up: lower case, without spaces around it or runs of them inside."""
    return " ".join((text or "").split()).lower()


@functools.cache
def _date_pattern(region: str, language: str | None = None) -> str:
    """The short date pattern of the language as written in the country (05.03.2012 in Russian and Kazakh); in
    English, of the country's first official language. With a four-digit year."""
    from babel.dates import get_date_format
    from babel.languages import get_official_languages

    languages = get_official_languages(region) or ("en",)
    wanted = language if language and language != "en" else languages[0]
    try:
        locale = babel.Locale.parse(f"{wanted}_{region}")
    except (babel.UnknownLocaleError, ValueError):
        try:
            locale = babel.Locale.parse(wanted)
        except (babel.UnknownLocaleError, ValueError):
            locale = babel.Locale.parse("en")
    pattern = get_date_format("short", locale=locale).pattern
    return re.sub(r"(?<!y)yy(?!y)", "y", pattern)


def school_date(value, region: str | None = DEFAULT_COUNTRY, language: str | None = None) -> str:
    """A date (or a date and time) as the language and the school's country write it: 05.03.2012 in Kazakhstan,
    3/5/2012 in the US. Pages and mails only: files keep ISO dates."""
    from datetime import datetime

    from babel.dates import format_date

    if value is None:
        return ""
    text = format_date(value, _date_pattern(region or DEFAULT_COUNTRY, language), locale="en")
    return f"{text} {value:%H:%M}" if isinstance(value, datetime) else text


# The last word of a two-word Kazakh (and Kyrgyz, Azerbaijani) patronymic: "Нурлан улы", "Ержан кызы".
PATRONYMIC_ENDINGS = {"улы", "ұлы", "уулу", "кызы", "қызы", "оглы", "оглу", "гызы", "uly", "kyzy", "qyzy"}


def split_full_name(text: str) -> tuple[str, str, str]:
    """A full name in an office list's order (last, first, middle): "Иванов Пётр Сергеевич" → (Иванов, Пётр,
    Сергеевич); "Ким Дана" → (Ким, Дана, ""); a two-word patronymic stays one middle name ("Нурланов Ержан
    Нурлан улы" → (Нурланов, Ержан, Нурлан улы))."""
    words = text.split()
    if len(words) < 2:
        raise ValueError(_("Write the last name and the first name (and the middle name, if any) in this cell."))
    if len(words) >= 4 and fold(words[-1]) in PATRONYMIC_ENDINGS:
        return " ".join(words[:-3]), words[-3], " ".join(words[-2:])
    return words[0], words[1], " ".join(words[2:])
