"""Students → Import: past imports, upload, preview (Confirm or Cancel), progress, failed rows, templates."""

from datetime import date

from flask import Response, abort, current_app, flash, jsonify, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from markupsafe import Markup
from sqlalchemy.orm import defer, selectinload
from wtforms import SelectChoice, SelectField

from roster import form_errors, i18n, tasks
from roster.admin import context
from roster.admin.base import ScopedReadOnlyView
from roster.admin.forms import OrderFields
from roster.errors import Forbidden, NotFound, RosterError, ValidationFailed
from roster.records import ImportJob, ImportStatus
from roster.services import duplicates, exporting, importing, movements
from roster.services.importing import oneroster
from roster.urls import attachment, record_id

STATUS_BADGES = {"completed": "success", "completed with errors": "warning", "failed": "danger",
                 "validated": "info", "uploaded": "secondary", "running": "primary"}


class UploadForm(OrderFields, FlaskForm):
    file = FileField(_l("File"), validators=[FileRequired(_l("Choose a CSV, XLSX or ODS file."))])
    # A OneRoster file's identifier: the school's personal file number by default, or its national id, or nothing.
    identifier = SelectField(_l("A OneRoster file's identifier is the student's"), default="personal_file_number",
                             choices=[SelectChoice("personal_file_number", _l("Personal file number")),
                                      SelectChoice("national_id", _l("National ID")),
                                      SelectChoice("none", _l("not imported"))])


def _file_name(view, context_, model, name):
    return Markup('<a href="{}">{}</a>').format(url_for(".job_view", job_id=model.id), model.file_name)


def _status(view, context_, model, name):
    return Markup('<span class="badge badge-{}">{}</span>').format(STATUS_BADGES.get(model.status, "light"),
                                                                   model.status_label)


def _count(view, context_, model, name):
    """A preview's counts say what the import would do: shown muted, so that nobody reads them as done."""
    count = getattr(model, name)
    if model.status in (ImportStatus.UPLOADED.value, ImportStatus.VALIDATED.value):
        return Markup('<span class="text-muted" title="{}">{}</span>').format(_("Preview: not imported yet"),
                                                                           i18n.number(count))
    return i18n.number(count)


class ImportView(ScopedReadOnlyView):
    model_class = ImportJob
    permission = "students.import"
    list_template = "admin/roster/imports_list.html"
    can_view_details = False
    column_list = ["file_name", "uploaded_by", "created_at", "status", "total_rows", "created_count",
                   "updated_count", "unchanged_count", "error_count"]
    column_labels = {"file_name": _l("File"), "uploaded_by": _l("Who"), "created_at": _l("When"),
                     "status": _l("Status"), "total_rows": _l("Rows"), "created_count": _l("Created"),
                     "updated_count": _l("Updated"), "unchanged_count": _l("Unchanged"), "error_count": _l("Errors")}
    column_sortable_list = ["file_name", "created_at", "status"]
    column_default_sort = [("created_at", True), ("id", True)]
    column_formatters = {
        "file_name": _file_name,
        "status": _status,
        "created_at": lambda v, c, m, n: context.date_text(m.created_at),
        "uploaded_by": lambda v, c, m, n: m.uploaded_by.email if m.uploaded_by else _("command line"),
        **dict.fromkeys(("total_rows", "created_count", "updated_count", "unchanged_count", "error_count"), _count),
    }

    def scope(self):
        return [ImportJob.school_id == context.school_id()]

    def get_query(self):
        # The list never loads the stored files or reports (a waiting upload is up to 10 MB).
        return super().get_query().options(selectinload(ImportJob.uploaded_by), defer(ImportJob.content),
                                           defer(ImportJob.report))

    def get_list(self, *args, **kwargs):
        """The page's jobs as a reader should see them (a silent worker's job reads as Failed at once)."""
        count, jobs = super().get_list(*args, **kwargs)
        return count, [importing.as_seen(job) for job in jobs] if isinstance(jobs, list) else jobs

    def _job(self, job_id: int) -> ImportJob:
        if record_id(job_id) is None:
            raise NotFound(_("No such import in this school."))
        return importing.get_job(job_id, context.school_id(), actor=context.actor())

    @expose("/new", methods=("GET", "POST"))
    def upload_view(self):
        form = UploadForm()
        if form.validate_on_submit():
            upload = form.file.data
            try:
                with upload.stream:  # a large upload is a temporary file: close it at once
                    data = upload.read()
                job_id = importing.create_job(
                    context.school_id(), upload.filename or "upload", data, actor=context.actor(),
                    order=movements.OrderGiven(form.order_number.data or "", form.order_date.data),
                    identifier=form.identifier.data)
            except ValidationFailed as exc:  # the order's number or date
                form_errors.attach(form, exc)
            except RosterError as exc:
                form.file.errors = [str(exc)]
            else:
                tasks.start_import(job_id, dry_run=True)
                return redirect(url_for(".job_view", job_id=job_id))
        return self.render("admin/roster/import_upload.html", form=form, columns=importing.COLUMNS,
                           max_mb=current_app.config["IMPORT_MAX_BYTES"] // 1048576,
                           max_rows=current_app.config["IMPORT_MAX_ROWS"])

    @expose("/<int:job_id>")
    def job_view(self, job_id):
        job = self._job(job_id)
        country = context.country()
        return self.render("admin/roster/import_job.html", job=job, report=job.report or {}, form=FlaskForm(),
                           badges=STATUS_BADGES, reason=lambda code: duplicates.reason_text(code, country),
                           oneroster_reason=oneroster.reason_text)

    @expose("/<int:job_id>/progress")
    def progress_view(self, job_id):
        job = self._job(job_id)
        return jsonify(status=job.status, label=job.status_label, done=job.done_rows, total=job.total_rows,
                       working=job.is_working)

    @staticmethod
    def _check_post(job_id) -> None:
        """A job's button: the page's own form (CSRF), and an id that can be a job's."""
        if not FlaskForm().validate_on_submit():
            abort(400)
        if record_id(job_id) is None:
            abort(404, _("No such import in this school."))

    @expose("/<int:job_id>/confirm", methods=("POST",))
    def confirm_view(self, job_id):
        self._check_post(job_id)
        choices = {name.removeprefix("choice_"): value for name, value in request.form.items()
                   if name.startswith("choice_")}
        confirmed = importing.confirm_job(job_id, context.school_id(), actor=context.actor(), choices=choices)
        if confirmed:
            tasks.start_import(job_id, dry_run=False)
        return redirect(url_for(".job_view", job_id=job_id))

    @expose("/<int:job_id>/cancel", methods=("POST",))
    def cancel_view(self, job_id):
        self._check_post(job_id)
        try:
            importing.cancel_job(job_id, context.school_id(), actor=context.actor())
        except (NotFound, Forbidden):
            raise  # answered as 404/403 by the app's handlers
        except RosterError as exc:
            flash(str(exc), "warning")
            return redirect(url_for(".job_view", job_id=job_id))
        flash(_("Import cancelled; nothing was changed."), "info")
        return redirect(url_for(".index_view"))

    @expose("/<int:job_id>/failed.<fmt>")
    def failed_rows_view(self, job_id, fmt):
        job = self._job(job_id)
        headers, rows = importing.failed_rows(job)
        stem = job.file_name.rsplit(".", 1)[0] or "import"
        return self._download(headers, rows, fmt, f"{stem}-errors")

    @expose("/template.<fmt>")
    def template_view(self, fmt):
        school = context.selected_school()[0]
        dataset = importing.template(school.country if school else None)
        return self._download(dataset.headers, dataset, fmt, "students-template")

    @staticmethod
    def _download(headers, rows, fmt, stem):
        if fmt not in exporting.MIMETYPES:
            abort(404)
        return Response(exporting.stream(fmt, headers, iter(rows)), mimetype=exporting.MIMETYPES[fmt],
                        headers=attachment(f"{stem}-{date.today().isoformat()}.{fmt}"))

