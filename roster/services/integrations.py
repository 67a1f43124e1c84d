"""API clients of the OneRoster REST API (Integrations): made, listed and revoked by a school's admins; their
OAuth 2 client credentials and access tokens, as Authlib's client and token models see them.

A client's secret and its tokens are random and kept as SHA-256 digests only: the secret is shown once, when the
client is made; a token lives ONEROSTER_TOKEN_SECONDS; revoking a client ends its tokens at once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import delete, select

from roster import permissions
from roster.errors import NotFound, ValidationFailed
from roster.extensions import db
from roster.models import School, utcnow
from roster.records import ApiClient, ApiToken, api_client_school
from roster.services import audit

SCOPE_BASE = "https://purl.imsglobal.org/spec/or/v1p2/scope/"
CORE = SCOPE_BASE + "roster-core.readonly"  # orgs, schools, academic sessions, courses, classes
ROSTER = SCOPE_BASE + "roster.readonly"  # all of the rostering service: users and enrollments too
DEMOGRAPHICS = SCOPE_BASE + "roster-demographics.readonly"
# OneRoster 1.1's, for consumers that speak it (the v1p1 endpoints): the same reads.
CORE_V1P1 = "https://purl.imsglobal.org/spec/or/v1p1/scope/roster-core.readonly"
ROSTER_V1P1 = "https://purl.imsglobal.org/spec/or/v1p1/scope/roster.readonly"
DEMOGRAPHICS_V1P1 = "https://purl.imsglobal.org/spec/or/v1p1/scope/roster-demographics.readonly"
SCOPES = (CORE, ROSTER, DEMOGRAPHICS, CORE_V1P1, ROSTER_V1P1, DEMOGRAPHICS_V1P1)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def create(school_ids: list[int], name: str, *, actor) -> tuple[ApiClient, str]:
    """A new client for these schools (the actor must manage integrations in each); its secret, to show once."""
    if not school_ids:
        raise ValidationFailed({"schools": [_("Choose at least one school.")]})
    for school_id in school_ids:
        permissions.require(actor, school_id, "integrations.manage")
    name = (name or "").strip()
    if not name:
        raise ValidationFailed({"name": [_("This field is required.")]})
    if len(name) > 120:
        raise ValidationFailed({"name": [ngettext("Use at most %(num)s character.", "Use at most %(num)s characters.",
                                                  120)]})
    secret = secrets.token_urlsafe(32)
    client = ApiClient(name=name, client_id=secrets.token_urlsafe(18), secret_digest=digest(secret),
                       created_by_id=getattr(actor, "id", None),
                       schools=db.session.scalars(select(School).where(School.id.in_(school_ids))).all())
    db.session.add(client)
    db.session.flush()
    for school_id in school_ids:
        audit.record("api client created", actor=actor, school_id=school_id, target=client,
                     details={"name": name, "schools": len(school_ids)})
    db.session.commit()
    return client, secret


def of_school(school_id: int) -> list[ApiClient]:
    return db.session.scalars(select(ApiClient).join(api_client_school).where(
        api_client_school.c.school_id == school_id).order_by(ApiClient.created_at.desc(), ApiClient.id.desc())).all()


def revoke(client_pk: int, school_id: int, *, actor) -> ApiClient:
    """Revoke a client of the school: it gets no new token and its tokens stop working (for all its schools)."""
    permissions.require(actor, school_id, "integrations.manage")
    client = db.session.scalar(select(ApiClient).join(api_client_school).where(
        ApiClient.id == client_pk, api_client_school.c.school_id == school_id))
    if client is None:
        raise NotFound(_("Not found"))
    if client.revoked_at is None:
        client.revoked_at = utcnow()
        db.session.execute(delete(ApiToken).where(ApiToken.client_id == client.id))
        audit.record("api client revoked", actor=actor, school_id=school_id, target=client,
                     details={"name": client.name})
        db.session.commit()
    return client


class Client:
    """Authlib's view of an API client: confidential, client credentials only, OneRoster's scopes."""

    def __init__(self, record: ApiClient):
        self.record = record

    def get_client_id(self):
        return self.record.client_id

    def get_default_redirect_uri(self):
        return None

    def get_allowed_scope(self, scope):
        if not scope:
            return " ".join(SCOPES)
        return " ".join(s for s in scope.split() if s in SCOPES)

    def check_redirect_uri(self, redirect_uri):
        return False

    def check_client_secret(self, client_secret):
        return hmac.compare_digest(digest(client_secret or ""), self.record.secret_digest)

    def check_endpoint_auth_method(self, method, endpoint):
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type):
        return False

    def check_grant_type(self, grant_type):
        return grant_type == "client_credentials"


def query_client(client_id: str) -> Client | None:
    record = db.session.scalar(select(ApiClient).where(ApiClient.client_id == client_id,
                                                       ApiClient.revoked_at.is_(None)))
    return Client(record) if record else None


def save_token(token: dict, request) -> None:
    """Keep a token's digest (never the token), and audit it in each of the client's schools."""
    record = request.client.record
    now = utcnow()
    db.session.add(ApiToken(client_id=record.id, token_digest=digest(token["access_token"]),
                            scope=token.get("scope", ""), issued_at=now,
                            expires_at=now + timedelta(seconds=token["expires_in"])))
    record.last_used_at = now
    for school in record.schools:
        audit.record("api token issued", actor=None, school_id=school.id, target=record,
                     details={"name": record.name})
    db.session.commit()


def expires_in(client, grant_type) -> int:
    return current_app.config["ONEROSTER_TOKEN_SECONDS"]


class Token:
    """Authlib's view of an access token."""

    def __init__(self, record: ApiToken):
        self.record = record
        self.client = record.client

    def get_scope(self):
        return self.record.scope

    def get_expires_in(self):
        return int((self.record.expires_at - self.record.issued_at).total_seconds())

    def is_expired(self):
        return self.record.expires_at <= utcnow()

    def is_revoked(self):
        return self.client.revoked_at is not None

    def get_client(self):
        return Client(self.client)

    def get_user(self):
        return None


def token_of(token_string: str) -> Token | None:
    record = db.session.scalar(select(ApiToken).where(ApiToken.token_digest == digest(token_string or "")))
    return Token(record) if record else None


def school_ids_of(client: ApiClient) -> list[int]:
    """The client's schools that are active (a deactivated school's data goes nowhere)."""
    return [s.id for s in client.schools if s.is_active]
