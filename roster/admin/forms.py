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
from roster.models import LINKS
from roster.urls import record_id


class SchoolScopedLoader(QueryAjaxModelLoader):
    """An ajax lookup (programs, tags, sections) that sees only the selected school's names."""

    def get_query(self):
        return super().get_query().filter(*self.model.of_school(context.school_id())).order_by(self.model.name)

    def get_one(self, pk):
        number = record_id(pk)
        return None if number is None else self.get_query().filter(self.model.id == number).one_or_none()


LOOKUP_PLACEHOLDERS = {"programs": _l("Choose programs"), "tags": _l("Choose tags"), "sections": _l("Choose sections")}


def scoped_loaders() -> dict[str, SchoolScopedLoader]:
    return {name: SchoolScopedLoader(name, db, model, fields=["name"], placeholder=LOOKUP_PLACEHOLDERS[name])
            for name, (model, _table) in LINKS.items()}


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _text(field: fields.Field, loaders=None, *, area: bool = False):
    """A text field of the catalog: its label, its length, required or not."""
    required = DataRequired() if field.required else Optional()
    return (TextAreaField if area else StringField)(field.text, validators=[required, Length(max=field.length)],
                                                    filters=[_strip])


# The form's field for each kind of roster.fields: (field, the school's lookups) -> a WTForms field.
FORM_FIELDS = {
    fields.TEXT: _text,
    fields.EMAIL: _text,
    fields.PHONE: _text,
    fields.LONG_TEXT: lambda field, loaders: _text(field, area=True),
    fields.DATE: lambda field, loaders: DateField(field.text, validators=[Optional()]),
    fields.FLAG: lambda field, loaders: BooleanField(field.text),
    fields.CHOICE: lambda field, loaders: SelectField(field.text, default="", choices=[
        SelectChoice("", "—"), *(SelectChoice(value, _l(text)) for value, text in field.choices)]),
    fields.LINK: lambda field, loaders: AjaxSelectMultipleField(loaders[field.name], field.text),
}


def build_student_form(loaders: dict[str, SchoolScopedLoader]) -> type[FlaskForm]:
    """The manual Add/Edit form: every field roster.fields puts in it; guardians are added inline by the view."""
    form_fields = {name: FORM_FIELDS[field.kind](field, loaders)
                   for name, field in fields.STUDENT.items() if field.form and field.kind in FORM_FIELDS}
    return type("StudentForm", (FlaskForm,), form_fields)


def student_data(form) -> dict:
    """Turn a submitted StudentForm into the plain values students.create/update take."""
    data = {name: form[name].data for name in fields.EDITED if name in form}  # a field the school has not: absent
    for name in fields.LINK_FIELDS:
        data[name[:-1] + "_ids"] = [item.id for item in form[name].data or []]
    guardians = form.guardians
    data["guardians"] = [
        {name: entry.form[name].data for name in fields.GUARDIAN_FIELDS}
        for entry in guardians.entries
        if not guardians.should_delete(entry)
    ]
    return data


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


def _today():
    from datetime import date

    return date.today()


class OrderFields:
    """An order's number and date, where a movement may name one."""

    order_number = StringField(_l("Order number"), validators=[Optional(), Length(max=50)], filters=[_strip])
    order_date = DateField(_l("Order date"), validators=[Optional()])


class LeaveForm(OrderFields, FlaskForm):
    date = DateField(_l("Date of leaving"), validators=[DataRequired()], default=_today)
    reason = SelectField(_l("Reason"), validators=[DataRequired()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)], filters=[_strip])


class ReturnForm(OrderFields, FlaskForm):
    date = DateField(_l("Date of return"), validators=[DataRequired()], default=_today)


class MoveForm(OrderFields, FlaskForm):
    section = SelectField(_l("Section"), validators=[DataRequired()], coerce=str)
    date = DateField(_l("Date of the move"), validators=[DataRequired()], default=_today)


class LinkForm(FlaskForm):
    """Add or remove one tag or program: its choices are the school's, grouped ("tags:3", "programs:5")."""

    link = SelectField(_l("Tag or program"), validators=[DataRequired()])


class ConfirmForm(FlaskForm):
    """A bulk change that asks nothing but a yes (Send credentials, Activate for everyone a filter matches)."""


class YearApplyForm(FlaskForm):
    """Apply a close of the school year: one order for every move of it."""

    order_number = StringField(_l("Order number"), validators=[DataRequired(), Length(max=50)], filters=[_strip])
    order_date = DateField(_l("Order date"), validators=[DataRequired()], default=_today)


class TransferForm(FlaskForm):
    to_school = SelectField(_l("Receiving school"), validators=[DataRequired()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)], filters=[_strip])
