"""Roster: the Students section of a multi-school education platform."""

import os

from flask import Flask, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from roster import config, errors, i18n, labels, search_index, security
from roster import records as _records  # noqa: F401 - its tables in db.metadata (migrations, create_all)
from roster.extensions import csrf, db, limiter, login_manager, mail, migrate
from roster.i18n import N_


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True, template_folder="../templates")
    os.makedirs(app.instance_path, exist_ok=True)
    config.load(app, test_config)
    register_extensions(app)
    register_auth(app)
    register_blueprints(app)
    register_errors(app)
    register_cli(app)
    register_tasks(app)
    return app


def register_tasks(app: Flask) -> None:
    from roster.tasks import celery_init_app

    celery_init_app(app)


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(
        app, db, directory=os.path.join(app.root_path, "..", "migrations"),
        render_as_batch=True, compare_type=True, include_name=search_index.include_name,
    )
    mail.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
    security.init_app(app)
    i18n.init_app(app)
    labels.init_app(app)


# Where a user who must change their password, or set up two-factor sign-in, may still go.
PASSWORD_CHANGE_ENDPOINTS = {"public.security", "public.logout", "static", "admin.static"}
TWO_FACTOR_SETUP_ENDPOINTS = {"public.two_factor_settings", "public.logout", "static", "admin.static"}


def register_auth(app: Flask) -> None:
    from roster.services import accounts, audit, two_factor

    login_manager.login_view = "public.login"
    login_manager.login_message = N_("Please sign in to open this page.")
    login_manager.localize_callback = _  # in the page's language when it is flashed
    login_manager.login_message_category = "info"
    login_manager.user_loader(accounts.load_session)

    @app.before_request
    def remember_client_address():
        audit.client_address.set(request.remote_addr)

    @app.before_request
    def enforce_password_change():
        if (
            current_user.is_authenticated
            and current_user.must_change_password
            and request.endpoint not in PASSWORD_CHANGE_ENDPOINTS
        ):
            return redirect(url_for("public.security"))
        if (
            current_user.is_authenticated
            and request.endpoint not in TWO_FACTOR_SETUP_ENDPOINTS
            and not two_factor.is_on(current_user)
            and two_factor.required_for(current_user)
        ):  # a password alone reaches nothing for a role that needs two factors
            return redirect(url_for("public.two_factor_settings"))
        return None


def register_blueprints(app: Flask) -> None:
    from roster.admin import context, init_admin
    from roster.permissions import schools_for
    from roster.public import bp as public_bp
    from roster.public import oneroster

    app.register_blueprint(public_bp)
    oneroster.init_app(app)
    init_admin(app)
    app.jinja_env.globals.update(
        roster_selected_school=context.selected_school,
        roster_current_year=context.current_year,
        roster_allowed=context.allowed,
        roster_school_choices=lambda: schools_for(current_user),
        roster_date=context.date_text,  # a date as the selected school's country writes it
    )


ERRORS = {
    400: (_l("Bad request"), _l("The request could not be understood. Go back and try again.")),
    403: (_l("Not allowed"), _l("You do not have permission to open this page or do this.")),
    404: (_l("Not found"), _l("There is nothing here. It may have been removed, or the address is wrong.")),
    405: (_l("Not allowed"), _l("This page cannot be used that way.")),
    413: (_l("Too large"), _l("The upload is larger than allowed.")),
    429: (_l("Too many attempts"), _l("Too many attempts in a short time. Wait a few minutes and try again.")),
    500: (_l("Something went wrong"), _l("An unexpected error happened. Nothing was saved; please try again.")),
}


def register_errors(app: Flask) -> None:
    def page(code: int, message: str | None = None):
        if request.path.startswith("/ims/oneroster/"):  # an API client gets the specification's error payload
            from roster.public.oneroster import error_answer

            return error_answer(code)
        title, default = ERRORS[code]
        return render_template("public/error.html", code=code, title=title, message=message or default), code

    for code in ERRORS:
        app.register_error_handler(code, lambda exc, code=code: page(code))

    def refused(code: int):
        def handler(exc):
            db.session.rollback()  # nothing a refused request began is kept
            return page(code)
        return handler

    # A service's refusal anywhere (admin views, public pages) is the page of its code: views need not catch it.
    app.register_error_handler(errors.Forbidden, refused(403))
    app.register_error_handler(errors.NotFound, refused(404))

    @app.errorhandler(CSRFError)
    def csrf_failed(exc):
        return page(400, _("This form has expired or was not sent from Roster. Reload the page and try again."))

    @app.teardown_request
    def rollback_unfinished(exc):
        # Whatever a failed request left in the session is thrown away, never half-committed later.
        if exc is not None:
            db.session.rollback()


def register_cli(app: Flask) -> None:
    from roster.cli import roster_cli

    app.cli.add_command(roster_cli)
