"""Admin forms. They only shape input; the checks that matter live in the services."""

from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader
from flask_admin.model.fields import AjaxSelectMultipleField
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from roster import permissions
from roster.admin import context
from roster.extensions import db
from roster.models import Program, Section, Tag
from roster.services.students import GUARDIAN_FIELDS, SCALAR_FIELDS
from roster.urls import record_id


class SchoolScopedLoader(QueryAjaxModelLoader):
    """An ajax lookup (programs, tags, sections) that sees only the selected school's names."""

    def get_query(self):
        return super().get_query().filter(self.model.school_id == context.school_id()).order_by(self.model.name)

    def get_one(self, pk):
        number = record_id(pk)
        return None if number is None else self.get_query().filter(self.model.id == number).one_or_none()


def scoped_loaders() -> dict[str, SchoolScopedLoader]:
    return {
        name: SchoolScopedLoader(name, db, model, fields=["name"], placeholder=f"Choose {name}")
        for name, model in (("programs", Program), ("tags", Tag), ("sections", Section))
    }


def _strip(value):
    return value.strip() if isinstance(value, str) else value


GENDER_CHOICES = [SelectChoice("", "—"), SelectChoice("male", "Male"), SelectChoice("female", "Female")]


def optional_text(label: str, max_length: int = 200, area: bool = False):
    field = TextAreaField if area else StringField
    return field(label, validators=[Optional(), Length(max=max_length)])


def build_student_form(loaders: dict[str, SchoolScopedLoader]) -> type[FlaskForm]:
    """The manual Add/Edit form: every field of a student; guardians are added inline by the view."""

    class StudentForm(FlaskForm):
        last_name = StringField("Last name", validators=[DataRequired(), Length(max=100)], filters=[_strip])
        first_name = StringField("First name", validators=[DataRequired(), Length(max=100)], filters=[_strip])
        middle_name = optional_text("Middle name", 100)
        phone = optional_text("Phone", 40)
        email = optional_text("Email", 254)
        personal_file_number = optional_text("Personal file number", 50)
        gender = SelectField("Gender", choices=GENDER_CHOICES, default="")
        birth_date = DateField("Date of birth", validators=[Optional()])
        is_inclusive = BooleanField("Is inclusive")
        is_individual = BooleanField("Is individual")
        programs = AjaxSelectMultipleField(loaders["programs"], "Programs")
        tags = AjaxSelectMultipleField(loaders["tags"], "Tags")
        sections = AjaxSelectMultipleField(loaders["sections"], "Sections")
        address = optional_text("Address", 1000, area=True)
        extra_phone = optional_text("Extra phone", 40)
        extra_email = optional_text("Extra email", 254)
        dropout_date = DateField("Drop-out date", validators=[Optional()])
        dropout_reason = optional_text("Drop-out reason", 200)
        dropout_note = optional_text("Drop-out note", 2000, area=True)

    return StudentForm


def student_data(form) -> dict:
    """Turn a submitted StudentForm into the plain values students.create/update take."""
    data = {name: form[name].data for name in SCALAR_FIELDS}
    for name in ("programs", "tags", "sections"):
        data[name[:-1] + "_ids"] = [item.id for item in form[name].data or []]
    guardians = form.guardians
    data["guardians"] = [
        {name: entry.form[name].data for name in GUARDIAN_FIELDS}
        for entry in guardians.entries
        if not guardians.should_delete(entry)
    ]
    return data


def attach_errors(form, exc) -> None:
    """Show a service's ValidationFailed beside the form's fields; a message for no field becomes a flash."""
    from flask import flash

    for name, messages in exc.field_errors.items():
        if name in form:
            form[name].errors = list(form[name].errors) + messages
        else:
            flash(" ".join(messages), "error")


def can_see_private() -> bool:
    return permissions.allows(context.role(), "students.see_private")


class ChangeEmailForm(FlaskForm):
    new_email = StringField("New email", validators=[DataRequired(), Length(max=254)], filters=[_strip])
    confirm_email = StringField("New email, again", validators=[DataRequired(), Length(max=254)], filters=[_strip])


class CredentialsForm(FlaskForm):
    login = StringField("Login", validators=[Length(max=254)], filters=[_strip])
    email = StringField("Email", validators=[DataRequired(), Length(max=254)], filters=[_strip])
    # Shown in clear: the admin reads it, maybe copies it; it is mailed and never stored.
    password = StringField("Password", validators=[Length(max=128)])
