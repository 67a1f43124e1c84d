"""Admin forms. They only shape input; the checks that matter live in the services."""

from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader
from flask_admin.model.fields import AjaxSelectMultipleField
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from roster import fields, permissions
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


LOOKUP_PLACEHOLDERS = {"programs": _l("Choose programs"), "tags": _l("Choose tags"), "sections": _l("Choose sections")}


def scoped_loaders() -> dict[str, SchoolScopedLoader]:
    return {
        name: SchoolScopedLoader(name, db, model, fields=["name"], placeholder=LOOKUP_PLACEHOLDERS[name])
        for name, model in (("programs", Program), ("tags", Tag), ("sections", Section))
    }


def _strip(value):
    return value.strip() if isinstance(value, str) else value


GENDER_CHOICES = [SelectChoice("", "—"), SelectChoice("male", _l("Male")), SelectChoice("female", _l("Female"))]


def _text(name: str, *, area: bool = False):
    """A text field of the catalog: its label, its length, required or not."""
    field = fields.STUDENT[name]
    required = DataRequired() if field.required else Optional()
    return (TextAreaField if area else StringField)(field.text, validators=[required, Length(max=field.length)],
                                                    filters=[_strip])


def _date(name: str):
    return DateField(fields.label(name), validators=[Optional()])


def build_student_form(loaders: dict[str, SchoolScopedLoader]) -> type[FlaskForm]:
    """The manual Add/Edit form: every field of a student; guardians are added inline by the view."""

    class StudentForm(FlaskForm):
        last_name = _text("last_name")
        first_name = _text("first_name")
        middle_name = _text("middle_name")
        phone = _text("phone")
        email = _text("email")
        personal_file_number = _text("personal_file_number")
        gender = SelectField(fields.label("gender"), choices=GENDER_CHOICES, default="")
        birth_date = _date("birth_date")
        is_inclusive = BooleanField(fields.label("is_inclusive"))
        is_individual = BooleanField(fields.label("is_individual"))
        programs = AjaxSelectMultipleField(loaders["programs"], fields.label("programs"))
        tags = AjaxSelectMultipleField(loaders["tags"], fields.label("tags"))
        sections = AjaxSelectMultipleField(loaders["sections"], fields.label("sections"))
        address = _text("address", area=True)
        extra_phone = _text("extra_phone")
        extra_email = _text("extra_email")
        dropout_date = _date("dropout_date")
        dropout_reason = _text("dropout_reason")
        dropout_note = _text("dropout_note", area=True)

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
    new_email = StringField(_l("New email"), validators=[DataRequired(), Length(max=254)], filters=[_strip])
    confirm_email = StringField(_l("New email, again"), validators=[DataRequired(), Length(max=254)], filters=[_strip])


class CredentialsForm(FlaskForm):
    login = StringField(_l("Login"), validators=[Length(max=254)], filters=[_strip])
    email = StringField(_l("Email"), validators=[DataRequired(), Length(max=254)], filters=[_strip])
    # Shown in clear: the admin reads it, maybe copies it; it is mailed and never stored.
    password = StringField(_l("Password"), validators=[Length(max=128)])
