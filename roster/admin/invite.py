"""Students → Invite: the school's sign-up link, and invitations by email."""

from flask_admin import expose
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import Length

from roster.admin import context
from roster.admin.base import SecuredView
from roster.errors import ValidationFailed
from roster.services import emails, invitations


class InviteForm(FlaskForm):
    # Room for 1,000 long addresses; the service counts them and says so when there are too many.
    emails = TextAreaField(_l("Email addresses"), validators=[Length(max=300_000)])


class InviteView(SecuredView):
    permission = "students.invite"

    def is_visible(self):
        return False  # reached from the Invite button of the Students list

    @expose("/", methods=("GET", "POST"))
    def index(self):
        school, _ = context.selected_school()
        form = InviteForm()
        result = None
        if form.validate_on_submit():
            try:
                result = invitations.invite(school.id, form.emails.data, actor=context.actor())
            except ValidationFailed as exc:
                form.emails.errors = list(form.emails.errors) + exc.field_errors["emails"]
            else:
                form.emails.data = ""
        signup_url = emails.sign_up_url(school)
        return self.render("admin/roster/invite.html", form=form, result=result, signup_url=signup_url,
                           school=school)
