"""Export: the rows of the list's filters and sort (or the selected rows), its visible columns, streamed."""

from datetime import date

from flask import Response, abort, flash, g, redirect, request, stream_with_context, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_login import current_user

from roster.admin import context
from roster.admin.students.columns import COLUMNS, DEFAULT_COLUMNS, LABELS, LIST_VIEW
from roster.models import (
    Student,
)
from roster.services import exporting, preferences
from roster.urls import attachment, record_ids


class StudentExport:
    """The Students view's Export (a mixin of StudentView: its filters, sort and scope are the list's own)."""

    @expose("/export")
    def export_view(self):
        if not context.allowed("students.export"):
            abort(403)
        view_args = self._get_list_extra_args()
        query = self._scoped_query()
        if view_args.filters and self._filters:
            query, _, _, _ = self._apply_filters(query, None, {}, {}, view_args.filters)
        if g.get("filter_messages"):  # a filter that names nothing: no file of no one, and the list says why
            flash("Nothing was exported. " + " ".join(g.filter_messages), "warning")
            return redirect(url_for(".index_view", **{k: v for k, v in request.args.items() if k != "format"}))
        sort = self._get_column_by_idx(view_args.sort)
        query, _ = self._apply_sorting(query, {}, sort[0] if sort else None, view_args.sort_desc)
        described = [[self._filters[i].name, value] for i, _, value in view_args.filters or []]
        return self._export(query, request.args.get("format", "csv"), described, selected=None)

    @action("export", "Export selected (CSV)")
    def action_export(self, ids):
        query = self._scoped_query().filter(Student.id.in_(record_ids(ids)[0]))
        query, _ = self._apply_sorting(query, {}, None, False)
        return self._export(query, "csv", [], selected=len(ids))

    def _export(self, query, fmt, filters, *, selected):
        if fmt not in ("csv", "xlsx"):
            abort(400)
        school = context.selected_school()[0]
        columns = preferences.visible_columns(
            current_user.id, school.id, LIST_VIEW, available=COLUMNS, default=DEFAULT_COLUMNS)
        exporting.record(school.id, actor=self._actor(), query=query, columns=columns, filters=filters, fmt=fmt,
                         selected=selected)
        columns = exporting.file_columns(columns)
        header = [LABELS[c] for c in columns]
        values = exporting.rows(query, columns, region=school.country)
        stream = exporting.csv_stream(header, values) if fmt == "csv" else exporting.xlsx_stream(header, values)
        mimetype = ("text/csv; charset=utf-8" if fmt == "csv"
                    else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        filename = f"{school.slug}-students-{date.today().isoformat()}.{fmt}"
        return Response(stream_with_context(stream), mimetype=mimetype, headers=attachment(filename))
