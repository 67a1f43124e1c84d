"""One catalog of a student's fields: name, label, longest value, who may see it, how an import header names it.

The Students list, its export, the Add/Edit form, the checks of roster.services.students and the import all
read a field's label and length here, so that a field is renamed, lengthened or hidden from teachers in one place.
The order of each page (list, form, import template) stays with that page: it lists names from this catalog.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from flask_babel import gettext, lazy_gettext

from roster.models import Guardian, Student


def N_(text: str) -> str:
    """Marks a label for the catalogs (pybabel extracts N_) and keeps it as written: the English label is also
    an import header; pages, exports and templates show it translated (`label`, `Field.text`)."""
    return text


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    max_length: int | None = None  # for a Text column, the cap the column itself does not set
    required: bool = False
    private: bool = False  # hidden from teachers (design.md: parents' jobs and drop-out details)
    aliases: tuple[str, ...] = ()  # other headers an import reads as this field
    imported: bool = True  # a column of the import template (False: Roster keeps it itself)
    listed: bool = True  # may be a column of the Students list, and so of its export
    header: str | None = None  # the import template's header, where it differs from the label
    model: type = Student

    @property
    def text(self):
        """The label in the language of the page (or the mail, the export) being made."""
        return lazy_gettext(self.label)

    @cached_property
    def length(self) -> int | None:
        """The most characters a value may have: the column's own length, or the cap a Text column is given."""
        if self.max_length is not None:
            return self.max_length
        column = self.model.__table__.c.get(self.name)
        return getattr(column.type, "length", None) if column is not None else None


def _catalog(*fields: Field) -> dict[str, Field]:
    return {f.name: f for f in fields}


# Aliases: how school offices head these columns in Russian and Kazakh (and other English words); an import
# reads them ignoring case, spaces and punctuation.
STUDENT: dict[str, Field] = _catalog(
    Field("full_name", N_("Full name"), aliases=("ФИО", "Ф.И.О.", "Фамилия Имя Отчество", "Фамилия, имя, отчество",
                                             "Аты-жөні", "Толық аты-жөні", "Name")),
    Field("last_name", N_("Last name"), required=True, aliases=("Surname", "Фамилия", "Тегі")),
    Field("first_name", N_("First name"), required=True, aliases=("Имя", "Аты")),
    Field("middle_name", N_("Middle name"), aliases=("Patronymic", "Отчество", "Әкесінің аты")),
    Field("email", N_("Email"), aliases=("E-mail", "Электронная почта", "Эл. почта", "Почта", "Эл. пошта",
                                     "Электрондық пошта")),
    Field("phone", N_("Phone"), aliases=("Телефон", "Мобильный телефон", "Ұялы телефон")),
    Field("personal_file_number", N_("Personal file number"), aliases=(
        "File number", "Номер личного дела", "№ личного дела", "Личное дело", "Жеке іс нөмірі", "Жеке іс")),
    Field("gender", N_("Gender"), aliases=("Sex", "Пол", "Жынысы")),
    Field("birth_date", N_("Date of birth"),
          aliases=("Birth date", "Дата рождения", "Туған күні", "Туған күні мен жылы")),
    Field("is_inclusive", N_("Is inclusive"), aliases=("Inclusive", "Инклюзивное", "Инклюзивное обучение", "Инклюзивті",
                                                   "Инклюзивті оқыту")),
    Field("is_individual", N_("Is individual"), aliases=("Individual", "Индивидуальное", "Индивидуальное обучение",
                                                     "Жеке оқыту")),
    Field("address", N_("Address"), max_length=1000, aliases=("Адрес", "Адрес проживания", "Мекенжай")),
    Field("extra_phone", N_("Extra phone"), aliases=("Дополнительный телефон", "Доп. телефон", "Қосымша телефон")),
    Field("extra_email", N_("Extra email"), aliases=("Дополнительная почта", "Доп. почта", "Қосымша пошта")),
    Field("dropout_date", N_("Drop-out date"), private=True, aliases=("Дата выбытия", "Шыққан күні")),
    Field("dropout_reason", N_("Drop-out reason"), private=True, aliases=("Причина выбытия", "Шығу себебі")),
    Field("dropout_note", N_("Drop-out note"), max_length=2000, private=True,
          aliases=("Примечание к выбытию", "Шығу туралы ескертпе")),
    Field("programs", N_("Programs"), aliases=("Программы", "Программа", "Бағдарламалар", "Бағдарлама")),
    Field("tags", N_("Tags"), aliases=("Теги", "Метки", "Тегтер", "Белгілер")),
    Field("sections", N_("Sections"), aliases=("Классы", "Класс", "Секции", "Сыныптар", "Сынып")),
    Field("guardians", N_("Parents information"), imported=False, listed=False),
    Field("account_status", N_("Account status"), imported=False),
    Field("source", N_("Source"), imported=False),
    Field("created_at", N_("Created"), imported=False),
)

GUARDIAN: dict[str, Field] = _catalog(
    Field("full_name", N_("Full name"), aliases=("Name", "ФИО", "Аты-жөні"), model=Guardian),
    Field("relation", N_("Relation"), aliases=("Кем приходится", "Степень родства", "Туыстығы"), model=Guardian),
    Field("phone", N_("Phone"), aliases=("Телефон",), model=Guardian),
    Field("email", N_("Email"), aliases=("E-mail", "Почта", "Электронная почта", "Пошта"), model=Guardian),
    Field("workplace", N_("Workplace (job)"), header=N_("Workplace"), private=True,
          aliases=("Место работы", "Жұмыс орны"), model=Guardian),
    Field("position", N_("Position"), private=True, aliases=("Должность", "Лауазымы"), model=Guardian),
)
# How a guardian's columns begin: "Guardian 1 phone", "Родитель 1 телефон", "Ата-ана 1 телефон".
GUARDIAN_PREFIXES = ("Guardian", "Parent", "Родитель", "Ата-ана")

LABELS = {name: f.text for name, f in STUDENT.items()}  # each a lazy string: in the language of its page
PRIVATE = {name for name, f in STUDENT.items() if f.private}
REQUIRED = tuple(name for name, f in STUDENT.items() if f.required)
# Columns an export writes that Roster keeps itself: an import reads them back as known and leaves them alone.
EXPORTED_ONLY = tuple(f.label for f in STUDENT.values() if f.listed and not f.imported)


def label(name: str):
    """The field's label in the language of the page (or mail, export) being made."""
    return STUDENT[name].text


def length(name: str) -> int | None:
    return STUDENT[name].length


LENGTHS = {name: f.length for name, f in STUDENT.items() if f.length}


# How stored choices read on pages (exports write them as they are stored, for an import to read back).
CHOICES = {"male": N_("Male"), "female": N_("Female"), "manual": N_("Manual"), "import": N_("Import"),
           "invite": N_("Invite"), "sign-up": N_("Sign-up")}


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
