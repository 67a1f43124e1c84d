from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, RadioField, SelectChoice, StringField
from wtforms.validators import DataRequired, InputRequired, Length

from roster.i18n import LANGUAGES


class SignInForm(FlaskForm):
    login = StringField(_l("Email or login"), validators=[InputRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[InputRequired(), Length(max=1024)])


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[InputRequired(), Length(max=1024)])
    new_password = PasswordField(_l("New password"), validators=[InputRequired(), Length(max=1024)])
    confirm_password = PasswordField(_l("Confirm new password"), validators=[InputRequired(), Length(max=1024)])


class SignUpForm(FlaskForm):
    last_name = StringField(_l("Last name"), validators=[InputRequired(), Length(max=100)])
    first_name = StringField(_l("First name"), validators=[InputRequired(), Length(max=100)])
    middle_name = StringField(_l("Middle name"), validators=[Length(max=100)])
    # DataRequired: an invitation fills the email in on the server, whatever the form posted.
    email = StringField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    phone = StringField(_l("Phone"), validators=[Length(max=40)])
    password = PasswordField(_l("Password"), validators=[InputRequired(), Length(max=1024)])
    confirm_password = PasswordField(_l("Confirm password"), validators=[InputRequired(), Length(max=1024)])
    # Checked by the service (consent.required_acceptance), so that its message sits beside the box.
    accept_notice = BooleanField(_l("I have read the school's personal-data notice above and agree to it."))


class ForgotPasswordForm(FlaskForm):
    email = StringField(_l("Email"), validators=[InputRequired(), Length(max=254)])


class ResetPasswordForm(FlaskForm):
    new_password = PasswordField(_l("New password"), validators=[InputRequired(), Length(max=1024)])
    confirm_password = PasswordField(_l("Confirm new password"), validators=[InputRequired(), Length(max=1024)])


class CodeForm(FlaskForm):
    code = StringField(_l("Code"), validators=[InputRequired(), Length(max=40)])


class TwoFactorChangeForm(FlaskForm):
    """Renew the recovery codes or turn two-factor sign-in off: the current password first."""
    current_password = PasswordField(_l("Current password"), validators=[InputRequired(), Length(max=1024)])


class LanguageForm(FlaskForm):
    """Settings → Language: each language in its own name, whatever the page's language."""
    language = RadioField(_l("Language"), choices=[SelectChoice(code, name) for code, name in LANGUAGES.items()],
                          validators=[InputRequired()])
