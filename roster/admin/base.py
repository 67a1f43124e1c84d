"""What every Roster admin view shares: who may enter, and the selected school."""

from flask import abort, flash, redirect, request, url_for
from flask_admin import AdminIndexView, BaseView, expose
from flask_admin.contrib.sqla import ModelView
from flask_admin.form import rules
from flask_admin.model.helpers import get_mdict_item_or_list
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import func

from roster.admin import context
from roster.extensions import db
from roster.urls import record_id, record_ids, safe_next


def _staff_only() -> bool:
    """Only people with a role in some school (or platform admins) reach /admin; students never do."""
    return current_user.is_authenticated and (context.role() is not None or current_user.is_platform_admin)


def _refuse():
    if not current_user.is_authenticated:
        return redirect(url_for("public.login", next=request.full_path.rstrip("?")))
    abort(403)


class Secured:
    """Who may enter a view: staff whose role in the selected school allows `permission`; anyone else is sent to
    sign in (signed out) or refused (403)."""

    permission = "students.view"

    def is_accessible(self) -> bool:
        return _staff_only() and context.allowed(self.permission)

    def inaccessible_callback(self, name, **kwargs):
        return _refuse()


class SecuredView(Secured, BaseView):
    """A page of the admin that is no model's list (Invite)."""


class HomeView(Secured, AdminIndexView):
    """/admin itself: straight to the Students list."""

    def is_accessible(self) -> bool:
        return _staff_only()

    def is_visible(self) -> bool:
        return False

    @expose("/")
    def index(self):
        if context.role() is None:  # a platform admin before any (active) school exists
            return redirect(url_for("schools.index_view"))
        return redirect(url_for("students.index_view"))

    @expose("/school", methods=["POST"])
    def switch_school(self):
        wanted = record_id(request.form.get("school_id", ""))
        if wanted is None or not context.select(wanted):
            abort(404)
        return redirect(url_for("students.index_view"))


class Group(rules.NestedRule):
    """A group of a form as a <fieldset> with its <legend> (Flask-Admin's FieldSet draws a heading only): a
    screen reader names each field's group."""

    def __init__(self, fields, legend: str):
        super().__init__(list(fields))
        self.legend = legend

    def __call__(self, form, form_opts=None, field_args=None):
        # A field the form does not have this time (the school's country has no such identifier) is left out.
        parts = [rule(form, form_opts, field_args) for rule in self.rules
                 if not isinstance(rule, rules.Field) or getattr(form, rule.field_name, None) is not None]
        return Markup('<fieldset class="roster-group"><legend>{}</legend>{}</fieldset>').format(
            self.legend, Markup(self.separator.join(parts)))


class HiddenFields(rules.BaseRule):
    """Keep the form's hidden fields (its CSRF token) when form_rules shape the form.

    Flask-Admin removes from a form every field its rules do not name, the CSRF token included, and the form
    then fails with 400 on Save. This rule names the hidden fields and renders nothing: the form's hidden_tag(),
    which Flask-Admin renders above the rules, shows them once.
    """

    def __init__(self, names=("csrf_token",)):
        super().__init__()
        self.names = list(names)

    @property
    def visible_fields(self) -> list[str]:
        return self.names

    def __call__(self, form, form_opts=None, field_args=None):
        return ""


class SecuredModelView(Secured, ModelView):
    """A model view whose every query is scoped to the selected school by subclasses."""

    form_base_class = FlaskForm

    @expose("/action/", methods=("POST",))
    def action_view(self):
        """A bulk action runs only when every row id it names is one: else it says which were not, and changes
        nothing (a hand-made or broken request)."""
        _ids, bad = record_ids(request.form.getlist("rowid"))
        if bad or not request.form.getlist("rowid"):
            shown = ", ".join(f"“{b[:30]}”" for b in bad[:10]) or _("none")
            flash(_("Nothing was changed: these row ids were not understood: %(ids)s.", ids=shown), "error")
            return redirect(safe_next(request.form.get("url")) or self.get_url(".index_view"))
        return super().action_view()


class ScopedView(SecuredModelView):
    """The list of one model, every query through scope() (the selected school's rows): a record outside it is
    "not found", never shown or changed."""

    model_class = None
    column_auto_select_related = False
    page_size = 50

    def __init__(self, *args, **kwargs):
        super().__init__(self.model_class, db, *args, **kwargs)

    def scope(self) -> list:
        raise NotImplementedError

    def base_query(self, *entities):
        return db.session.query(*entities)

    def get_query(self):
        return self.base_query(self.model_class).filter(*self.scope())

    def get_count_query(self):
        return self.base_query(func.count(self.model_class.id)).filter(*self.scope())

    def get_one(self, id):
        number = record_id(id)
        return None if number is None else self.get_query().filter(self.model_class.id == number).one_or_none()


class ScopedEditView(ScopedView):
    """A scoped list whose records are edited and deleted: an id outside the scope is 404 there too, not
    Flask-Admin's redirect with a flash."""

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self):
        if self.get_one(get_mdict_item_or_list(request.args, "id")) is None:
            abort(404)
        return super().edit_view()

    @expose("/delete/", methods=("POST",))
    def delete_view(self):
        if self.get_one(request.form.get("id")) is None:
            abort(404)
        return super().delete_view()


class ScopedReadOnlyView(ScopedView):
    """A read-only scoped list with details (mail log, audit log, invitations, imports): 404 outside the scope."""

    can_create = can_edit = can_delete = False
    can_view_details = True

    @expose("/details/")
    def details_view(self):
        if self.get_one(get_mdict_item_or_list(request.args, "id")) is None:
            abort(404)
        return super().details_view()
