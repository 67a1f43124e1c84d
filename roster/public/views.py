from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from roster import permissions
from roster.errors import ValidationFailed
from roster.extensions import db, limiter
from roster.models import School, Student
from roster.public import bp
from roster.public.forms import ChangePasswordForm, SignInForm
from roster.services import accounts
from roster.urls import safe_next


def home_for(user) -> str:
    """Staff land in the admin; students on their account page."""
    if user.must_change_password:
        return url_for("public.security")
    if permissions.schools_for(user):
        return url_for("admin.index")
    return url_for("public.account")


@bp.route("/")
def index():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    return redirect(url_for("public.login"))


def _login_key() -> str:
    return "sign-in:" + (request.form.get("login") or "").strip().lower()


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["SIGN_IN_LIMIT_PER_ADDRESS"], methods=["POST"])
@limiter.limit(
    lambda: current_app.config["SIGN_IN_FAILURES_PER_ACCOUNT"], key_func=_login_key, methods=["POST"],
    deduct_when=lambda response: response.status_code != 302,  # only failed attempts count against an account
)
def login():
    form = SignInForm()
    next_url = safe_next(request.values.get("next"))
    if form.validate_on_submit():
        user = accounts.authenticate(form.login.data, form.password.data)
        if user is None:
            form.password.errors = ["The email or login and password do not match an account."]
        else:
            if current_user.is_authenticated:
                accounts.sign_out(current_user.session_token)
            # A fresh session at every sign-in: nothing set before it (a planted cookie included) survives.
            session.clear()
            accounts.sign_in(user, ip_address=request.remote_addr)
            login_user(user)
            if user.must_change_password:
                flash("Set a new password before you go on.", "warning")
                return redirect(url_for("public.security"))
            return redirect(next_url or home_for(user))
    return render_template("public/login.html", form=form, next_url=next_url)


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        accounts.sign_out(current_user.session_token)
    logout_user()
    session.clear()
    flash("You have signed out.", "info")
    return redirect(url_for("public.login"))


@bp.route("/account")
@login_required
def account():
    rows = db.session.execute(
        select(Student, School).join(School, School.id == Student.school_id)
        .where(Student.user_id == current_user.id).order_by(School.name)
    ).all()
    return render_template(
        "public/account.html", enrolments=rows, staff_schools=permissions.schools_for(current_user)
    )


@bp.route("/settings/security", methods=["GET", "POST"])
@login_required
def security():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(
                current_user.id,
                current=form.current_password.data,
                new=form.new_password.data,
                confirm=form.confirm_password.data,
                keep_session=current_user.session_token,
            )
        except ValidationFailed as exc:
            for name, messages in exc.field_errors.items():
                form[name].errors = list(form[name].errors) + messages
        else:
            flash("Your password has been changed.", "success")
            return redirect(url_for("public.security"))
    return render_template("public/security.html", form=form)
