"""Transfers: the transfers the selected school is an end of (accept, decline, withdraw), and finding a child in
another school of the platform to ask for."""

from datetime import date

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _

from roster.admin import context
from roster.admin.base import SecuredView
from roster.errors import NotFound, ValidationFailed
from roster.services import transfers
from roster.urls import record_id


def _messages(exc: ValidationFailed) -> str:
    return " ".join(m for messages in exc.field_errors.values() for m in messages)


class TransferView(SecuredView):
    permission = "students.edit"

    @expose("/")
    def index(self):
        found, problem = None, None
        if any(request.args.get(k) for k in ("last_name", "birth_date", "file_number")):
            try:
                born = date.fromisoformat(request.args["birth_date"]) if request.args.get("birth_date") else None
            except ValueError:
                born = None
            try:
                found = transfers.find(context.school_id(), last_name=request.args.get("last_name", ""),
                                       birth_date=born, file_number=request.args.get("file_number", ""),
                                       actor=context.actor())
            except ValidationFailed as exc:
                problem = _messages(exc)
        return self.render("admin/roster/transfers.html", school_id=context.school_id(), found=found,
                           problem=problem, states=transfers.STATES, args=request.args,
                           transfers=transfers.of_school(context.school_id(), actor=context.actor()))

    def _act(self, do, done: str):
        try:
            do()
        except NotFound:
            abort(404)
        except ValidationFailed as exc:
            flash(_messages(exc), "error")
        else:
            flash(done, "success")
        return redirect(url_for(".index"))

    @expose("/decide", methods=("POST",))
    def decide(self):
        accept = "accept" in request.form
        return self._act(lambda: transfers.decide(record_id(request.form.get("id")), context.school_id(),
                                                  accept=accept, actor=context.actor()),
                         _("The transfer is accepted: the child is on this school's list.") if accept
                         else _("The transfer is declined; nothing changed."))

    @expose("/withdraw", methods=("POST",))
    def withdraw(self):
        return self._act(lambda: transfers.withdraw(record_id(request.form.get("id")), context.school_id(),
                                                    actor=context.actor()), _("The transfer is withdrawn."))

    @expose("/ask", methods=("POST",))
    def ask(self):
        return self._act(lambda: transfers.ask_for(record_id(request.form.get("student_id")), context.school_id(),
                                                   note=request.form.get("note", ""), actor=context.actor()),
                         _("Asked: the child's school decides on the transfer."))
