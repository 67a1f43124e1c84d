"""Security headers on every response: pages, downloads, errors, redirects, static files."""

import re

import pytest
from sqlalchemy import select

from roster.extensions import db
from roster.models import School
from tests.agent import Agent

EVERYWHERE = {"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
              "Strict-Transport-Security": "max-age=31536000; includeSubDomains"}


def check(response, *, referrer="same-origin", cached=False):
    for name, value in EVERYWHERE.items():
        assert response.headers.get(name) == value, (response.request.path, name)
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    script_src = re.search(r"script-src ([^;]+)", csp)[1]
    assert "'unsafe-inline'" not in script_src and re.search(r"'nonce-[A-Za-z0-9_-]{20,}'", script_src)
    assert response.headers["Referrer-Policy"] == referrer, response.request.path
    assert (response.headers.get("Cache-Control") == "no-store") is not cached, response.request.path
    return csp


def test_pages_downloads_errors_and_redirects_carry_the_headers(app, world, agent):
    admin = agent("admin_a")
    page = admin.get("/admin/students/")
    csp = check(page)
    nonce = re.search(r"'nonce-([^']+)'", csp)[1]
    scripts = re.findall(r"<script\b[^>]*>", page.text)
    assert scripts and all(f'nonce="{nonce}"' in tag or "src=" in tag for tag in scripts)
    assert not re.search(r"\son[a-z]+=", page.text)  # no inline event handler anywhere
    assert check(admin.get("/admin/students/")).count("nonce-") == 1
    assert re.search(r"'nonce-([^']+)'", admin.get("/admin/students/").headers["Content-Security-Policy"])[1] != nonce
    check(admin.get("/admin/students/export?format=csv"))  # a download with children's data
    check(admin.get("/admin/imports/template.xlsx"))
    check(admin.get("/admin/students/details/?id=99999999999999999999999"))  # 404
    check(admin.get("/admin/"))  # a redirect
    check(Agent(app).get("/login"))
    check(Agent(app).get("/admin/students/"))  # signed out: the redirect to sign in
    check(admin.get("/admin/static/bootstrap/bootstrap4/css/bootstrap.min.css"), cached=True)
    check(admin.get("/static/roster.js"), cached=True)
    forged = Agent(app)
    forged.get("/login")
    check(forged.web.post("/login", {"login": "x", "password": "y"}, expect_errors=True))  # 400: no token


def test_pages_whose_url_holds_a_token_send_no_referrer(app, world):
    with app.app_context():
        token = db.session.scalar(select(School.signup_token).where(School.id == world.school_a.id))
    check(Agent(app).get(f"/join/{token}"), referrer="no-referrer")
    check(Agent(app).get("/reset-password/not-a-real-token"), referrer="no-referrer")


@pytest.mark.parametrize("secure", [True, False])
def test_the_session_cookie_is_host_prefixed_when_served_over_https(make_app, world, secure):
    app = make_app(SESSION_COOKIE_SECURE=secure)
    user = Agent(app)
    page = user.get("/login")
    cookie = page.headers["Set-Cookie"]
    if secure:
        assert cookie.startswith("__Host-roster-session=") and "Secure" in cookie and "Path=/" in cookie
        assert "Domain" not in cookie
    else:
        assert cookie.startswith("session=")


def test_a_link_with_a_token_moves_to_a_url_without_it_before_the_form(app, world):
    """The token goes into the session; the page, its form's action and all that follows hold none."""
    with app.app_context():
        token = db.session.scalar(select(School.signup_token).where(School.id == world.school_a.id))
    visitor = Agent(app)
    landing = visitor.get(f"/join/{token}")
    assert landing.status_int == 302 and landing.location == "/join"
    page = visitor.get(landing.location)
    assert page.status_int == 200 and token not in page.text and "Alpha School" in page.text
    form = page.forms[0] if 0 in page.forms else None
    assert form is not None and token not in (form.action or "")
    assert page.headers["Referrer-Policy"] == "no-referrer"
