"""The Students list, details and the Add/Edit form: a thin layer over roster.services.students."""

import json

from flask import Response, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.model.helpers import get_mdict_item_or_list
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import func

from roster import fields, form_errors, i18n, permissions
from roster.admin import context
from roster.admin.base import Group, HiddenFields, SecuredModelView
from roster.admin.forms import (
    OrderFields,
    build_student_form,
    can_see_private,
    scoped_loaders,
    student_data,
)
from roster.admin.students.account import StudentAccount
from roster.admin.students.bulk import StudentBulk, skipped_flash
from roster.admin.students.columns import COLUMNS, DEFAULT_COLUMNS, LABELS, LIST_VIEW, PRIVATE_COLUMNS
from roster.admin.students.export import StudentExport
from roster.admin.students.filters import FILTERS, LinkFilter
from roster.admin.students.movements import StudentMovements
from roster.errors import NotFound, PossibleDuplicate, ValidationFailed
from roster.extensions import db
from roster.models import (
    AccountStatus,
    Guardian,
    Status,
    Student,
)
from roster.services import (
    audit,
    consent,
    credentials,
    disclosure,
    duplicates,
    erasure,
    listing,
    merging,
    movements,
    preferences,
    students,
    years,
)
from roster.text import format_phone
from roster.urls import attachment, record_id, safe_next


def _save_anyway() -> bool:
    """The admin saw the possible duplicates and pressed Save anyway."""
    return request.form.get("save_anyway") == "1"


def _names(view, context_, model, name):
    return ", ".join(item.name for item in getattr(model, name))


def _full_name(view, context_, model, name):
    if "details_url" not in g:  # built once per page, not once per row
        g.details_url = view.get_url(".details_view")
    link = Markup('<a href="{}?id={}">{}</a>').format(g.details_url, model.id, model.full_name)
    match = g.get("pending_duplicates", {}).get(model.id)
    if match is None:
        return link
    note = Markup('<a href="{}?id={}">{}</a>').format(g.details_url, match.student_id, match.name)
    return link + Markup('<br><small class="roster-possible-duplicate">{}</small>').format(
        Markup(_("possible duplicate of %(name)s", name=note)))


def _phone(view, context_, model, name):
    return format_phone(model.phone_normalized, context.country()) or model.phone


def _account_status(view, context_, model, name):
    status = AccountStatus(model.account_status)
    css = {"pending": "badge-warning", "active": "badge-success"}.get(status.value, "badge-light")
    return Markup('<span class="badge {} account-{}">{}</span>').format(css, status.value, status.label)


def _guardians(view, context_, model, name):
    private = can_see_private()
    items = []
    for guardian in model.guardians:
        parts = [getattr(guardian, name) for name, field in fields.GUARDIAN.items()
                 if name != "full_name" and (private or not field.private)]
        details = ", ".join(p for p in parts if p)
        items.append(Markup("<li><strong>{}</strong>{}</li>").format(guardian.full_name,
                                                                     f" — {details}" if details else ""))
    return Markup("<ul class='mb-0 pl-3'>{}</ul>").format(Markup("").join(items)) if items else ""


def _yes_no(value) -> str:
    return _("Yes") if value else _("No")


class AtLeast(int):
    """A count that stopped at its cap: pages still work from it, and it shows as "10,000+"."""

    capped = True

    def __str__(self) -> str:
        return _("%(count)s+", count=i18n.number(int(self)))


def _date(view, context_, model, name):
    return context.date_text(getattr(model, name))


def _flag(view, context_, model, name):
    return _yes_no(getattr(model, name))


def _choice(view, context_, model, name):
    return fields.choice_label(getattr(model, name))


# How a field's value reads on the list and the details page: by its kind, or a field's own way.
KIND_FORMATTERS = {fields.DATE: _date, fields.FLAG: _flag, fields.CHOICE: _choice, fields.LINK: _names}
def _status(view, context_, model, name):
    if model.status == Status.STUDYING.value:
        return fields.choice_label(model.status)
    return Markup('<span class="badge badge-secondary status-{}">{}</span>').format(
        model.status, fields.choice_label(model.status))


OWN_FORMATTERS = {"full_name": _full_name, "account_status": _account_status, "phone": _phone,
                  "source": _choice, "created_at": _date, "guardians": _guardians, "status": _status,
                  "dropout_reason": lambda v, c, m, n: movements.reason_label(m.dropout_reason)}


class StudentView(StudentExport, StudentMovements, StudentBulk, StudentAccount, SecuredModelView):
    list_template = "admin/roster/students_list.html"
    details_template = "admin/roster/student_details.html"

    column_list = COLUMNS
    column_labels = LABELS
    # A tuple of paths where a field sorts by other columns: Flask-Admin 2.2 renames a plain
    # ("full_name", "search_key") to "search_key".
    column_sortable_list = [name if columns == (name,) else (name, columns) for name, columns in fields.SORTS.items()]
    column_default_sort = [("search_key", False), ("id", False)]
    column_formatters = {name: KIND_FORMATTERS[f.kind] for name, f in fields.STUDENT.items()
                         if f.kind in KIND_FORMATTERS} | OWN_FORMATTERS
    column_formatters_detail = column_formatters | {"full_name": lambda v, c, m, n: m.full_name}
    column_details_list = fields.DETAILS
    column_filters = FILTERS
    column_auto_select_related = False  # we load programs, tags, sections with selectinload instead
    can_view_details = True
    can_set_page_size = True
    page_size = 20
    page_size_options = (20, 50, 100, 200)

    inline_models = [
        (
            Guardian,
            {
                "form_columns": ["id", *fields.GUARDIAN_FIELDS],
                "form_label": _l("Guardian"),
                "column_labels": {name: field.text for name, field in fields.GUARDIAN.items()},
            },
        )
    ]
    # The guide's groups, in its order (roster.fields places each field).
    form_rules = [HiddenFields(), *(Group(names, _l(legend)) for legend, names in fields.form_groups())]
    # Add also takes the order of the child's arrival (приказ о зачислении), where there is one.
    form_create_rules = [*form_rules, Group(("order_number", "order_date"), _l("Order of arrival"))]
    create_template = "admin/roster/student_create.html"
    edit_template = "admin/roster/student_edit.html"

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
        if name in ("delete", "leave", "move", "add_link", "remove_link"):
            return context.allowed("students.edit")
        if name == "activate":
            return context.allowed("students.activate")
        if name == "export":
            return context.allowed("students.export")
        if name == "send_credentials":
            return context.allowed("students.credentials")
        return super().is_action_allowed(name)

    @staticmethod
    def _hidden_fields() -> set[str]:
        """What this page leaves out: fields the school's country has not (an IIN outside Kazakhstan), and for
        a teacher the private ones."""
        school = context.selected_school()[0]
        hidden = fields.hidden_for(school.country if school else None)
        return hidden if can_see_private() else hidden | PRIVATE_COLUMNS

    def create_form(self, obj=None):
        return self._without_hidden(super().create_form(obj))

    def edit_form(self, obj=None):
        return self._without_hidden(super().edit_form(obj))

    def _without_hidden(self, form):
        for name in self._hidden_fields():
            if name in form:
                del form[name]
        return form

    @staticmethod
    def _teacher_without_sections() -> str:
        """For a teacher who teaches no section of the current year (a new year began): that year's title."""
        if context.role() != permissions.TEACHER:
            return ""
        year = context.current_year()
        if year is None or years.teaches(current_user.id, year.id):
            return ""
        return year.title

    def _require_record(self, id_) -> Student:
        student = self.get_one(id_)
        if student is None:
            abort(404, _("No such student in this school."))
        return student

    # Every query goes through the selected school and the user's role.
    def _scope(self):
        return permissions.visible_students(context.school_id(), current_user, context.role())

    def get_query(self):
        return db.session.query(Student).filter(*self._scope())

    def get_count_query(self):
        return db.session.query(func.count(Student.id)).filter(*self._scope())

    def get_one(self, id):
        number = record_id(id)
        if number is None:
            return None
        try:
            return students.get(number, context.school_id(), actor=context.actor())
        except NotFound:
            return None

    def plain_filters(self, filters) -> list[tuple[str, str]]:
        """Flask-Admin's active filters (index, name, value) as listing takes them: (field, value)."""
        return [(self._filters[index].key, value) for index, _, value in filters or []]

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        """The page from roster.services.listing, read first, and the count capped.

        A first page shorter than the page size is the whole answer, so no count runs there. Elsewhere the
        count stops at LIST_EXACT_COUNT_LIMIT ("10,000+"): counting all 100,000 students of a big school on
        every page view would cost more than the page itself.
        """
        found = listing.find(context.school_id(), self.plain_filters(filters), actor=context.actor())
        g.filter_messages = found.messages
        if not execute:
            return None, listing.statement(found, sort_column, sort_desc)
        size = page_size or self.page_size
        rows = listing.page(found, sort_column, sort_desc, page or 0, size)
        if not page and len(rows) < size:
            return len(rows), rows
        cap = current_app.config["LIST_EXACT_COUNT_LIMIT"]
        count = listing.count(found, cap)
        return (AtLeast(cap) if count > cap else count), rows

    def _get_filter_groups(self):
        """Filter options (programs, tags, sections) of the selected school, fresh on every request."""
        groups = super()._get_filter_groups()
        hidden = self._hidden_fields()
        for name in [n for n, items in (groups or {}).items()
                     if items and self._filters[items[0]["index"]].key in hidden]:
            del groups[name]  # a filter of a field this page leaves out
        for items in (groups or {}).values():
            for item in items:
                flt = self._filters[item["index"]]
                if isinstance(flt, LinkFilter):
                    item["options"] = listing.LINKS[flt.key].options(context.school_id())
        return groups

    # Forms: Flask-Admin builds them; the services check and store.
    def scaffold_form(self):
        return self.scaffold_inline_form_models(build_student_form(self._form_ajax_refs))

    def get_create_form(self):
        return type("StudentCreateForm", (OrderFields, self.get_form()), {})

    def create_model(self, form):
        try:
            student_id = students.create(context.school_id(), student_data(form), actor=context.actor(),
                                         order=movements.OrderGiven(form.order_number.data or "", form.order_date.data),
                                         allow_duplicate=_save_anyway())
        except ValidationFailed as exc:
            form_errors.attach(form, exc)
            return False
        except PossibleDuplicate as exc:
            g.possible_duplicates = exc.matches
            return False
        return db.session.get(Student, student_id)

    def update_model(self, form, model):
        try:
            students.update(model.id, context.school_id(), student_data(form), actor=context.actor(),
                            allow_duplicate=_save_anyway())
        except ValidationFailed as exc:
            form_errors.attach(form, exc)
            return False
        except PossibleDuplicate as exc:
            g.possible_duplicates = exc.matches
            return False
        return True

    def delete_model(self, model):
        erasure.erase([model.id], context.school_id(), actor=context.actor())
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
        student = self._require_record(get_mdict_item_or_list(request.args, "id"))
        if student.status != Status.STUDYING.value:  # read-only: the page says why, and offers Return
            flash(_(movements.NOT_STUDYING[student.status]), "warning")
            return redirect(url_for(".details_view", id=student.id))
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
        activated = students.activate(ids, context.school_id(), actor=context.actor())
        if activated:
            flash(ngettext("Activated %(num)s student; each was told by mail.",
                           "Activated %(num)s students; each was told by mail.", len(activated)), "success")
        else:
            flash(_("Nothing to activate: the chosen students are not pending."), "info")

    @action("activate", _l("Activate"), _l("Activate the selected pending students?"))
    def action_activate(self, ids):
        if self.matching_posted():
            return self._to_form(".confirm_many_view", ids, action="activate")
        self._activate(ids)

    @expose("/activate", methods=("POST",))
    def activate_view(self):
        """The Activate button of a pending row."""
        if not context.allowed("students.activate"):
            abort(403)
        self._activate([self._require_record(request.form.get("id")).id])
        return redirect(safe_next(request.form.get("url")) or url_for(".index_view"))

    @action("send_credentials", _l("Send credentials"),
            _l("Mail each selected student with an email a new generated password?"))
    def action_send_credentials(self, ids):
        if self.matching_posted():
            return self._to_form(".confirm_many_view", ids, action="send_credentials")
        result = credentials.issue_many(ids, context.school_id(), actor=context.actor())
        if result.sent:
            flash(ngettext("Credentials sent to %(num)s student.", "Credentials sent to %(num)s students.",
                           len(result.sent)), "success")
        skipped_flash([(name, _(why)) for name, why in result.skipped])

    @action("delete", _l("Delete"), _l("Erase the selected students? Their records, the contents of the mails sent "
                                       "to them and, where only theirs, their accounts are removed for good."))
    def action_delete(self, ids):
        if self.matching_posted():
            flash(_("Delete erases only the rows ticked, never everyone a filter matches: nothing was erased."),
                  "warning")
            return None
        count = erasure.erase(ids, context.school_id(), actor=context.actor())
        flash(ngettext("Erased %(num)s student.", "Erased %(num)s students.", count), "success")

    @expose("/consent/withdraw", methods=("POST",))
    def withdraw_consent_view(self):
        """A consent withdrawn on the student's or their parents' request (recorded by a school admin)."""
        if not context.allowed("students.edit"):
            abort(403)
        student = self._require_record(request.form.get("id"))
        try:
            consent.withdraw(student.id, context.school_id(), actor=context.actor())
        except ValidationFailed as exc:
            flash(" ".join(exc.field_errors["consent"]), "warning")
        else:
            flash(_("The withdrawal of consent is recorded."), "success")
        return redirect(url_for(".details_view", id=student.id))

    @expose("/data")
    def data_view(self):
        """A student's data on request: one download, JSON or a readable page (audited as a disclosure)."""
        if not context.allowed("students.data"):
            abort(403)
        student = self._require_record(request.args.get("id"))
        fmt = request.args.get("format", "json")
        if fmt not in ("json", "html"):
            abort(404)
        data = disclosure.student_data(student.id, context.school_id(), actor=context.actor(), fmt=fmt)
        name = f"student-{student.id}-data.{fmt}"
        if fmt == "json":
            body = json.dumps(data, ensure_ascii=False, indent=2)
            return Response(body, mimetype="application/json", headers=attachment(name))
        page = render_template("admin/roster/student_data.html", data=data, labels=fields.LABELS,
                               guardian_labels={k: f.text for k, f in fields.GUARDIAN.items()})
        return Response(page, mimetype="text/html", headers=attachment(name))

    @expose("/columns", methods=("POST",))
    def save_columns(self):
        preferences.save_columns(
            current_user.id, context.school_id(), LIST_VIEW, request.form.getlist("column"), available=COLUMNS
        )
        return redirect(safe_next(request.form.get("return_url")) or url_for(".index_view"))

    @staticmethod
    def _pending_duplicates(rows) -> dict:
        """A sign-up waiting for Activate that looks like a student of the list: its row says whom (the admin
        decides; a sign-up is never joined to a record on a guess)."""
        pending = [row.id for row in rows if row.account_status == AccountStatus.PENDING.value]
        if not pending or not context.allowed("students.merge"):
            return {}
        people = list(duplicates.load(pending).values())
        found = duplicates.matches(people, context.school_id())
        return {people[position].id: matches[0] for position, matches in found.items()}

    def render(self, template, **kwargs):
        country = context.country() if g.get("possible_duplicates") else None
        kwargs["possible_duplicates"] = [(m, m.texts(country), url_for(".details_view", id=m.student_id))
                                         for m in g.get("possible_duplicates") or ()]
        if "list_columns" in kwargs:
            g.pending_duplicates = self._pending_duplicates(kwargs.get("data") or [])
            kwargs["teacher_without_sections"] = self._teacher_without_sections()
            hidden = self._hidden_fields()
            all_columns = [(c, n) for c, n in kwargs["list_columns"] if c not in hidden]
            visible = preferences.visible_columns(
                current_user.id, context.school_id(), LIST_VIEW, available=COLUMNS, default=DEFAULT_COLUMNS
            )
            kwargs.update(
                all_list_columns=all_columns,
                column_index={c: i for i, (c, _) in enumerate(all_columns)},
                list_columns=[(c, n) for c, n in all_columns if c in visible],
            )
        if "details_columns" in kwargs:
            hidden = self._hidden_fields()
            kwargs["details_columns"] = [(c, n) for c, n in kwargs["details_columns"] if c not in hidden]
            kwargs["history"] = (audit.history("student", kwargs["model"].id, context.school_id())
                                 if context.allowed("logs.view") else None)
            kwargs["disclosures"] = (disclosure.disclosures(kwargs["model"], context.school_id())
                                     if context.allowed("students.data") else None)
            kwargs["guardian_consent_needed"] = consent.needs_guardian(kwargs["model"])
            kwargs["movements"] = movements.history(kwargs["model"].id)
            kwargs["merges"] = ([(m, merging.merged_name(m)) for m in merging.undoable(kwargs["model"].id,
                                                                                       context.school_id())]
                                if context.allowed("students.merge") else [])
            kwargs["reason_label"] = movements.reason_label
            kwargs["show_reasons"] = can_see_private()  # drop-out details are private (design.md)
        return super().render(template, **kwargs)
