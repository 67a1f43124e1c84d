"""The Students list, details and the Add/Edit form: a thin layer over roster.services.students."""

from datetime import date
from typing import NamedTuple

from flask import Response, abort, current_app, flash, g, redirect, request, stream_with_context, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.sqla import filters as sqla_filters
from flask_admin.form import rules
from flask_admin.model.helpers import get_mdict_item_or_list
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import false, func, intersect, select
from sqlalchemy.orm import selectinload

from roster import permissions
from roster.admin import context
from roster.admin.base import HiddenFields, SecuredModelView
from roster.admin.forms import (
    ChangeEmailForm,
    CredentialsForm,
    attach_errors,
    build_student_form,
    can_see_private,
    scoped_loaders,
    student_data,
)
from roster.errors import NotFound, ValidationFailed
from roster.extensions import db
from roster.models import (
    AccountStatus,
    Guardian,
    Program,
    Section,
    Source,
    Student,
    Tag,
    student_program,
    student_section,
    student_tag,
)
from roster.services import audit, credentials, exporting, preferences, students
from roster.text import format_phone
from roster.urls import attachment, record_id, record_ids, safe_next

LIST_VIEW = "students"
COLUMNS = [
    "full_name", "last_name", "first_name", "middle_name", "email", "phone", "personal_file_number", "programs",
    "tags", "sections", "gender",
    "birth_date", "is_inclusive", "is_individual", "account_status", "source", "created_at",
]
DEFAULT_COLUMNS = ["full_name", "email", "phone", "personal_file_number", "programs", "tags", "account_status"]
LABELS = {
    "full_name": "Full name", "email": "Email", "phone": "Phone", "personal_file_number": "Personal file number",
    "programs": "Programs", "tags": "Tags", "sections": "Sections", "gender": "Gender",
    "birth_date": "Date of birth", "is_inclusive": "Is inclusive", "is_individual": "Is individual",
    "account_status": "Account status", "source": "Source", "created_at": "Created",
    "middle_name": "Middle name", "last_name": "Last name", "first_name": "First name",
    "address": "Address", "extra_phone": "Extra phone", "extra_email": "Extra email",
    "dropout_date": "Drop-out date", "dropout_reason": "Drop-out reason", "dropout_note": "Drop-out note",
    "guardians": "Parents information",
}
# What teachers do not see of a student (design.md: without parents' jobs and drop-out details).
PRIVATE_COLUMNS = {"dropout_date", "dropout_reason", "dropout_note"}


class LinkChoice(NamedTuple):
    ids: list[int]  # the school's items the filter value names
    unknown: list[str]  # what it names that is none of them


def _student_text_filter(name: str, operation: str, conditions, *, per_school=False):
    """A text filter whose matching lives in roster.services.students."""

    class TextFilter(sqla_filters.BaseSQLAFilter):
        def apply(self, query, value, alias=None):
            return query.filter(*(conditions(value, context.school_id()) if per_school else conditions(value)))

        def operation(self):
            return operation

    return TextFilter(Student.id, name)


class LinkFilter(sqla_filters.BaseSQLAFilter):
    """Programs, tags or sections: any of those chosen.

    `id IN (link rows)`, not a join: no student twice and counts stay right; and the link table's
    (other_id, student_id) index answers it without visiting every student of the school.
    A value names the school's items by id (a suggestion chosen) or by name, matched ignoring case (typed, or
    an address written by hand); a value that names none of them lists no one and says so beside the filters,
    never the whole school.
    """

    def __init__(self, name: str, link_table, model, noun: str):
        super().__init__(Student.id, name, data_type="select2-tags")
        self.link_table, self.model, self.noun = link_table, model, noun
        self.link_column = link_table.c[f"{model.__tablename__}_id"]

    def school_options(self, school_id: int):
        rows = db.session.execute(
            select(self.model.id, self.model.name).where(self.model.school_id == school_id).order_by(self.model.name)
        )
        return [(str(i), n) for i, n in rows]

    def validate(self, value):
        return True  # every value is answered: by its items, or by a message that it names none

    def clean(self, value) -> LinkChoice:
        cache = g.setdefault("link_choices", {})
        key = (self.name, value)
        if key not in cache:
            cache[key] = self._resolve(value)
        return cache[key]

    def _resolve(self, value: str) -> LinkChoice:
        return LinkChoice(*students.named_items(self.model, context.school_id(), value.split(",")))

    def message(self, choice: LinkChoice) -> str | None:
        if not choice.unknown:
            return None
        names = ", ".join(f"“{u[:60]}”" for u in choice.unknown)
        return f"No {self.noun} named {names} in this school: no student is listed for the {self.name} filter."

    def student_ids(self, value: LinkChoice):
        """The students holding any of the chosen items: rows of the link table only."""
        if value.unknown or not value.ids:
            return select(self.link_table.c.student_id).where(false())
        return select(self.link_table.c.student_id).where(self.link_column.in_(value.ids))

    def apply(self, query, value, alias=None):
        message = self.message(value)
        if message and message not in g.setdefault("filter_messages", []):
            g.filter_messages.append(message)
        return query.filter(Student.id.in_(self.student_ids(value)))

    def operation(self):
        return "any of"


def _names(view, context_, model, name):
    return ", ".join(item.name for item in getattr(model, name))


def _full_name(view, context_, model, name):
    if "details_url" not in g:  # built once per page, not once per row
        g.details_url = view.get_url(".details_view")
    return Markup('<a href="{}?id={}">{}</a>').format(g.details_url, model.id, model.full_name)


def _school_country() -> str:
    if "school_country" not in g:  # once per page, not once per row
        g.school_country = context.selected_school()[0].country
    return g.school_country


def _phone(view, context_, model, name):
    return format_phone(model.phone_normalized, _school_country()) or model.phone


def _account_status(view, context_, model, name):
    status = AccountStatus(model.account_status)
    css = {"pending": "badge-warning", "active": "badge-success"}.get(status.value, "badge-light")
    return Markup('<span class="badge {} account-{}">{}</span>').format(css, status.value, status.label)


def _guardians(view, context_, model, name):
    private = can_see_private()
    items = []
    for guardian in model.guardians:
        parts = [guardian.relation, guardian.phone, guardian.email]
        if private:
            parts += [guardian.workplace, guardian.position]
        details = ", ".join(p for p in parts if p)
        items.append(Markup("<li><strong>{}</strong>{}</li>").format(guardian.full_name,
                                                                     f" — {details}" if details else ""))
    return Markup("<ul class='mb-0 pl-3'>{}</ul>").format(Markup("").join(items)) if items else ""


class AtLeast(int):
    """A count that stopped at its cap: pages still work from it, and it shows as "10,000+"."""

    def __str__(self) -> str:
        return f"{int(self):,}+"


def _label(value):
    return value.replace("_", " ").capitalize() if value else ""


class StudentView(SecuredModelView):
    list_template = "admin/roster/students_list.html"
    details_template = "admin/roster/student_details.html"

    column_list = COLUMNS
    column_labels = LABELS
    column_sortable_list = [
        # A tuple of paths: Flask-Admin 2.2 renames a plain ("full_name", "search_key") to "search_key".
        ("full_name", ("search_key",)), "last_name", "first_name", "middle_name", "email",
        ("phone", ("phone_normalized",)), "personal_file_number", "gender",
        "birth_date",
        "is_inclusive", "is_individual", "account_status", "source", "created_at",
    ]
    column_default_sort = [("search_key", False), ("id", False)]
    column_formatters = {
        "full_name": _full_name,
        "programs": _names,
        "tags": _names,
        "sections": _names,
        "account_status": _account_status,
        "phone": _phone,
        "gender": lambda v, c, m, n: _label(m.gender),
        "source": lambda v, c, m, n: _label(m.source),
        "created_at": lambda v, c, m, n: m.created_at.strftime("%Y-%m-%d %H:%M"),
        "guardians": _guardians,
    }
    column_formatters_detail = column_formatters | {"full_name": lambda v, c, m, n: m.full_name}
    column_details_list = [
        "full_name", "email", "phone", "personal_file_number", "gender", "birth_date", "programs", "tags",
        "sections", "is_inclusive", "is_individual", "address", "extra_phone", "extra_email", "guardians",
        "dropout_date", "dropout_reason", "dropout_note", "account_status", "source", "created_at",
    ]
    column_filters = [
        _student_text_filter("Full name", "contains words starting with", students.name_matches, per_school=True),
        _student_text_filter("Phone", "matches", students.phone_matches, per_school=True),
        _student_text_filter("Email", "contains", students.email_matches),
        _student_text_filter("Personal file number", "equals", students.file_number_matches),
        LinkFilter("Programs", student_program, Program, "program"),
        LinkFilter("Tags", student_tag, Tag, "tag"),
        LinkFilter("Sections", student_section, Section, "section"),
        sqla_filters.BooleanEqualFilter(Student.is_inclusive, "Is inclusive"),
        sqla_filters.BooleanEqualFilter(Student.is_individual, "Is individual"),
        sqla_filters.FilterEqual(
            Student.account_status, "Account status", options=[(s.value, s.label) for s in AccountStatus]
        ),
        sqla_filters.FilterEqual(Student.source, "Source", options=[(s.value, _label(s.value)) for s in Source]),
    ]
    column_auto_select_related = False  # we load programs, tags, sections with selectinload instead
    can_view_details = True
    can_set_page_size = True
    page_size = 20
    page_size_options = (20, 50, 100, 200)

    inline_models = [
        (
            Guardian,
            {
                "form_columns": ["id", "full_name", "relation", "phone", "email", "workplace", "position"],
                "form_label": "Guardian",
                "column_labels": {"full_name": "Full name", "workplace": "Workplace (job)",
                                  "position": "Position"},
            },
        )
    ]
    form_rules = [
        HiddenFields(),
        rules.FieldSet(("last_name", "first_name", "middle_name", "gender", "birth_date", "personal_file_number"),
                       "Student"),
        rules.FieldSet(("phone", "email", "address", "extra_phone", "extra_email"), "Contact information"),
        rules.FieldSet(("programs", "tags", "sections", "is_inclusive", "is_individual"), "Studies"),
        rules.FieldSet(("guardians",), "Parents information"),
        rules.FieldSet(("dropout_date", "dropout_reason", "dropout_note"), "Drop-out information"),
    ]

    def __init__(self, *args, **kwargs):
        self.form_ajax_refs = scoped_loaders()
        super().__init__(Student, db, *args, **kwargs)

    # Permissions: asked per request, from the selected school's role.
    @property
    def can_create(self):
        return context.allowed("students.edit")

    @property
    def can_edit(self):
        return context.allowed("students.edit")

    @property
    def can_delete(self):
        return context.allowed("students.edit")

    def is_action_allowed(self, name):
        if name == "delete":
            return context.allowed("students.edit")
        if name == "activate":
            return context.allowed("students.activate")
        if name == "export":
            return context.allowed("students.export")
        if name == "send_credentials":
            return context.allowed("students.credentials")
        return super().is_action_allowed(name)

    def _actor(self):
        return current_user._get_current_object()

    def _require_record(self, id_) -> Student:
        student = self.get_one(id_)
        if student is None:
            abort(404, "No such student in this school.")
        return student

    # Every query goes through the selected school and the user's role.
    def _scope(self):
        return permissions.visible_students(context.school_id(), current_user, context.role())

    def _scoped_query(self):
        return db.session.query(Student).filter(*self._scope())

    def _list_loads(self):
        return selectinload(Student.programs), selectinload(Student.tags), selectinload(Student.sections)

    def get_query(self):
        return self._scoped_query().options(*self._list_loads())

    def get_count_query(self):
        return db.session.query(func.count(Student.id)).filter(*self._scope())

    def get_one(self, id):
        number = record_id(id)
        if number is None:
            return None
        try:
            return students.get(number, context.school_id(), actor=self._actor())
        except NotFound:
            return None

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        """Flask-Admin's get_list, with the page read first and the count capped.

        A first page shorter than the page size is the whole answer, so no count runs there. Elsewhere the
        count stops at LIST_EXACT_COUNT_LIMIT ("10,000+"): counting all 100,000 students of a big school on
        every page view would cost more than the page itself.
        """
        query = self._scoped_query()
        if filters and self._filters:
            query, _, _, _ = self._apply_filters(query, None, {}, {}, filters)
        page_query, _ = self._apply_sorting(query.options(*self._list_loads()), {}, sort_column, sort_desc)
        page_query = self._apply_pagination(page_query, page, page_size)
        if not execute:
            return None, page_query
        rows = page_query.all()
        if not page and len(rows) < (page_size or self.page_size):
            return len(rows), rows
        return self._capped_count(self._counted_ids(query, filters)), rows

    def _counted_ids(self, query, filters):
        """What to count. Programs, tags and sections alone are counted in their link tables (every linked
        student is of the item's school), without reading the students; anything else counts the filtered list."""
        links = [(self._filters[i], self._filters[i].clean(value)) for i, _, value in filters or []]
        if links and context.role() != permissions.TEACHER and all(isinstance(f, LinkFilter) for f, _ in links):
            sets = [flt.student_ids(value) for flt, value in links]
            return sets[0].distinct() if len(sets) == 1 else intersect(*sets)
        return query.with_entities(Student.id).order_by(None).statement

    def _capped_count(self, ids) -> int:
        cap = current_app.config["LIST_EXACT_COUNT_LIMIT"]
        count = db.session.scalar(select(func.count()).select_from(ids.limit(cap + 1).subquery()))
        return AtLeast(cap) if count > cap else count

    def _apply_sorting(self, query, joins, sort_column, sort_desc):
        # Always end with the id, so that pages never repeat or skip a row between equal names.
        query, joins = super()._apply_sorting(query, joins, sort_column, sort_desc)
        return query.order_by(Student.id.desc() if sort_desc else Student.id), joins

    def _get_filter_groups(self):
        """Filter options (programs, tags, sections) of the selected school, fresh on every request."""
        groups = super()._get_filter_groups()
        for items in (groups or {}).values():
            for item in items:
                flt = self._filters[item["index"]]
                if isinstance(flt, LinkFilter):
                    item["options"] = flt.school_options(context.school_id())
        return groups

    # Forms: Flask-Admin builds them; the services check and store.
    def scaffold_form(self):
        return self.scaffold_inline_form_models(build_student_form(self._form_ajax_refs))

    def _attach_errors(self, form, exc: ValidationFailed) -> None:
        entries = [e for e in form.guardians.entries if not form.guardians.should_delete(e)]
        for key, messages in exc.field_errors.items():
            field = None
            if key.startswith("guardians-"):
                _, number, name = key.split("-", 2)
                field = entries[int(number)].form[name]
            elif key.endswith("_ids"):
                field = form[key[:-4] + "s"]
            elif key in form:
                field = form[key]
            if field is None:
                flash(" ".join(messages), "error")
            else:
                field.errors = list(field.errors) + messages

    def create_model(self, form):
        try:
            student_id = students.create(context.school_id(), student_data(form), actor=self._actor())
        except ValidationFailed as exc:
            self._attach_errors(form, exc)
            return False
        return db.session.get(Student, student_id)

    def update_model(self, form, model):
        try:
            students.update(model.id, context.school_id(), student_data(form), actor=self._actor())
        except ValidationFailed as exc:
            self._attach_errors(form, exc)
            return False
        return True

    def delete_model(self, model):
        students.delete([model.id], context.school_id(), actor=self._actor())
        return True

    # Views: refuse with 403/404 before Flask-Admin's redirects could hide it.
    @expose("/new/", methods=("GET", "POST"))
    def create_view(self):
        if not self.can_create:
            abort(403)
        return super().create_view()

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self):
        if not self.can_edit:
            abort(403)
        self._require_record(get_mdict_item_or_list(request.args, "id"))
        return super().edit_view()

    @expose("/details/")
    def details_view(self):
        self._require_record(get_mdict_item_or_list(request.args, "id"))
        return super().details_view()

    @expose("/delete/", methods=("POST",))
    def delete_view(self):
        if not self.can_delete:
            abort(403)
        self._require_record(request.form.get("id"))
        return super().delete_view()

    @expose("/action/", methods=("POST",))
    def action_view(self):
        name = request.form.get("action")
        if name in self._actions_data and not self.is_action_allowed(name):
            abort(403)
        return super().action_view()

    @expose("/ajax/lookup/")
    def ajax_lookup(self):
        if not context.allowed("students.edit"):
            abort(403)
        return super().ajax_lookup()

    def _activate(self, ids) -> None:
        activated = students.activate(ids, context.school_id(), actor=self._actor())
        if activated:
            flash(f"Activated {len(activated)} student{'s' if len(activated) != 1 else ''}; "
                  "each was told by mail.", "success")
        else:
            flash("Nothing to activate: the chosen students are not pending.", "info")

    @action("activate", "Activate", "Activate the selected pending students?")
    def action_activate(self, ids):
        self._activate(ids)

    @expose("/activate", methods=("POST",))
    def activate_view(self):
        """The Activate button of a pending row."""
        if not context.allowed("students.activate"):
            abort(403)
        self._activate([self._require_record(request.form.get("id")).id])
        return redirect(safe_next(request.form.get("url")) or url_for(".index_view"))

    @expose("/change-email", methods=("GET", "POST"))
    def change_email_view(self):
        if not context.allowed("students.change_email"):
            abort(403)
        student = self._require_record(request.values.get("id"))
        form = ChangeEmailForm()
        if form.validate_on_submit():
            try:
                address = students.change_email(student.id, context.school_id(), form.new_email.data,
                                                form.confirm_email.data, actor=self._actor())
            except ValidationFailed as exc:
                attach_errors(form, exc)
            else:
                flash(f"{student.full_name}'s email is now {address}; both addresses were told.", "success")
                return redirect(url_for(".details_view", id=student.id))
        return self.render("admin/roster/change_email.html", form=form, student=student)

    @expose("/credentials", methods=("GET", "POST"))
    def credentials_view(self):
        """Login, email and password for one student; Change puts a generated password in the field."""
        if not context.allowed("students.credentials"):
            abort(403)
        student = self._require_record(request.values.get("id"))
        form = CredentialsForm()
        if request.method == "GET":
            form.email.data = student.email or ""
            form.login.data = student.user.login if student.user else (student.email or "")
        elif "change" in request.form:
            form.validate_on_submit()  # checks the CSRF token before anything is shown back
            form.password.data = credentials.generate_password()
            form.login.errors, form.email.errors, form.password.errors = [], [], []
        elif form.validate_on_submit():
            try:
                issued = credentials.issue(student.id, context.school_id(), login=form.login.data,
                                           email=form.email.data, password=form.password.data or "",
                                           actor=self._actor())
            except ValidationFailed as exc:
                attach_errors(form, exc)
            except credentials.JustSent as exc:
                flash(str(exc), "warning")
                return redirect(url_for(".details_view", id=student.id))
            else:
                flash(f"Credentials sent to {issued.email} (login: {issued.login}). "
                      "The student sets a new password at first sign-in.", "success")
                return redirect(url_for(".details_view", id=student.id))
        return self.render("admin/roster/credentials.html", form=form, student=student)

    @action("send_credentials", "Send credentials",
            "Mail each selected student with an email a new generated password?")
    def action_send_credentials(self, ids):
        result = credentials.issue_many(ids, context.school_id(), actor=self._actor())
        if result.sent:
            flash(f"Credentials sent to {len(result.sent)} student{'s' if len(result.sent) != 1 else ''}.",
                  "success")
        if result.skipped:
            flash(Markup("Skipped {}: {}").format(
                len(result.skipped), "; ".join(f"{name} ({why})" for name, why in result.skipped)), "warning")

    # Export: the rows of the current filters and sort (or the selected rows), the visible columns.
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

    @action("delete", "Delete", "Delete the selected students? This cannot be undone.")
    def action_delete(self, ids):
        count = students.delete(ids, context.school_id(), actor=self._actor())
        flash(f"Deleted {count} student{'s' if count != 1 else ''}.", "success")

    @expose("/columns", methods=("POST",))
    def save_columns(self):
        preferences.save_columns(
            current_user.id, context.school_id(), LIST_VIEW, request.form.getlist("column"), available=COLUMNS
        )
        return redirect(safe_next(request.form.get("return_url")) or url_for(".index_view"))

    def render(self, template, **kwargs):
        if "list_columns" in kwargs:
            all_columns = kwargs["list_columns"]
            visible = preferences.visible_columns(
                current_user.id, context.school_id(), LIST_VIEW, available=COLUMNS, default=DEFAULT_COLUMNS
            )
            kwargs.update(
                all_list_columns=all_columns,
                column_index={c: i for i, (c, _) in enumerate(all_columns)},
                list_columns=[(c, n) for c, n in all_columns if c in visible],
            )
        if "details_columns" in kwargs:
            if not can_see_private():
                kwargs["details_columns"] = [(c, n) for c, n in kwargs["details_columns"] if c not in PRIVATE_COLUMNS]
            kwargs["history"] = (audit.history("student", kwargs["model"].id, context.school_id())
                                 if context.allowed("logs.view") else None)
        return super().render(template, **kwargs)
