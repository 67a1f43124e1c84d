"""Duplicates (school admins): the school's likely pairs, best first, each dismissed ("not the same child") or
compared side by side and merged; a merge is undone from the survivor's page."""

from flask import abort, current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _

from roster import fields
from roster.admin import context
from roster.admin.base import SecuredView
from roster.errors import NotFound, ValidationFailed
from roster.services import duplicates, merging
from roster.text import format_phone

PAGE = 50


def _messages(exc: ValidationFailed) -> str:
    return " ".join(m for messages in exc.field_errors.values() for m in messages)


def shown(student, name: str) -> str:
    """A field's value as the merge page shows it."""
    value = getattr(student, name)
    if value in (None, ""):
        return ""
    if name == "phone":
        return format_phone(student.phone_normalized, context.country()) if student.phone_normalized else value
    if fields.STUDENT[name].kind == fields.DATE:
        return context.date_text(value)
    if fields.STUDENT[name].kind == fields.FLAG:
        return _("Yes") if value else _("No")
    if fields.STUDENT[name].choices:
        return fields.choice_label(value)
    return str(value)


class DuplicateView(SecuredView):
    permission = "students.merge"

    @expose("/")
    def index(self):
        found = duplicates.pairs(context.school_id(), actor=context.actor())
        try:
            page = max(0, int(request.args.get("page", 0)))
        except ValueError:
            page = 0
        pages = (len(found) + PAGE - 1) // PAGE
        country = context.country()
        rows = [(pair, pair.match.texts(country)) for pair in found[page * PAGE:(page + 1) * PAGE]]
        return self.render("admin/roster/duplicates.html", rows=rows, total=len(found), page=page, pages=pages,
                           page_link=lambda page: url_for(".index", page=page))

    @expose("/dismiss", methods=("POST",))
    def dismiss(self):
        try:
            duplicates.dismiss(context.school_id(), request.form.get("first", ""), request.form.get("second", ""),
                               actor=context.actor())
        except (NotFound, ValueError):
            abort(404)
        except ValidationFailed as exc:
            flash(_messages(exc), "error")
        else:
            flash(_("Marked as two children: the pair is not offered again."), "success")
        return redirect(url_for(".index"))

    @expose("/merge", methods=("GET", "POST"))
    def merge(self):
        args = request.form if request.method == "POST" else request.args
        first, second = args.get("first", ""), args.get("second", "")
        try:
            one, other = merging.pair(context.school_id(), first, second, actor=context.actor())
        except NotFound:
            abort(404)
        except ValidationFailed as exc:
            flash(_messages(exc), "error")
            return redirect(url_for(".index"))
        if request.method == "POST":
            keep = args.get("keep")
            survivor, merged = (one, other) if keep != str(other.id) else (other, one)
            take = [name for name in merging.mergeable(context.country())
                    if args.get(f"value_{name}") == str(merged.id)]
            try:
                merging.merge(context.school_id(), survivor.id, merged.id, take, actor=context.actor())
            except NotFound:
                abort(404)
            except ValidationFailed as exc:
                flash(_messages(exc), "error")
                return redirect(url_for(".index"))
            flash(_("Merged: %(merged)s is now part of %(survivor)s's record. The merge can be undone from that "
                    "page for %(days)d days.", merged=merged.full_name, survivor=survivor.full_name,
                    days=self.undo_days), "success")
            return redirect(url_for("students.details_view", id=survivor.id))
        rows = [(name, fields.STUDENT[name].text, shown(one, name), shown(other, name))
                for name in merging.mergeable(context.country())]
        return self.render("admin/roster/merge.html", one=one, other=other, rows=rows,
                           links=[(_("Programs"), "programs"), (_("Tags"), "tags"), (_("Sections"), "sections")],
                           days=self.undo_days)

    @property
    def undo_days(self) -> int:
        return current_app.config["MERGE_UNDO_DAYS"]

    @expose("/undo", methods=("POST",))
    def undo(self):
        try:
            kept = merging.undo(context.school_id(), request.form.get("merge", ""), actor=context.actor())
        except NotFound:
            abort(404)
        except ValidationFailed as exc:
            flash(_messages(exc), "error")
            return redirect(url_for(".index"))
        message = _("The merge is undone: both records are back as they were.")
        if kept:
            message += " " + _("Changed since the merge, and kept: %(fields)s.",
                               fields=", ".join(str(fields.STUDENT[n].text) for n in kept))
        flash(message, "success")
        return redirect(url_for(".index"))
