"""The school's own leave reasons (beside Roster's), reached from the Leave form."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from roster import form_errors
from roster.admin import context
from roster.admin.base import ScopedEditView
from roster.errors import ValidationFailed
from roster.models import LeaveReason
from roster.services import movements


class LeaveReasonForm(FlaskForm):
    name = StringField(_l("Reason"), validators=[DataRequired(), Length(max=120)])


class LeaveReasonView(ScopedEditView):
    permission = "students.edit"
    form = LeaveReasonForm
    column_list = ["name"]
    column_labels = {"name": _l("Reason")}
    column_default_sort = [("name", False), ("id", False)]
    can_view_details = False
    model_class = LeaveReason

    def is_visible(self):
        return False  # reached from the Leave form's "the school's reasons" link

    def scope(self):
        return [LeaveReason.school_id == context.school_id()]

    def _save(self, form, reason_id):
        try:
            return movements.save_reason(context.school_id(), reason_id, form.name.data, actor=context.actor())
        except ValidationFailed as exc:
            form_errors.attach(form, exc)
            return None

    def create_model(self, form):
        return self._save(form, None) or False

    def update_model(self, form, model):
        return self._save(form, model.id) is not None

    def delete_model(self, model):
        movements.delete_reason(context.school_id(), model.id, actor=context.actor())
        return True
