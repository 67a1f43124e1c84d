"""Passwords: common ones refused wherever a password is chosen; a new password ends every link still out."""

import re

import pytest
from sqlalchemy import select

from roster.extensions import db
from roster.models import School, User
from roster.services import accounts
from tests.agent import Agent
from tests.factories import PASSWORD
from tests.helpers import mail_config
from tests.test_credentials import submit as credentials
from tests.test_invitations import sign_up
from tests.test_password_reset import ask, set_password

COMMON = ["password1234", "qwertyuiop12", "PASSWORD1234"]  # case does not hide one
WHY = "on the list of the most common passwords"


def test_the_list_is_large_and_from_its_source():
    common = accounts.common_passwords()
    assert len(common) >= 10_000 and "password1234" in common and "correct horse battery" not in common


@pytest.mark.parametrize("password", COMMON)
def test_sign_up_refuses_a_common_password(app, world, password):
    with app.app_context():
        token = db.session.get(School, world.school_a.id).signup_token
    _, page = sign_up(app, f"/join/{token}", email="new@pupil.example", password=password,
                      confirm_password=password)
    assert page.status_int == 200 and WHY in page.text
    with app.app_context():
        assert db.session.scalar(select(User.id).where(User.email == "new@pupil.example")) is None


@pytest.mark.parametrize("password", COMMON[:1])
def test_settings_security_refuses_a_common_password(agent, password):
    user = agent("admin_a")
    page = user.submit(user.get("/settings/security"), field="new_password", current_password=PASSWORD,
                       new_password=password, confirm_password=password)
    assert page.status_int == 200 and WHY in page.text
    user.sign_out()
    user.sign_in("admin@alpha.example", PASSWORD)  # unchanged


def test_credentials_refuse_a_common_password(agent, world):
    page = credentials(agent("admin_a"), world.in_section.id, login="", email="inside@alpha.example",
                       password="qwertyuiop12")
    assert page.status_int == 200 and WHY in page.text


def reset_path(outbox, n):
    body = outbox.wait_for(n)[n - 1].get_body(("plain",)).get_content()
    return re.search(r"http://127\.0\.0\.1:5000(/reset-password/\S+)", body).group(1)


def test_reset_refuses_a_common_password_and_a_new_password_ends_every_older_link(make_app, world, outbox,
                                                                                   smtp_port):
    app = make_app(**mail_config(smtp_port))
    ask(app, "admin@alpha.example")
    older = reset_path(outbox, 1)
    ask(app, "admin@alpha.example")
    newer = reset_path(outbox, 2)
    user = Agent(app)
    page = set_password(user, newer, "password1234")
    assert page.status_int == 200 and WHY in page.text
    assert set_password(user, newer, "a reset passphrase ok").status_int == 302
    stale = Agent(app).open(older)
    assert stale.status_int == 404 and "does not work any more" in stale.text
    # A link asked for before a change in Settings → Security dies with the change too.
    ask(app, "admin@alpha.example")
    pending = reset_path(outbox, 4)  # the third mail says the password was changed
    settings = Agent(app)
    settings.sign_in("admin@alpha.example", "a reset passphrase ok")
    settings.submit(settings.get("/settings/security"), field="new_password",
                    current_password="a reset passphrase ok", new_password="another passphrase ok",
                    confirm_password="another passphrase ok", expect=(302,))
    assert Agent(app).open(pending).status_int == 404
