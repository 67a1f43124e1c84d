"""Sections of the selected school and their teachers; a teacher's Students list follows them at once."""

from flask import request
from flask_admin.form.widgets import Select2Widget
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy.orm import selectinload
from wtforms import SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length

from roster import form_errors
from roster.admin import context
from roster.admin.base import ScopedEditView
from roster.errors import ValidationFailed
from roster.models import Section
from roster.services import schools


class _TeacherSelect(Select2Widget):
    # Flask-Admin's form template compares input_type on a field that has errors; a select has none.
    input_type = "select"


class SectionForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    teachers = SelectMultipleField(_l("Teachers"), coerce=int, validate_choice=False,
                                   widget=_TeacherSelect(multiple=True))


class SectionView(ScopedEditView):
    permission = "staff.manage"
    form = SectionForm
    column_list = ["name", "teachers"]
    column_labels = {"name": _l("Name"), "teachers": _l("Teachers")}
    column_sortable_list = ["name"]
    column_default_sort = [("name", False), ("id", False)]
    column_formatters = {"teachers": lambda v, c, m, n: ", ".join(t.full_name for t in m.teachers)}
    can_view_details = False
    model_class = Section

    def scope(self):
        return Section.of_school(context.school_id())

    def get_query(self):
        return super().get_query().options(selectinload(Section.teachers))

    def _with_teacher_choices(self, form):
        form.teachers.choices = [(t.id, t.full_name) for t in schools.school_teachers(context.school_id())]
        return form

    def create_form(self, obj=None):
        return self._with_teacher_choices(super().create_form(obj))

    def edit_form(self, obj=None):
        form = self._with_teacher_choices(super().edit_form(obj))
        if request.method == "GET" and obj is not None:
            form.teachers.data = [t.id for t in obj.teachers]
        return form

    def _save(self, form, section_id):
        try:
            return schools.save_section(context.school_id(), section_id, form.name.data, form.teachers.data or [],
                                        actor=context.actor())
        except ValidationFailed as exc:
            form_errors.attach(form, exc)
            return None

    def create_model(self, form):
        return self._save(form, None) or False

    def update_model(self, form, model):
        return self._save(form, model.id) is not None

    def delete_model(self, model):
        schools.delete_section(context.school_id(), model.id, actor=context.actor())
        return True
