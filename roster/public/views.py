import time

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import select

from roster import form_errors, i18n, permissions
from roster.errors import RosterError, ValidationFailed
from roster.extensions import db, limiter
from roster.models import School, Student, User
from roster.public import bp
from roster.public.forms import (
    ChangePasswordForm,
    CodeForm,
    ForgotPasswordForm,
    LanguageForm,
    ResetPasswordForm,
    SignInForm,
    SignUpForm,
    TwoFactorChangeForm,
)
from roster.services import accounts, consent, invitations, preferences, two_factor
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
    # An account's failures count per address: an attacker elsewhere slows only themselves, never the owner.
    return f"sign-in:{(request.form.get('login') or '').strip().lower()}@{request.remote_addr}"


def _locked_out(limit):
    accounts.record_sign_in_refused(request.form.get("login"))
    return None  # the 429 page as for any limit


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["SIGN_IN_LIMIT_PER_ADDRESS"], methods=["POST"])
@limiter.limit(
    lambda: current_app.config["SIGN_IN_FAILURES_PER_ACCOUNT"], key_func=_login_key, methods=["POST"],
    # Only a wrong password counts: never a right one, nor a request the address limit already refused.
    deduct_when=lambda response: g.get("sign_in_failed", False), on_breach=_locked_out,
)
def login():
    form = SignInForm()
    next_url = safe_next(request.values.get("next"))
    if form.validate_on_submit():
        user = accounts.authenticate(form.login.data, form.password.data)
        if user is None:
            g.sign_in_failed = True
            accounts.record_failed_sign_in(form.login.data)
            form.password.errors = [_("The email or login and password do not match an account.")]
        elif refusal := accounts.refusal(user):
            form.login.errors = [refusal]  # told why, kindly; the password was right, and the account is kept
        else:
            if current_user.is_authenticated:
                accounts.sign_out(current_user.session_token)
            # A fresh session at every sign-in: nothing set before it (a planted cookie included) survives.
            _fresh_session()
            if two_factor.is_on(user):  # the password was right; the second step comes before any session
                session[SECOND_STEP] = {"user": user.id, "at": time.time(), "next": next_url}
                return redirect(url_for("public.second_step"))
            return _signed_in(user, next_url)
    return render_template("public/login.html", form=form, next_url=next_url)


def _fresh_session() -> None:
    """An empty session (nothing set before it, a planted cookie included, survives), in the language the
    visitor chose on the public pages."""
    language = session.get(i18n.SESSION_KEY)
    session.clear()
    if language in i18n.LANGUAGES:
        session[i18n.SESSION_KEY] = language


SECOND_STEP = "second_step"
SECOND_STEP_SECONDS = 300


def _signed_in(user, next_url):
    accounts.sign_in(user, ip_address=request.remote_addr)
    login_user(user)
    if user.must_change_password:
        flash(_("Set a new password before you go on."), "warning")
        return redirect(url_for("public.security"))
    if not two_factor.is_on(user) and two_factor.required_for(user):
        flash(_("Your role needs two-factor sign-in: set it up before you go on."), "warning")
        return redirect(url_for("public.two_factor_settings"))
    return redirect(next_url or home_for(user))


def _second_step_key() -> str:
    return f"second-step:{(session.get(SECOND_STEP) or {}).get('user')}"


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["SIGN_IN_FAILURES_PER_ACCOUNT"], key_func=_second_step_key,
               methods=["POST"], deduct_when=lambda response: g.get("code_failed", False))
def second_step():
    """Sign-in, second step: a code from the authenticator app, or a recovery code."""
    pending = session.get(SECOND_STEP)
    if not pending or time.time() - pending["at"] > SECOND_STEP_SECONDS:
        session.pop(SECOND_STEP, None)
        flash(_("Sign in again: the second step waits five minutes at most."), "info")
        return redirect(url_for("public.login"))
    form = CodeForm()
    if form.validate_on_submit():
        if two_factor.check(pending["user"], form.code.data):
            session.pop(SECOND_STEP, None)
            return _signed_in(db.session.get(User, pending["user"]), safe_next(pending.get("next")))
        g.code_failed = True
        form.code.errors = [_("This code does not work: enter the six digits your app shows now (each works "
                            "once), or one of your unused recovery codes.")]
    return render_template("public/second_step.html", form=form)


@bp.route("/settings/two-factor", methods=["GET", "POST"])
@login_required
def two_factor_settings():
    """Turn two-factor sign-in on (scan, confirm with a code, keep the recovery codes), renew the codes, or
    turn it off where the role allows."""
    user = current_user._get_current_object()
    if not two_factor.is_on(user):
        form = CodeForm()
        if form.validate_on_submit():
            try:
                codes = two_factor.turn_on(user.id, form.code.data)
            except ValidationFailed as exc:
                form.code.errors = exc.field_errors["code"]
            else:
                flash(_("Two-factor sign-in is on."), "success")
                return render_template("public/recovery_codes.html", codes=codes)
        secret = two_factor.pending_secret(user.id)
        return render_template("public/two_factor_setup.html", form=form, secret=secret,
                               qr=Markup(two_factor.qr_code(user, secret)), required=two_factor.required_for(user))
    form = TwoFactorChangeForm()
    if form.validate_on_submit():
        if not accounts.verify_password(user.password_hash, form.current_password.data):
            form.current_password.errors = [_("The current password is not right.")]
        elif request.form.get("action") == "renew":
            return render_template("public/recovery_codes.html", codes=two_factor.renew_recovery_codes(user.id))
        else:
            try:
                two_factor.turn_off(user.id, actor=user, reason="turned off by its owner")
            except RosterError as exc:
                flash(str(exc), "warning")
            else:
                flash(_("Two-factor sign-in is off."), "info")
            return redirect(url_for("public.two_factor_settings"))
    return render_template("public/two_factor_on.html", form=form, left=two_factor.recovery_codes_left(user.id),
                           required=two_factor.required_for(user))


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        accounts.sign_out(current_user.session_token)
    logout_user()
    _fresh_session()
    flash(_("You have signed out."), "info")
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
            form_errors.attach(form, exc)
        else:
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("public.security"))
    return render_template("public/security.html", form=form)


@bp.route("/language/<code>")
def choose_language(code):
    """The public pages' switcher: this visitor's pages in that language from now on (a signed-in user's own
    choice, in Settings → Language, still wins)."""
    if code in i18n.LANGUAGES:
        session[i18n.SESSION_KEY] = code
    return redirect(safe_next(request.args.get("next")) or url_for("public.index"))


@bp.route("/settings/language", methods=["GET", "POST"])
@login_required
def language_settings():
    form = LanguageForm(language=current_user.language or i18n.current())
    if form.validate_on_submit():
        preferences.set_language(current_user.id, form.language.data)
        refresh()  # this request's messages in the language just chosen
        flash(_("Your language is saved."), "success")
        return redirect(url_for("public.language_settings"))
    return render_template("public/language.html", form=form)


@bp.errorhandler(invitations.LinkNotValid)
@bp.errorhandler(accounts.ResetLinkNotValid)
def _dead_link(exc):
    """A link that does not work (unknown, used, expired, withdrawn), found when it is opened or posted: a page
    that says which, as a 404."""
    return render_template("public/error.html", code=404, title=_("This link does not work"), message=str(exc)), 404


LANDED = "landed"  # the token of the link a person opened, kept here once the page is left for its plain URL


def _token(kind: str, token: str | None) -> str | None:
    """The link's token: from the URL as opened, else from the session once the page has moved."""
    return token if token is not None else session.get(LANDED, {}).get(kind)


def _move_to_plain_url(kind: str, token: str, endpoint: str):
    """A link with a valid token, opened: its token goes into the session and the page moves to a URL without
    it, so that the address bar, history, Referer and access log of all that follows hold no token."""
    if (request.view_args or {}).get("token") is not None and request.method == "GET":
        session[LANDED] = {**session.get(LANDED, {}), kind: token}
        return redirect(url_for(endpoint))
    return None


def _open_link(kind: str, token: str | None, check, endpoint: str):
    """A mailed link opened or posted: (its token, what `check` found for it, the move to its plain URL or
    None). A link that does not work raises, and _dead_link answers."""
    token = _token(kind, token)
    found = check(token)
    return token, found, _move_to_plain_url(kind, token, endpoint)


def _forget_landed(kind: str) -> None:
    session[LANDED] = {k: v for k, v in session.get(LANDED, {}).items() if k != kind}


def _sign_up_key() -> str:
    kind = "invitation" if "invite" in (request.endpoint or "") else "school"
    token = (request.view_args or {}).get("token") or session.get(LANDED, {}).get(kind) or ""
    return "sign-up:" + (request.form.get("email") or token).strip().lower()


@bp.route("/join", methods=["GET", "POST"], endpoint="join_landed", defaults={"token": None})
@bp.route("/join/<token>", methods=["GET", "POST"], endpoint="join")
@bp.route("/join/invite", methods=["GET", "POST"], endpoint="join_invited_landed", defaults={"token": None})
@bp.route("/join/invite/<token>", methods=["GET", "POST"], endpoint="join_invited")
@limiter.limit(lambda: current_app.config["SIGN_UP_LIMIT_PER_ADDRESS"], methods=["POST"])
@limiter.limit(lambda: current_app.config["SIGN_UP_LIMIT_PER_EMAIL"], key_func=_sign_up_key, methods=["POST"])
def sign_up(token):
    """The public sign-up page of a school's link or of an invitation. Opening it consumes nothing."""
    invited = request.endpoint in ("public.join_invited", "public.join_invited_landed")
    kind = "invitation" if invited else "school"
    _token, link, answer = _open_link(
        kind, token, lambda t: invitations.resolve_link(**{"invitation_token" if invited else "school_token": t}),
        "public.join_invited_landed" if invited else "public.join_landed")
    if answer:
        return answer
    form = SignUpForm()
    if link.email:
        form.email.data = link.email  # fixed by the invitation, whatever was posted
    if form.validate_on_submit():
        try:
            invitations.sign_up(link, {name: form[name].data for name in form.data if name != "csrf_token"})
        except ValidationFailed as exc:
            form_errors.attach(form, exc)
        else:
            _forget_landed(kind)
            flash(_("Your account is ready. Sign in to see your page; %(school)s will activate you soon.",
                    school=link.school.name), "success")
            return redirect(url_for("public.login"))
    return render_template("public/sign_up.html", form=form, school=link.school, invited=bool(link.email),
                           notice=consent.notice(link.school))


@bp.route("/join/confirm", methods=["GET", "POST"], endpoint="confirm_sign_up_landed", defaults={"token": None})
@bp.route("/join/confirm/<token>", methods=["GET", "POST"])
def confirm_sign_up(token):
    """The link mailed to a sign-up whose email is on the school's list: a button (a mail scanner that opens
    links presses none), and the account joins the student."""
    token, found, answer = _open_link("confirm", token, invitations.claim, "public.confirm_sign_up_landed")
    if answer:
        return answer
    form = FlaskForm()
    if form.validate_on_submit():
        student = invitations.confirm_claim(token)
        _forget_landed("confirm")
        flash(_("Your email is confirmed. %(school)s will activate you soon.", school=student.school.name), "success")
        return redirect(url_for("public.login"))
    return render_template("public/confirm_sign_up.html", form=form, school=found.student.school)


def _reset_key() -> str:
    return "reset:" + (request.form.get("email") or "").strip().lower()


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RESET_LIMIT_PER_ADDRESS"], methods=["POST"])
@limiter.limit(lambda: current_app.config["RESET_LIMIT_PER_EMAIL"], key_func=_reset_key, methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data)
        # The same answer whether or not the address has an account.
        flash(_("If an account uses this address, a link to set a new password is on its way. "
                "It works once, for an hour."), "info")
        return redirect(url_for("public.login"))
    return render_template("public/forgot_password.html", form=form)


@bp.route("/reset-password", methods=["GET", "POST"], endpoint="reset_password_landed", defaults={"token": None})
@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token):
    """Opening the link consumes nothing; only the POST that sets the password does."""
    token, _found, answer = _open_link("reset", token, accounts.check_reset_link, "public.reset_password_landed")
    if answer:
        return answer
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password(token, new=form.new_password.data, confirm=form.confirm_password.data)
        except ValidationFailed as exc:
            form_errors.attach(form, exc)
        else:
            if current_user.is_authenticated:
                logout_user()
            _fresh_session()
            flash(_("Your password has been set. Sign in with it."), "success")
            return redirect(url_for("public.login"))
    return render_template("public/reset_password.html", form=form)
