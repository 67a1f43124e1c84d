"""Export: the students of the list's filters and sort (or the rows chosen), its visible columns, streamed."""

from datetime import date

from flask import Response, abort, flash, redirect, request, stream_with_context, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from roster import fields
from roster.admin import context
from roster.admin.students.columns import COLUMNS, DEFAULT_COLUMNS, LIST_VIEW
from roster.errors import ValidationFailed
from roster.services import exporting, preferences
from roster.services.oneroster import export as oneroster
from roster.urls import attachment, record_ids


class StudentExport:
    """The Students view's Export (a mixin of StudentView): the list's own filters and sort, as plain values."""

    @expose("/export")
    def export_view(self):
        if not context.allowed("students.export"):
            abort(403)
        view_args = self._get_list_extra_args()
        sort = self._get_column_by_idx(view_args.sort)
        return self._export(request.args.get("format", "csv"), filters=self.plain_filters(view_args.filters),
                            sort=sort[0] if sort else None, descending=view_args.sort_desc)

    @expose("/export/oneroster")
    def oneroster_view(self):
        """OneRoster 1.2 (zip): first a page to choose what goes with OneRoster's own columns (Roster's fields as
        metadata.roster.* columns, dates of birth and sex), then the zip of the list's students."""
        if not context.allowed("students.export"):
            abort(403)
        school = context.selected_school()[0]
        choices = oneroster.metadata_choices([c for c in COLUMNS if c not in self._hidden_fields()])
        list_args = [(k, v) for k, v in request.args.items(multi=True)
                     if k not in ("download", "metadata", "demographics")]
        if request.args.get("download") != "1":
            return self.render("admin/roster/oneroster_export.html", list_args=list_args,
                               choices=[(c, fields.label(c)) for c in choices],
                               back=url_for(".index_view", **dict(list_args)))
        metadata = request.args.getlist("metadata")
        if set(metadata) - set(choices):
            abort(400)
        metadata = [c for c in choices if c in metadata]  # in the list's order, each once
        demographics = request.args.get("demographics") == "1"
        view_args = self._get_list_extra_args()
        sort = self._get_column_by_idx(view_args.sort)
        try:
            students = exporting.begin(school.id, actor=context.actor(), filters=self.plain_filters(view_args.filters),
                                       columns=metadata, fmt="oneroster", sort=sort[0] if sort else None,
                                       descending=view_args.sort_desc, details={"demographics": demographics})
        except ValidationFailed as exc:
            flash(_("Nothing was exported. %(reasons)s", reasons=" ".join(exc.field_errors["filters"])), "warning")
            return redirect(url_for(".index_view", **dict(list_args)))
        stream = oneroster.zip_stream(school, students, metadata=metadata, demographics=demographics)
        filename = f"{school.slug}-oneroster-{date.today().isoformat()}.zip"
        return Response(stream_with_context(stream), mimetype="application/zip", headers=attachment(filename))

    @action("export", _l("Export selected (CSV)"))
    def action_export(self, ids):
        if self.matching_posted():  # everyone the filters match: the list's own Export, in its sort
            return self._to_form(".export_view", ids, format="csv")
        return self._export("csv", filters=[], ids=record_ids(ids)[0])

    def _export(self, fmt, *, filters, sort=None, descending=False, ids=None):
        if fmt not in exporting.MIMETYPES:
            abort(400)
        school = context.selected_school()[0]
        columns = [c for c in preferences.visible_columns(
            current_user.id, school.id, LIST_VIEW, available=COLUMNS, default=DEFAULT_COLUMNS)
            if c not in self._hidden_fields()]
        try:
            students = exporting.begin(school.id, actor=context.actor(), filters=filters, columns=columns, fmt=fmt,
                                       sort=sort, descending=descending, ids=ids)
        except ValidationFailed as exc:  # a filter that names nothing: no file of no one, and the list says why
            flash(_("Nothing was exported. %(reasons)s", reasons=" ".join(exc.field_errors["filters"])), "warning")
            return redirect(url_for(".index_view", **{k: v for k, v in request.args.items() if k != "format"}))
        columns = exporting.file_columns(columns)
        values = exporting.rows(students, columns, region=school.country)
        stream = exporting.stream(fmt, exporting.header(columns), values)
        filename = f"{school.slug}-students-{date.today().isoformat()}.{fmt}"
        return Response(stream_with_context(stream), mimetype=exporting.MIMETYPES[fmt], headers=attachment(filename))
