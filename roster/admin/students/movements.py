"""Leave and Return on the Students view (a mixin of StudentView): forms over roster.services.movements."""

import urllib.parse

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from roster import form_errors, permissions
from roster.admin import context
from roster.admin.forms import LeaveForm, MoveForm, ReturnForm, TransferForm
from roster.errors import ValidationFailed
from roster.extensions import db
from roster.models import Section, Student
from roster.services import listing, movements, transfers
from roster.urls import record_id, record_ids

MATCHING_LIMIT = 100_000  # "all matching" at most: a school's whole list


def _order_given(form) -> movements.OrderGiven:
    return movements.OrderGiven(form.order_number.data or "", form.order_date.data)


def _skipped(skipped) -> None:
    if skipped:
        flash(_("Skipped: %(names)s", names="; ".join(f"{name} ({why})" for name, why in skipped)), "warning")


class StudentMovements:
    def _chosen(self):
        """The students a Leave or Move form is for, once a school admin's: the rows ticked (their ids, each one
        of the school's), or every student the list's filters match ("Select all N matching": the filters ride
        in the form's URL)."""
        if not context.allowed("students.edit"):
            abort(403)
        if request.args.get("matching"):
            filters = self.plain_filters(self._get_list_extra_args().filters)
            found = listing.find(context.school_id(), filters, actor=context.actor())
            chosen = list(db.session.scalars(listing.statement(found).limit(MATCHING_LIMIT)))
        else:
            ids = dict.fromkeys(request.form.getlist("id") if request.method == "POST"
                                else request.args.getlist("id"))
            wanted = list(ids)[:1000]
            numbers = record_ids(wanted)[0]
            if len(numbers) != len(wanted):
                abort(404)  # an id that is no number
            scope = permissions.visible_students(context.school_id(), context.actor(), context.role())
            chosen = list(db.session.scalars(db.select(Student).where(Student.id.in_(numbers), *scope)
                                             .order_by(Student.search_key, Student.id)))
            if len(chosen) != len(numbers):
                abort(404)  # one of them is no student of this school: nothing is done
        if not chosen:
            abort(404)
        return chosen

    def _to_form(self, endpoint: str, ids):
        """With selected → a bulk form: for the rows ticked, or for all the list's filters match."""
        matching = request.form.get("matching")
        if matching is not None and matching != "":
            kept = [(k, v) for k, v in urllib.parse.parse_qsl(matching) if k.startswith("flt")]
            return redirect(url_for(endpoint) + "?" + urllib.parse.urlencode([("matching", "1"), *kept]))
        return redirect(url_for(endpoint, id=record_ids(ids)[0]))

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
            try:
                left, skipped = movements.leave(
                    [s.id for s in chosen], context.school_id(), on=form.date.data, reason=form.reason.data,
                    order=_order_given(form),
                    note=form.note.data or "", actor=context.actor())
            except ValidationFailed as exc:
                form_errors.attach(form, exc)
            else:
                if left:
                    flash(ngettext("%(num)s student left the school; find them with the Status filter (Left).",
                                   "%(num)s students left the school; find them with the Status filter (Left).",
                                   len(left)), "success")
                _skipped(skipped)
                return redirect(url_for(".index_view"))
        return self.render("admin/roster/leave.html", form=form, chosen=chosen)

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
            db.select(Section.id, Section.name).where(Section.school_id == context.school_id())
            .order_by(Section.name))]
        if form.validate_on_submit():
            try:
                done, skipped = movements.move_to_section(
                    [s.id for s in chosen], context.school_id(), record_id(form.section.data), on=form.date.data,
                    order=_order_given(form),
                    actor=context.actor())
            except ValidationFailed as exc:
                form_errors.attach(form, exc)
            else:
                if done:
                    flash(ngettext("%(num)s student moved.", "%(num)s students moved.", len(done)), "success")
                _skipped(skipped)
                return redirect(url_for(".index_view"))
        return self.render("admin/roster/move.html", form=form, chosen=chosen)

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
