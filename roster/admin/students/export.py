"""Export: the students of the list's filters and sort (or the rows chosen), its visible columns, streamed."""

from datetime import date

from flask import Response, abort, flash, redirect, request, stream_with_context, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from roster.admin import context
from roster.admin.students.columns import COLUMNS, DEFAULT_COLUMNS, LIST_VIEW
from roster.errors import ValidationFailed
from roster.services import exporting, preferences
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
