"""Schools (platform admins) and the selected school's Staff (platform and school admins)."""

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.model.helpers import get_mdict_item_or_list
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import func
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import Select, TextArea

from roster import form_errors
from roster.admin import context
from roster.admin.base import ScopedView, SecuredModelView
from roster.admin.context import date_text as roster_date
from roster.errors import NotFound, RosterError, ValidationFailed
from roster.extensions import db
from roster.i18n import LANGUAGES
from roster.models import Membership, Role, School, User
from roster.services import emails, schools
from roster.text import DEFAULT_COUNTRY, countries, country_name
from roster.urls import record_id


class _Select(Select):
    # Flask-Admin's form template compares input_type on a field that has errors; a select has none.
    input_type = "select"


class _TextArea(TextArea):
    input_type = "textarea"


def _country_field():
    return SelectField(_l("Country"), choices=countries, default=DEFAULT_COUNTRY, widget=_Select(),
                       description=_l("Phones of the school's students are read and shown as this country writes "
                                      "them."))


def _language_field():
    return SelectField(_l("Language"), choices=[SelectChoice("", _l("The platform's default")),
                                                *(SelectChoice(code, name) for code, name in LANGUAGES.items())],
                       default="", widget=_Select(), validate_choice=False,  # checked by the service
                       description=_l("The language of the mails to students who have not chosen one (invitations, "
                                      "credentials)."))


class SchoolForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    slug = StringField(_l("Short name (in addresses)"), validators=[Optional(), Length(max=60)],
                       description=_l("Letters, digits and dashes; made from the name when left empty."))
    country = _country_field()
    language = _language_field()


class RenameForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    country = _country_field()
    language = _language_field()
    notice_text = TextAreaField(_l("Personal-data notice"), validators=[Optional()], widget=_TextArea(),
                                description=_l("What a student accepts at sign-up. Empty: Roster's default text, in "
                                               "the student's language. A change is a new version."))


def _school_name(view, context_, model, name):
    return Markup('<a href="{}">{}</a>').format(url_for(".details_view", id=model.id), model.name)


class SchoolView(SecuredModelView):
    """Every school of the platform: not scoped to the selected one, and for platform admins only."""

    form = SchoolForm
    details_template = "admin/roster/school_details.html"
    column_list = ["name", "slug", "country", "language", "is_active", "created_at"]
    column_labels = {"name": _l("Name"), "slug": _l("Short name"), "country": _l("Country"), "language": _l("Language"),
                     "is_active": _l("Active"), "created_at": _l("Created")}
    column_sortable_list = ["name", "slug", "is_active", "created_at"]
    column_default_sort = [("name", False), ("id", False)]
    column_searchable_list = ["name", "slug"]
    column_formatters = {"name": _school_name, "created_at": lambda v, c, m, n: roster_date(m.created_at.date()),
                         "language": lambda v, c, m, n: LANGUAGES.get(m.language, _("The platform's default"))}
    can_view_details = True
    can_delete = False  # a school is deactivated, never deleted: its data stays
    page_size = 50

    def __init__(self, *args, **kwargs):
        super().__init__(School, db, *args, **kwargs)

    def is_accessible(self) -> bool:
        return current_user.is_authenticated and current_user.is_platform_admin

    def get_query(self):
        return db.session.query(School)

    def get_count_query(self):
        return db.session.query(func.count(School.id))

    def edit_form(self, obj=None):
        form = RenameForm(request.form if request.method == "POST" else None, obj=obj)
        if request.method != "POST" and obj is not None:
            form.language.data = obj.language or ""
        return form

    def create_model(self, form):
        try:
            school = schools.create(form.name.data, slug=form.slug.data or None, country=form.country.data,
                                    language=form.language.data or None, actor=context.actor())
        except ValidationFailed as exc:
            form_errors.attach(form, exc)
            return False
        flash(_("School created. Choose it in the school switcher, then add its first school admin under Staff."),
              "success")
        return school

    def update_model(self, form, model):
        try:
            language = (form.language.data or None) if "language" in request.form else schools.KEEP
            notice = form.notice_text.data if "notice_text" in request.form else schools.KEEP
            schools.rename(model.id, form.name.data, country=form.country.data, language=language,
                           actor=context.actor(), notice_text=notice)
        except ValidationFailed as exc:
            form_errors.attach(form, exc)
            return False
        return True

    def _one(self) -> School:
        number = record_id(get_mdict_item_or_list(request.values, "id"))
        school = db.session.get(School, number) if number is not None else None
        if school is None:
            abort(404, _("No such school."))
        return school

    @expose("/details/")
    def details_view(self):
        school = self._one()
        return self.render(self.details_template, model=school, form=FlaskForm(),
                           country_name=country_name(school.country),
                           language_name=LANGUAGES.get(school.language, _("The platform's default")),
                           signup_url=emails.sign_up_url(school))

    def _post_checked(self):
        if not FlaskForm().validate_on_submit():
            abort(400)
        return self._one()

    @expose("/regenerate", methods=("POST",))
    def regenerate_view(self):
        school = self._post_checked()
        schools.regenerate_link(school.id, actor=context.actor())
        flash(_("The sign-up link was regenerated: the old one no longer works."), "success")
        return redirect(url_for(".details_view", id=school.id))

    @expose("/active", methods=("POST",))
    def active_view(self):
        school = self._post_checked()
        active = request.form.get("active") == "1"
        schools.set_active(school.id, active, actor=context.actor())
        flash(_("%(school)s is active again.", school=school.name) if active else
              _("%(school)s is deactivated: its pages and sign-up link stop working; its data stays.",
                school=school.name), "success")
        return redirect(url_for(".details_view", id=school.id))

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self):
        self._one()
        return super().edit_view()


class StaffForm(FlaskForm):
    email = StringField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    role = SelectField(_l("Role"), choices=[SelectChoice(Role.TEACHER.value, _l("Teacher")),
                                            SelectChoice(Role.ADMIN.value, _l("School admin"))],
                       widget=_Select())
    last_name = StringField(_l("Last name"), validators=[Optional(), Length(max=100)],
                            description=_l("For someone new; people with an account keep their name."))
    first_name = StringField(_l("First name"), validators=[Optional(), Length(max=100)])


class StaffView(ScopedView):
    """The selected school's admins and teachers: add by email (a new person sets a password by mail), remove."""

    permission = "staff.manage"
    form = StaffForm
    can_edit = False
    column_list = ["user", "email", "role", "created_at"]
    column_labels = {"user": _l("Name"), "email": _l("Email"), "role": _l("Role"), "created_at": _l("Since")}
    column_sortable_list = ["role", "created_at"]
    column_default_sort = [("role", False), ("id", False)]
    column_formatters = {
        "user": lambda v, c, m, n: m.user.full_name,
        "email": lambda v, c, m, n: m.user.email,
        "role": lambda v, c, m, n: _("School admin") if m.role == Role.ADMIN.value else _("Teacher"),
        "created_at": lambda v, c, m, n: roster_date(m.created_at.date()),
    }
    model_class = Membership

    def _show_missing_fields_warning(self, text):
        if text != "Fields missing from ruleset: csrf_token":
            super()._show_missing_fields_warning(text)

    def scope(self):
        return [Membership.school_id == context.school_id()]

    def get_query(self):
        return (super().get_query().options(selectinload(Membership.user))
                .join(User, User.id == Membership.user_id).order_by(User.last_name, User.email))

    def create_model(self, form):
        try:
            membership, created = schools.invite_staff(
                context.school_id(), form.email.data, form.role.data, actor=context.actor(),
                last_name=form.last_name.data or "", first_name=form.first_name.data or "")
        except ValidationFailed as exc:
            form_errors.attach(form, exc)
            return False
        flash(_("%(email)s was sent a link to set a password.", email=membership.user.email) if created else
              _("%(email)s already had an account: they were given the role and told by mail.",
                email=membership.user.email), "info")
        return membership

    def delete_model(self, model):
        try:
            schools.remove_staff(model.id, context.school_id(), actor=context.actor())
        except NotFound:
            abort(404)
        except RosterError as exc:
            flash(str(exc), "error")
            return False
        return True

    @expose("/delete/", methods=("POST",))
    def delete_view(self):
        if self.get_one(request.form.get("id")) is None:
            abort(404)
        return super().delete_view()

    @action("delete", _l("Remove"), _l("Remove the selected people's roles in this school? Their accounts stay."))
    def action_delete(self, ids):
        removed = 0
        for membership_id in ids:
            try:
                schools.remove_staff(record_id(membership_id), context.school_id(), actor=context.actor())
                removed += 1
            except NotFound:
                continue
            except RosterError as exc:
                flash(str(exc), "error")
        flash(ngettext("Removed %(num)s role.", "Removed %(num)s roles.", removed), "success")
