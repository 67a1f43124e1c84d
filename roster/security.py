"""Security headers: set in one place, on every response (pages, downloads, errors, redirects).

The Content-Security-Policy allows scripts only from Roster itself and inline ones that carry this response's
nonce (Flask-Admin's, through its csp_nonce_generator, and ours, through `csp_nonce()` in templates); no inline
event handlers (`onclick=`): roster/static/roster.js handles `data-confirm` and the like instead.
"""

import logging
import re
import secrets

from flask import Flask, current_app, g, request

STATIC_ENDPOINTS = {"static", "admin.static"}
# The paths that carry a secret token: sign-up links (a school's and an invitation's) and password links.
TOKEN_IN_PATH = re.compile(r"(/join/invite/|/join/confirm/|/join/|/reset-password/)[^/?#\s\"]+")


def redact(text: str) -> str:
    return TOKEN_IN_PATH.sub(r"\1[token]", text)


class TokenRedactingFilter(logging.Filter):
    """Takes the tokens out of the access log's lines (Werkzeug's and gunicorn's): a log is read by more
    people than a link is meant for."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, dict):  # gunicorn's access log: its atoms
            record.args = {k: redact(v) if isinstance(v, str) else v for k, v in record.args.items()}
        elif record.args:
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        record.msg = redact(record.msg) if isinstance(record.msg, str) else record.msg
        return True


_FILTER = TokenRedactingFilter()


def csp_nonce() -> str:
    """This response's nonce, made when a template first asks for it."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def policy() -> str:
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' 'nonce-{csp_nonce()}'",
        "style-src 'self' 'unsafe-inline'",  # Bootstrap's and select2's style attributes; never scripts
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def init_app(app: Flask) -> None:
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    for name in ("werkzeug", "gunicorn.access"):
        if _FILTER not in logging.getLogger(name).filters:
            logging.getLogger(name).addFilter(_FILTER)
    if app.config["SESSION_COOKIE_SECURE"] and not app.debug:
        # Sent over HTTPS only, for this host only, for every path: a subdomain cannot plant one.
        app.config["SESSION_COOKIE_NAME"] = "__Host-roster-session"
        app.config["SESSION_COOKIE_PATH"] = "/"
        app.config["SESSION_COOKIE_DOMAIN"] = False

    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers["Content-Security-Policy"] = policy()
        headers["X-Frame-Options"] = "DENY"
        headers["X-Content-Type-Options"] = "nosniff"
        # A page whose URL holds a token (sign-up, reset): its links and requests send no Referer at all.
        token_page = bool(request.view_args and "token" in request.view_args)
        headers["Referrer-Policy"] = "no-referrer" if token_page else "same-origin"
        if request.endpoint not in STATIC_ENDPOINTS:
            # Pages and downloads hold children's data: no browser or proxy keeps a copy.
            headers["Cache-Control"] = "no-store"
        if not current_app.debug:
            headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        return response
