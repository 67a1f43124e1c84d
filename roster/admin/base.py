"""What every Roster admin view shares: who may enter, and the selected school."""

from flask import abort, redirect, request, url_for
from flask_admin import AdminIndexView, BaseView, expose
from flask_admin.contrib.sqla import ModelView
from flask_login import current_user
from flask_wtf import FlaskForm

from roster.admin import context


def _staff_only() -> bool:
    """Only people with a role in some school (or platform admins) reach /admin; students never do."""
    return current_user.is_authenticated and context.role() is not None


def _refuse():
    if not current_user.is_authenticated:
        return redirect(url_for("public.login", next=request.full_path.rstrip("?")))
    abort(403)


class SecuredView(BaseView):
    permission = "students.view"

    def is_accessible(self) -> bool:
        return _staff_only() and context.allowed(self.permission)

    def inaccessible_callback(self, name, **kwargs):
        return _refuse()


class HomeView(AdminIndexView):
    """/admin itself: straight to the Students list."""

    def is_accessible(self) -> bool:
        return _staff_only()

    def inaccessible_callback(self, name, **kwargs):
        return _refuse()

    def is_visible(self) -> bool:
        return False

    @expose("/")
    def index(self):
        return redirect(url_for("students.index_view"))

    @expose("/school", methods=["POST"])
    def switch_school(self):
        try:
            wanted = int(request.form.get("school_id", ""))
        except ValueError:
            abort(400)
        if not context.select(wanted):
            abort(404)
        return redirect(url_for("students.index_view"))


class SecuredModelView(ModelView):
    """A model view whose every query is scoped to the selected school by subclasses."""

    form_base_class = FlaskForm
    permission = "students.view"

    def is_accessible(self) -> bool:
        return _staff_only() and context.allowed(self.permission)

    def inaccessible_callback(self, name, **kwargs):
        return _refuse()
