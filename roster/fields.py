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


STUDENT: dict[str, Field] = _catalog(
    Field("full_name", "Full name", imported=False),
    Field("last_name", "Last name", required=True, aliases=("Surname",)),
    Field("first_name", "First name", required=True),
    Field("middle_name", "Middle name", aliases=("Patronymic",)),
    Field("email", "Email"),
    Field("phone", "Phone"),
    Field("personal_file_number", "Personal file number", aliases=("File number",)),
    Field("gender", "Gender", aliases=("Sex",)),
    Field("birth_date", "Date of birth", aliases=("Birth date",)),
    Field("is_inclusive", "Is inclusive"),
    Field("is_individual", "Is individual"),
    Field("address", "Address", max_length=1000),
    Field("extra_phone", "Extra phone"),
    Field("extra_email", "Extra email"),
    Field("dropout_date", "Drop-out date", private=True),
    Field("dropout_reason", "Drop-out reason", private=True),
    Field("dropout_note", "Drop-out note", max_length=2000, private=True),
    Field("programs", "Programs"),
    Field("tags", "Tags"),
    Field("sections", "Sections"),
    Field("guardians", "Parents information", imported=False, listed=False),
    Field("account_status", "Account status", imported=False),
    Field("source", "Source", imported=False),
    Field("created_at", "Created", imported=False),
)

GUARDIAN: dict[str, Field] = _catalog(
    Field("full_name", "Full name", aliases=("Name",), model=Guardian),
    Field("relation", "Relation", model=Guardian),
    Field("phone", "Phone", model=Guardian),
    Field("email", "Email", model=Guardian),
    Field("workplace", "Workplace (job)", header="Workplace", private=True, model=Guardian),
    Field("position", "Position", private=True, model=Guardian),
)

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
