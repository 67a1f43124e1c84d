"""The one description of a student's and a guardian's fields: what each is and where it goes.

The Add/Edit form, the Students list (its columns, default columns, filters and sort), the details page,
the checks of roster.services.students, the import (template, headers, comparison, bulk insert), the export and
the student's data on request all read this catalog. Adding a field is a column in roster/models.py, an entry
here and a migration (docs/architecture.md, "Adding a field").

Pages show fields in the catalog's order (the list's columns, the details page, the import template, the
export); the form places each field in its group, and the filters keep their own places (the filter form's
URLs number its filters: a new filter goes last, so that saved links keep meaning what they meant).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from flask import g, has_request_context
from flask_babel import LazyString, gettext, lazy_gettext

from roster import labels
from roster.i18n import N_
from roster.models import Guardian, Student

# Kinds: how a value is read, checked, stored, edited and shown.
TEXT = "text"  # one line; runs of spaces and line breaks become one space
LONG_TEXT = "long text"  # several lines (a text area)
EMAIL = "email"  # normalised (lower case), checked as an address
PHONE = "phone"  # read in the school's country; a `<name>_normalized` column beside it keeps E.164
DATE = "date"
FLAG = "yes/no"
CHOICE = "choice"  # one of `choices`
LINK = "link"  # the school's programs, tags or sections (roster.models.LINKS)
NAME = "full name"  # made of the three names: shown, searched and sorted, never stored
GUARDIANS = "guardians"  # the inline list of parents (GUARDIAN below)
KEPT = "kept by Roster"  # account status, source, created: listed, never edited or imported

# How the list filters a field (its operation as the filter form names it); roster.services.listing selects.
WORDS = "words"  # each word begins a word of the name
PHONE_MATCH = "phone"  # a whole number or any part of one
CONTAINS = "contains"  # the text anywhere, ignoring case
EXACT = "exact"  # the whole value
ANY_OF = "any of"  # any of the programs, tags or sections chosen
YES_NO = "yes/no"
EQUALS = "equals"  # one of the choices
STATUS = "status"  # one of the statuses, or any; no filter: studying (today's list)

# Fields whose name and rule are the school's country's: their label there; a school of another country has no
# such field (hidden_for).
BY_COUNTRY = {"national_id": {"KZ": N_("IIN"), "RU": N_("SNILS")}}


def _country() -> str | None:
    """The country of the school a page works on (roster.admin.context keeps it in `g`), else None."""
    if not has_request_context():
        return None
    school = (g.get("roster_school") or (None, None))[0]
    return getattr(school, "country", None)


def hidden_for(country: str | None) -> set[str]:
    """The fields a school of this country does not have (an IIN outside Kazakhstan, SNILS outside Russia)."""
    return {name for name, labels_ in BY_COUNTRY.items() if (country or "").upper() not in labels_}


# The Add/Edit form's groups, in the guide's order: (key, legend).
GROUPS = (("student", N_("Student")), ("contact", N_("Contact information")),
          ("guardians", N_("Parents information")), ("education", N_("Education")),
          ("links", N_("Programs, tags and sections")))


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str = TEXT
    max_length: int | None = None  # for a Text column, the cap the column itself does not set
    required: bool = False
    private: bool = False  # hidden from teachers (design.md: parents' jobs and drop-out details)
    aliases: tuple[str, ...] = ()  # other headers an import reads as this field
    form: tuple[str, int] | None = None  # (group, place in it) in Add/Edit; None: not edited there
    listed: bool = False  # a column of the Students list, and so of its export
    shown: bool = False  # ... shown until a user chooses their columns
    filter: tuple[str, int] | None = None  # (how, place among the filters); None: not filtered
    sort: tuple[str, ...] | bool = False  # True: by its own column; a tuple: by those columns
    details: bool = False  # on the student's page
    imported: bool = False  # a column of the import template (read from a file, compared, written)
    choices: tuple[tuple[str, str], ...] = ()  # a choice's stored values and their labels
    words: dict[str, str] = field(default_factory=dict, hash=False)  # more ways a file writes a choice
    invalid: str = ""  # a choice's message for a value that is none of them (with %(value)s)
    header: str | None = None  # the import template's header, where it differs from the label
    model: type = Student

    @property
    def text(self):
        """The label in the language of the page (or the mail, the export) being made; a field whose name is the
        country's (the national identifier) takes the selected school's country's."""
        if self.name in BY_COUNTRY:
            return LazyString(lambda: gettext(BY_COUNTRY[self.name].get(_country(), self.label)))
        return lazy_gettext(self.label)

    @cached_property
    def length(self) -> int | None:
        """The most characters a value may have: the column's own length, or the cap a Text column is given."""
        if self.max_length is not None:
            return self.max_length
        column = self.model.__table__.c.get(self.name)
        return getattr(column.type, "length", None) if column is not None else None

    @property
    def stored(self) -> bool:
        """A column of the student's own that a person edits or a file brings (not a link, not Roster's)."""
        return self.kind not in (LINK, NAME, GUARDIANS, KEPT)

    @cached_property
    def empty(self):
        """What an empty value is stored as: NULL where the column allows it (an optional identifier: uniqueness
        then ignores it), False for yes/no, else ""."""
        column = self.model.__table__.c[self.name]
        return False if self.kind == FLAG else (None if column.nullable else "")


def _catalog(*fields: Field) -> dict[str, Field]:
    return {f.name: f for f in fields}


GENDER_WORDS = {"m": "male", "м": "male", "муж": "male", "мужской": "male", "boy": "male", "мальчик": "male",
                "ер": "male", "ұл": "male", "ер бала": "male", "f": "female", "ж": "female", "жен": "female",
                "женский": "female", "girl": "female", "девочка": "female", "әйел": "female", "қыз": "female",
                "қыз бала": "female"}

# Aliases: how school offices head these columns in Russian and Kazakh (and other English words); an import
# reads them ignoring case, spaces and punctuation.
STUDENT: dict[str, Field] = _catalog(
    Field("full_name", N_("Full name"), NAME, listed=True, shown=True, filter=(WORDS, 0), sort=("search_key",),
          details=True, aliases=("ФИО", "Ф.И.О.", "Фамилия Имя Отчество", "Фамилия, имя, отчество", "Аты-жөні",
                                 "Толық аты-жөні", "Name")),
    Field("last_name", N_("Last name"), required=True, form=("student", 1), listed=True, sort=True, imported=True,
          aliases=("Surname", "Фамилия", "Тегі")),
    Field("first_name", N_("First name"), required=True, form=("student", 2), listed=True, sort=True,
          imported=True, aliases=("Имя", "Аты")),
    Field("middle_name", N_("Middle name"), form=("student", 3), listed=True, sort=True, imported=True,
          aliases=("Patronymic", "Отчество", "Әкесінің аты")),
    Field("email", N_("Email"), EMAIL, form=("contact", 2), listed=True, shown=True, filter=(CONTAINS, 2),
          sort=True, details=True, imported=True,
          aliases=("E-mail", "Электронная почта", "Эл. почта", "Почта", "Эл. пошта", "Электрондық пошта")),
    Field("phone", N_("Phone"), PHONE, form=("contact", 1), listed=True, shown=True, filter=(PHONE_MATCH, 1),
          sort=("phone_normalized",), details=True, imported=True,
          aliases=("Телефон", "Мобильный телефон", "Ұялы телефон")),
    Field("personal_file_number", N_("Personal file number"), form=("student", 6), listed=True, shown=True,
          filter=(EXACT, 3), sort=True, details=True, imported=True,
          aliases=("File number", "Номер личного дела", "№ личного дела", "Личное дело", "Жеке іс нөмірі",
                   "Жеке іс")),
    Field("programs", N_("Programs"), LINK, form=("links", 1), listed=True, shown=True, filter=(ANY_OF, 4),
          details=True, imported=True, aliases=("Программы", "Программа", "Бағдарламалар", "Бағдарлама")),
    Field("tags", N_("Tags"), LINK, form=("links", 2), listed=True, shown=True, filter=(ANY_OF, 5), details=True,
          imported=True, aliases=("Теги", "Метки", "Тегтер", "Белгілер")),
    Field("sections", N_("Sections"), LINK, form=("links", 3), listed=True, filter=(ANY_OF, 6), details=True,
          imported=True, aliases=("Классы", "Класс", "Секции", "Сыныптар", "Сынып")),
    Field("gender", N_("Gender"), CHOICE, form=("student", 4), listed=True, sort=True, details=True, imported=True,
          choices=(("male", N_("Male")), ("female", N_("Female"))), words=GENDER_WORDS,
          invalid=N_("“%(value)s” is not a gender: write male or female (or m, f)."),
          aliases=("Sex", "Пол", "Жынысы")),
    Field("birth_date", N_("Date of birth"), DATE, form=("student", 5), listed=True, sort=True, details=True,
          imported=True, aliases=("Birth date", "Дата рождения", "Туған күні", "Туған күні мен жылы")),
    Field("citizenship", N_("Citizenship"), form=("student", 7), listed=True, filter=(CONTAINS, 11), sort=True,
          details=True, imported=True, aliases=("Гражданство", "Азаматтығы", "Азаматтық", "Nationality")),
    # Its label and rule are the school's country's (IIN, SNILS); a school elsewhere has no such field.
    Field("national_id", N_("National ID"), max_length=20, form=("student", 8), listed=True, filter=(EXACT, 13),
          details=True, imported=True, private=True,
          aliases=("IIN", "ИИН", "ЖСН", "SNILS", "СНИЛС", "National identifier")),
    # The id another system (OneRoster's sourcedId) knows the child by: an import matches by it first.
    Field("external_id", N_("External ID"), form=("student", 9), listed=True, filter=(EXACT, 14),
          details=True, imported=True, aliases=("sourcedId", "Source ID", "Внешний ID", "Внешний идентификатор",
                                                 "Сыртқы ID")),
    # The login another system gave the child (OneRoster's username): Credentials offers it as the login.
    Field("username", N_("Username"), form=("student", 10), details=True, imported=True,
          aliases=("Login", "Логин", "Имя пользователя", "Пайдаланушы аты")),
    Field("is_inclusive", N_("Is inclusive"), FLAG, form=("education", 1), listed=True, filter=(YES_NO, 7),
          sort=True, details=True, imported=True,
          aliases=("Inclusive", "Инклюзивное", "Инклюзивное обучение", "Инклюзивті", "Инклюзивті оқыту")),
    Field("is_individual", N_("Is individual"), FLAG, form=("education", 2), listed=True, filter=(YES_NO, 8),
          sort=True, details=True, imported=True,
          aliases=("Individual", "Индивидуальное", "Индивидуальное обучение", "Жеке оқыту")),
    Field("address", N_("Address"), LONG_TEXT, max_length=1000, form=("contact", 3), details=True, imported=True,
          aliases=("Адрес", "Адрес проживания", "Мекенжай")),
    Field("extra_phone", N_("Extra phone"), PHONE, form=("contact", 4), details=True, imported=True,
          aliases=("Дополнительный телефон", "Доп. телефон", "Қосымша телефон")),
    Field("extra_email", N_("Extra email"), EMAIL, form=("contact", 5), details=True, imported=True,
          aliases=("Дополнительная почта", "Доп. почта", "Қосымша пошта")),
    Field("guardians", N_("Parents information"), GUARDIANS, form=("guardians", 1), details=True),
    # The last Leave's record (written by Leave, cleared by Return; the movements keep every one).
    Field("dropout_date", N_("Drop-out date"), DATE, private=True, details=True, imported=True,
          aliases=("Дата выбытия", "Шыққан күні")),
    Field("dropout_reason", N_("Drop-out reason"), private=True, details=True, imported=True,
          aliases=("Причина выбытия", "Шығу себебі")),
    Field("dropout_note", N_("Drop-out note"), LONG_TEXT, max_length=2000, private=True, details=True,
          imported=True, aliases=("Примечание к выбытию", "Шығу туралы ескертпе")),
    Field("account_status", N_("Account status"), KEPT, listed=True, shown=True, filter=(EQUALS, 9), sort=True,
          details=True, choices=tuple(labels.ACCOUNT_STATUSES.items())),
    Field("status", N_("Status"), KEPT, listed=True, filter=(STATUS, 12), sort=True, details=True,
          choices=(("studying", N_("Studying")), ("left", N_("Left")), ("graduated", N_("Graduated")),
                   ("transferred", N_("Transferred out")))),
    Field("source", N_("Source"), KEPT, listed=True, filter=(EQUALS, 10), sort=True, details=True,
          choices=(("manual", N_("Manual")), ("import", N_("Import")), ("invite", N_("Invite")),
                   ("sign-up", N_("Sign-up")), ("transfer", N_("Transfer")))),
    Field("created_at", N_("Created"), KEPT, listed=True, sort=True, details=True),
)

# Columns of the student table that are no field of theirs: keys, derived values, Roster's own bookkeeping.
INTERNAL = {"id", "school_id", "user_id", "search_key", "phone_normalized", "updated_at", "credentials_sent_at",
            "consent_version", "consent_at", "consent_withdrawn_at"}

GUARDIAN: dict[str, Field] = _catalog(
    Field("full_name", N_("Full name"), aliases=("Name", "ФИО", "Аты-жөні"), model=Guardian),
    Field("relation", N_("Relation"), aliases=("Кем приходится", "Степень родства", "Туыстығы"), model=Guardian),
    Field("phone", N_("Phone"), PHONE, aliases=("Телефон",), model=Guardian),
    Field("email", N_("Email"), EMAIL, aliases=("E-mail", "Почта", "Электронная почта", "Пошта"), model=Guardian),
    Field("workplace", N_("Workplace (job)"), header=N_("Workplace"), private=True,
          aliases=("Место работы", "Жұмыс орны"), model=Guardian),
    Field("position", N_("Position"), private=True, aliases=("Должность", "Лауазымы"), model=Guardian),
)
GUARDIAN_FIELDS = tuple(GUARDIAN)
# How a guardian's columns begin: "Guardian 1 phone", "Родитель 1 телефон", "Ата-ана 1 телефон".
GUARDIAN_PREFIXES = ("Guardian", "Parent", "Родитель", "Ата-ана")


def _named(test) -> tuple[str, ...]:
    return tuple(name for name, f in STUDENT.items() if test(f))


LABELS = {name: f.text for name, f in STUDENT.items()}  # each a lazy string: in the language of its page
PRIVATE = set(_named(lambda f: f.private))
REQUIRED = _named(lambda f: f.required)
COLUMNS = list(_named(lambda f: f.listed))  # the list's columns, in order
DEFAULT_COLUMNS = list(_named(lambda f: f.shown))
DETAILS = list(_named(lambda f: f.details))
TEMPLATE = _named(lambda f: f.imported)  # the import template's columns, in order
STORED = _named(lambda f: f.stored)  # the scalar values the services check and store
EDITED = _named(lambda f: f.stored and f.form is not None)  # ... of them, those Add/Edit edits
IMPORTED_VALUES = _named(lambda f: f.stored and f.imported)  # ... and those a file brings
LINK_FIELDS = _named(lambda f: f.kind == LINK)
SORTS = {name: (f.sort if isinstance(f.sort, tuple) else (name,)) for name, f in STUDENT.items() if f.sort}
FILTERS = [(name, f.filter[0]) for name, f in sorted(
    ((n, f) for n, f in STUDENT.items() if f.filter), key=lambda item: item[1].filter[1])]
# Columns an export writes that Roster keeps itself: an import reads them back as known and leaves them alone.
EXPORTED_ONLY = tuple(f.label for f in STUDENT.values() if f.listed and not f.imported and f.kind != NAME)


def form_groups() -> list[tuple[str, tuple[str, ...]]]:
    """The Add/Edit form's groups in order: (legend, the names of its fields in their places)."""
    return [(legend, tuple(name for name, f in sorted(
        ((n, f) for n, f in STUDENT.items() if f.form and f.form[0] == key), key=lambda item: item[1].form[1])))
        for key, legend in GROUPS]


def of_kind(*kinds: str, among=STORED) -> tuple[str, ...]:
    return tuple(name for name in among if STUDENT[name].kind in kinds)


def label(name: str):
    """The field's label in the language of the page (or mail, export) being made."""
    return STUDENT[name].text


def length(name: str) -> int | None:
    return STUDENT[name].length


LENGTHS = {name: f.length for name, f in STUDENT.items() if f.length}


# How stored choices read on pages (exports write them as they are stored, for an import to read back).
CHOICES = {value: text for f in STUDENT.values() for value, text in f.choices}


def neutral_choice(value: str | None) -> str:
    """A stored choice as files write it, whatever the language: "Male", "Sign-up"."""
    return CHOICES.get(value) or choice_label_en(value)


def choice_label_en(value: str | None) -> str:
    return value.replace("_", " ").capitalize() if value else ""


def choice_label(value: str | None) -> str:
    """How a stored choice reads: "male" as "Male", in the page's language."""
    if not value:
        return ""
    return gettext(CHOICES[value]) if value in CHOICES else choice_label_en(value)
