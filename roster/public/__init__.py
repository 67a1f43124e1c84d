"""Pages outside the admin: signing in and out, the user's own account and Settings → Security."""

from flask import Blueprint

bp = Blueprint("public", __name__)

from roster.public import views  # noqa: E402,F401  (registers the routes on bp)
