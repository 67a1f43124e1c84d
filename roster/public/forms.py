from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, InputRequired, Length


class SignInForm(FlaskForm):
    login = StringField("Email or login", validators=[InputRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[InputRequired(), Length(max=1024)])


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[InputRequired(), Length(max=1024)])
    new_password = PasswordField("New password", validators=[InputRequired(), Length(max=1024)])
    confirm_password = PasswordField("Confirm new password", validators=[InputRequired(), Length(max=1024)])


class SignUpForm(FlaskForm):
    last_name = StringField("Last name", validators=[InputRequired(), Length(max=100)])
    first_name = StringField("First name", validators=[InputRequired(), Length(max=100)])
    middle_name = StringField("Middle name", validators=[Length(max=100)])
    # DataRequired: an invitation fills the email in on the server, whatever the form posted.
    email = StringField("Email", validators=[DataRequired(), Length(max=254)])
    phone = StringField("Phone", validators=[Length(max=40)])
    password = PasswordField("Password", validators=[InputRequired(), Length(max=1024)])
    confirm_password = PasswordField("Confirm password", validators=[InputRequired(), Length(max=1024)])


class ForgotPasswordForm(FlaskForm):
    email = StringField("Email", validators=[InputRequired(), Length(max=254)])


class ResetPasswordForm(FlaskForm):
    new_password = PasswordField("New password", validators=[InputRequired(), Length(max=1024)])
    confirm_password = PasswordField("Confirm new password", validators=[InputRequired(), Length(max=1024)])


class CodeForm(FlaskForm):
    code = StringField("Code", validators=[InputRequired(), Length(max=40)])


class TwoFactorChangeForm(FlaskForm):
    """Renew the recovery codes or turn two-factor sign-in off: the current password first."""
    current_password = PasswordField("Current password", validators=[InputRequired(), Length(max=1024)])
