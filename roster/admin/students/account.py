"""A student's login on the Students view (a mixin of StudentView): Change email and Credentials, forms over
roster.services.students and roster.services.credentials."""

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _

from roster import form_errors
from roster.admin import context
from roster.admin.forms import ChangeEmailForm, CredentialsForm
from roster.errors import ValidationFailed
from roster.services import credentials, students


class StudentAccount:
    @expose("/change-email", methods=("GET", "POST"))
    def change_email_view(self):
        if not context.allowed("students.change_email"):
            abort(403)
        student = self._require_record(request.values.get("id"))
        form = ChangeEmailForm()
        if form.validate_on_submit():
            try:
                address = students.change_email(student.id, context.school_id(), form.new_email.data,
                                                form.confirm_email.data, actor=context.actor())
            except ValidationFailed as exc:
                form_errors.attach(form, exc)
            else:
                flash(_("%(name)s's email is now %(email)s; both addresses were told.", name=student.full_name,
                        email=address), "success")
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
            form.login.data = student.user.login if student.user else (student.username or student.email or "")
        elif "change" in request.form:
            form.validate_on_submit()  # checks the CSRF token before anything is shown back
            form.password.data = credentials.generate_password()
            form.login.errors, form.email.errors, form.password.errors = [], [], []
        elif form.validate_on_submit():
            try:
                issued = credentials.issue(student.id, context.school_id(), login=form.login.data,
                                           email=form.email.data, password=form.password.data or "",
                                           actor=context.actor())
            except ValidationFailed as exc:
                form_errors.attach(form, exc)
            except credentials.JustSent as exc:
                flash(str(exc), "warning")
                return redirect(url_for(".details_view", id=student.id))
            else:
                flash(_("Credentials sent to %(email)s (login: %(login)s). The student sets a new password at "
                        "first sign-in.", email=issued.email, login=issued.login), "success")
                return redirect(url_for(".details_view", id=student.id))
        return self.render("admin/roster/credentials.html", form=form, student=student)
