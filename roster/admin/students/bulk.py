"""Bulk actions of the Students view (a mixin of StudentView): for the rows ticked or, after "Select all N
matching", for every student the list's filters match; over roster.services.bulk."""

import urllib.parse

from flask import abort, flash, jsonify, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from roster import fields, form_errors, permissions, tasks
from roster.admin import context
from roster.admin.forms import ConfirmForm, LinkForm
from roster.admin.students.filters import LinkFilter
from roster.errors import NotFound, ValidationFailed
from roster.extensions import db
from roster.models import LINKS, Status, Student
from roster.services import bulk, listing
from roster.urls import record_id, record_ids

MATCHING_LIMIT = 100_000  # "all matching" at most: a school's whole list


def skipped_flash(skipped) -> None:
    if skipped:
        flash(ngettext("Skipped %(num)s: %(names)s", "Skipped %(num)s: %(names)s", len(skipped),
                       names="; ".join(f"{name} ({why})" for name, why in skipped[:200])
                       + (" …" if len(skipped) > 200 else "")), "warning")


class StudentBulk:
    def _chosen(self, permission: str = "students.edit"):
        """The students a bulk form is for, once the user may: the rows ticked (their ids, each one of the
        school's), or every student the list's filters match ("Select all N matching": the filters ride in the
        form's URL)."""
        if not context.allowed(permission):
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

    def described_filters(self) -> str:
        """The list's filters in words, as the confirmation and the job's page say them ("Status equals Left;
        Sections any of 1A")."""
        school_id = context.school_id()
        parts = []
        for index, _name, value in self._get_list_extra_args().filters or []:
            flt = self._filters[index]
            if isinstance(flt, LinkFilter):
                options = dict(listing.LINKS[flt.key].options(school_id))
            else:
                options = {str(k): str(v) for k, v in flt.options or ()}
            shown = ", ".join(options.get(part.strip(), part.strip()) for part in str(value).split(","))
            parts.append(f"{flt.name} {flt.operation()} {shown}")
        if not any(self._filters[index].key == listing.STATUS for index, _n, _v in
                   self._get_list_extra_args().filters or []):
            studying = dict(fields.STUDENT[listing.STATUS].choices)[Status.STUDYING.value]
            parts.insert(0, f"{fields.label(listing.STATUS)} {_('equals')} {_(studying)}")  # the list's default
        return "; ".join(parts)

    def _to_form(self, endpoint: str, ids, **args):
        """With selected → a bulk form: for the rows ticked, or for all the list's filters match."""
        matching = request.form.get("matching")
        if matching is not None and matching != "":
            kept = [(k, v) for k, v in urllib.parse.parse_qsl(matching) if k.startswith("flt") or k in ("sort",
                                                                                                        "desc")]
            url = url_for(endpoint, **args)
            return redirect(url + ("&" if "?" in url else "?") + urllib.parse.urlencode([("matching", "1"), *kept]))
        return redirect(url_for(endpoint, id=record_ids(ids)[0], **args))

    def _matching(self) -> bool:
        """Whether this form is for everyone the filters match (the URL says so)."""
        return bool(request.args.get("matching"))

    @staticmethod
    def matching_posted() -> bool:
        """Whether a With selected action came with "Select all N matching"."""
        return bool(request.form.get("matching"))

    def run_bulk(self, kind: str, chosen, params: dict, form, *, done_message):
        """Make a bulk change from its form: at once (the list says what was done and skipped), or its first
        chunk at once and the rest in the background (its page shows the progress). None: the form's errors."""
        try:
            outcome = bulk.start(kind, [s.id for s in chosen], context.school_id(), params, actor=context.actor(),
                                 described=self.described_filters() if self._matching() else "")
        except ValidationFailed as exc:
            form_errors.attach(form, exc)
            return None
        if outcome.job_id is not None:
            tasks.start_bulk(outcome.job_id)
            return redirect(url_for(".bulk_job_view", job_id=outcome.job_id))
        if outcome.changed:
            flash(done_message(len(outcome.changed)), "success")
        skipped_flash(outcome.skipped)
        return redirect(url_for(".index_view"))

    # Add or remove a tag or program.
    @action("add_link", _l("Add a tag or program"))
    def action_add_link(self, ids):
        return self._to_form(".links_view", ids, how="add")

    @action("remove_link", _l("Remove a tag or program"))
    def action_remove_link(self, ids):
        return self._to_form(".links_view", ids, how="remove")

    @expose("/links", methods=("GET", "POST"))
    def links_view(self):
        """Add a tag or program to the students, or remove it; their other tags and programs stay."""
        add = request.args.get("how", "add") != "remove"
        chosen = self._chosen()
        form = LinkForm()
        school_id = context.school_id()
        form.link.choices = {str(_l("Tags")): [(f"tags:{i}", n) for i, n in listing.LINKS["tags"].options(school_id)],
                             str(_l("Programs")): [(f"programs:{i}", n)
                                                   for i, n in listing.LINKS["programs"].options(school_id)]}
        if form.validate_on_submit():
            link, _sep, number = form.link.data.partition(":")
            params = {"link": link if link in LINKS else "", "link_id": record_id(number)}
            message = (lambda n: ngettext("%(num)s student has it now.", "%(num)s students have it now.", n)) if add \
                else (lambda n: ngettext("%(num)s student no longer has it.", "%(num)s students no longer have it.", n))
            done = self.run_bulk("add_link" if add else "remove_link", chosen, params, form, done_message=message)
            if done is not None:
                return done
        return self.render("admin/roster/links.html", form=form, chosen=chosen, add=add,
                           described=self.described_filters() if self._matching() else "")

    # Send credentials and Activate for everyone a filter matches: a page that states the count and the filter.
    CONFIRMS = {"send_credentials": ("credentials", "students.credentials"),
                "activate": ("activate", "students.activate")}

    @expose("/confirm", methods=("GET", "POST"))
    def confirm_many_view(self):
        name = request.args.get("action", "")
        if name not in self.CONFIRMS:
            abort(404)
        kind, permission = self.CONFIRMS[name]
        chosen = self._chosen(permission)
        form = ConfirmForm()
        if form.validate_on_submit():
            if kind == "credentials":
                message = lambda n: ngettext("Credentials sent to %(num)s student.",  # noqa: E731
                                             "Credentials sent to %(num)s students.", n)
            else:
                message = lambda n: ngettext("Activated %(num)s student; each was told by mail.",  # noqa: E731
                                             "Activated %(num)s students; each was told by mail.", n)
            return self.run_bulk(kind, chosen, {}, form, done_message=message)
        return self.render("admin/roster/bulk_confirm.html", form=form, chosen=chosen, kind=kind,
                           described=self.described_filters() if self._matching() else "")

    # A bulk change in the background: its page, its progress.
    def _bulk_job(self, job_id):
        try:
            return bulk.get_job(job_id, context.school_id(), actor=context.actor())
        except NotFound:
            abort(404, _("No such bulk change in this school."))

    @expose("/bulk/<int:job_id>")
    def bulk_job_view(self, job_id):
        return self.render("admin/roster/bulk_job.html", job=self._bulk_job(job_id))

    @expose("/bulk/<int:job_id>/progress")
    def bulk_progress_view(self, job_id):
        job = self._bulk_job(job_id)
        return jsonify(status=job.status, done=job.done, total=job.total, working=job.is_working)
