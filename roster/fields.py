"""One catalog of a student's fields: name, label, longest value, who may see it, how an import header names it.

The Students list, its export, the Add/Edit form, the checks of roster.services.students and the import all
read a field's label and length here, so that a field is renamed, lengthened or hidden from teachers in one place.
The order of each page (list, form, import template) stays with that page: it lists names from this catalog.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from roster.models import Guardian, Student


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
    Field("full_name", "Full name", aliases=("ФИО", "Ф.И.О.", "Фамилия Имя Отчество", "Фамилия, имя, отчество",
                                             "Аты-жөні", "Толық аты-жөні", "Name")),
    Field("last_name", "Last name", required=True, aliases=("Surname", "Фамилия", "Тегі")),
    Field("first_name", "First name", required=True, aliases=("Имя", "Аты")),
    Field("middle_name", "Middle name", aliases=("Patronymic", "Отчество", "Әкесінің аты")),
    Field("email", "Email", aliases=("E-mail", "Электронная почта", "Эл. почта", "Почта", "Эл. пошта",
                                     "Электрондық пошта")),
    Field("phone", "Phone", aliases=("Телефон", "Мобильный телефон", "Ұялы телефон")),
    Field("personal_file_number", "Personal file number", aliases=(
        "File number", "Номер личного дела", "№ личного дела", "Личное дело", "Жеке іс нөмірі", "Жеке іс")),
    Field("gender", "Gender", aliases=("Sex", "Пол", "Жынысы")),
    Field("birth_date", "Date of birth", aliases=("Birth date", "Дата рождения", "Туған күні", "Туған күні мен жылы")),
    Field("is_inclusive", "Is inclusive", aliases=("Inclusive", "Инклюзивное", "Инклюзивное обучение", "Инклюзивті",
                                                   "Инклюзивті оқыту")),
    Field("is_individual", "Is individual", aliases=("Individual", "Индивидуальное", "Индивидуальное обучение",
                                                     "Жеке оқыту")),
    Field("address", "Address", max_length=1000, aliases=("Адрес", "Адрес проживания", "Мекенжай")),
    Field("extra_phone", "Extra phone", aliases=("Дополнительный телефон", "Доп. телефон", "Қосымша телефон")),
    Field("extra_email", "Extra email", aliases=("Дополнительная почта", "Доп. почта", "Қосымша пошта")),
    Field("dropout_date", "Drop-out date", private=True, aliases=("Дата выбытия", "Шыққан күні")),
    Field("dropout_reason", "Drop-out reason", private=True, aliases=("Причина выбытия", "Шығу себебі")),
    Field("dropout_note", "Drop-out note", max_length=2000, private=True,
          aliases=("Примечание к выбытию", "Шығу туралы ескертпе")),
    Field("programs", "Programs", aliases=("Программы", "Программа", "Бағдарламалар", "Бағдарлама")),
    Field("tags", "Tags", aliases=("Теги", "Метки", "Тегтер", "Белгілер")),
    Field("sections", "Sections", aliases=("Классы", "Класс", "Секции", "Сыныптар", "Сынып")),
    Field("guardians", "Parents information", imported=False, listed=False),
    Field("account_status", "Account status", imported=False),
    Field("source", "Source", imported=False),
    Field("created_at", "Created", imported=False),
)

GUARDIAN: dict[str, Field] = _catalog(
    Field("full_name", "Full name", aliases=("Name", "ФИО", "Аты-жөні"), model=Guardian),
    Field("relation", "Relation", aliases=("Кем приходится", "Степень родства", "Туыстығы"), model=Guardian),
    Field("phone", "Phone", aliases=("Телефон",), model=Guardian),
    Field("email", "Email", aliases=("E-mail", "Почта", "Электронная почта", "Пошта"), model=Guardian),
    Field("workplace", "Workplace (job)", header="Workplace", private=True,
          aliases=("Место работы", "Жұмыс орны"), model=Guardian),
    Field("position", "Position", private=True, aliases=("Должность", "Лауазымы"), model=Guardian),
)
# How a guardian's columns begin: "Guardian 1 phone", "Родитель 1 телефон", "Ата-ана 1 телефон".
GUARDIAN_PREFIXES = ("Guardian", "Parent", "Родитель", "Ата-ана")

LABELS = {name: f.label for name, f in STUDENT.items()}
PRIVATE = {name for name, f in STUDENT.items() if f.private}
REQUIRED = tuple(name for name, f in STUDENT.items() if f.required)
# Columns an export writes that Roster keeps itself: an import reads them back as known and leaves them alone.
EXPORTED_ONLY = tuple(f.label for f in STUDENT.values() if f.listed and not f.imported)


def label(name: str) -> str:
    return STUDENT[name].label


def length(name: str) -> int | None:
    return STUDENT[name].length


LENGTHS = {name: f.length for name, f in STUDENT.items() if f.length}


def choice_label(value: str | None) -> str:
    """How a stored choice reads: "self_signup" as "Self signup"."""
    return value.replace("_", " ").capitalize() if value else ""
