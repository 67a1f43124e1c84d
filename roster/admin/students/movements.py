"""Leave and Return on the Students view (a mixin of StudentView): forms over roster.services.movements."""


from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from roster import form_errors
from roster.admin import context
from roster.admin.forms import LeaveForm, MoveForm, ReturnForm, TransferForm
from roster.errors import ValidationFailed
from roster.extensions import db
from roster.models import Section
from roster.services import movements, transfers
from roster.urls import record_id


def _order_given(form) -> movements.OrderGiven:
    return movements.OrderGiven(form.order_number.data or "", form.order_date.data)


class StudentMovements:
    @action("leave", _l("Leave"))
    def action_leave(self, ids):
        """With selected → Leave: the Leave form for those students."""
        return self._to_form(".leave_view", ids)

    @expose("/leave", methods=("GET", "POST"))
    def leave_view(self):
        """The students leave: a date (today unless changed), a reason, an order, a note."""
        chosen = self._chosen()
        form = LeaveForm()
        form.reason.choices = [("", "—")] + movements.reasons(context.school_id())
        if form.validate_on_submit():
            done = self.run_bulk("leave", chosen, {
                "date": form.date.data, "reason": form.reason.data, "note": form.note.data or "",
                "order_number": form.order_number.data or "", "order_date": form.order_date.data,
            }, form, done_message=lambda n: ngettext(
                "%(num)s student left the school; find them with the Status filter (Left).",
                "%(num)s students left the school; find them with the Status filter (Left).", n))
            if done is not None:
                return done
        return self.render("admin/roster/leave.html", form=form, chosen=chosen,
                           described=self.described_filters() if self._matching() else "")

    @expose("/return", methods=("GET", "POST"))
    def return_view(self):
        """A student who left comes back: a date and an order."""
        if not context.allowed("students.edit"):
            abort(403)
        student = self._require_record(request.values.get("id"))
        form = ReturnForm()
        if form.validate_on_submit():
            try:
                movements.return_(student.id, context.school_id(), on=form.date.data,
                                  order=_order_given(form),
                                  actor=context.actor())
            except ValidationFailed as exc:
                form_errors.attach(form, exc)
            else:
                flash(_("%(name)s is studying again.", name=student.full_name), "success")
                return redirect(url_for(".details_view", id=student.id))
        return self.render("admin/roster/return.html", form=form, student=student)

    @action("move", _l("Move to section"))
    def action_move(self, ids):
        """With selected → Move to section: the Move form for those students."""
        return self._to_form(".move_view", ids)

    @expose("/move", methods=("GET", "POST"))
    def move_view(self):
        """The students move to one section (their class): a date and an order; each move is a movement."""
        chosen = self._chosen()
        form = MoveForm()
        form.section.choices = [("", "—")] + [(str(i), n) for i, n in db.session.execute(
            db.select(Section.id, Section.name).where(*Section.of_school(context.school_id()))
            .order_by(Section.name))]
        if form.validate_on_submit():
            done = self.run_bulk("move", chosen, {
                "section_id": record_id(form.section.data), "date": form.date.data,
                "order_number": form.order_number.data or "", "order_date": form.order_date.data,
            }, form, done_message=lambda n: ngettext("%(num)s student moved.", "%(num)s students moved.", n))
            if done is not None:
                return done
        return self.render("admin/roster/move.html", form=form, chosen=chosen,
                           described=self.described_filters() if self._matching() else "")

    @expose("/transfer", methods=("GET", "POST"))
    def transfer_view(self):
        """Transfer to another school of the platform: that school's admins accept or decline."""
        if not context.allowed("students.edit"):
            abort(403)
        student = self._require_record(request.values.get("id"))
        form = TransferForm()
        form.to_school.choices = [("", "—")] + [(str(s.id), s.name) for s in transfers.schools_to(context.school_id())]
        if form.validate_on_submit():
            try:
                transfers.send(student.id, context.school_id(), record_id(form.to_school.data),
                               note=form.note.data or "", actor=context.actor())
            except ValidationFailed as exc:
                form_errors.attach(form, exc)
            else:
                flash(_("Asked: the receiving school's admins decide on the transfer (they were mailed)."), "success")
                return redirect(url_for(".details_view", id=student.id))
        return self.render("admin/roster/transfer.html", form=form, student=student)
