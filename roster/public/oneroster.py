"""The OneRoster 1.2 REST rostering service (read-only), for the systems a school connects on Integrations.

OAuth 2 client credentials (Authlib): POST /ims/oneroster/token with the client's id and secret (HTTP Basic, or
in the form) gives a bearer token that lives ONEROSTER_TOKEN_SECONDS. Each read needs one, is limited per client
(ONEROSTER_RATE_LIMIT), reads only the client's schools (roster.services.oneroster.api) and is audited in each
of them. Errors are the specification's imsx_StatusInfo payloads.
"""

from __future__ import annotations

import functools
from urllib.parse import urlencode

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant
from authlib.oauth2.rfc6750 import BearerTokenValidator
from flask import Blueprint, current_app, jsonify, request
from limits import parse as parse_limit

from roster.extensions import csrf, db, limiter
from roster.services import audit, integrations
from roster.services.oneroster import api
from roster.services.oneroster.api import ApiError, Scope

bp = Blueprint("oneroster", __name__, url_prefix="/ims/oneroster")
csrf.exempt(bp)  # no cookies here: a client proves itself by its credentials and token
ROSTERING = "/rostering/v1p2"
authorization = AuthorizationServer()
protector = ResourceProtector()


class _ClientCredentials(ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


class _Tokens(BearerTokenValidator):
    def authenticate_token(self, token_string):
        return integrations.token_of(token_string)


authorization.register_grant(_ClientCredentials)
protector.register_token_validator(_Tokens())


def init_app(app) -> None:
    app.config.setdefault("OAUTH2_SCOPES_SUPPORTED", list(integrations.SCOPES))
    # Read from the app's config at each token (ONEROSTER_TOKEN_SECONDS), whichever app asks.
    app.config.setdefault("OAUTH2_TOKEN_EXPIRES_IN", "roster.services.integrations.expires_in")
    authorization.init_app(app, query_client=integrations.query_client, save_token=integrations.save_token)
    app.register_blueprint(bp)


@bp.post("/token")
def token():
    """OAuth 2 token endpoint (client credentials grant only)."""
    return authorization.create_token_response()


def _problem(error: ApiError):
    response = jsonify(error.payload())
    response.status_code = error.status
    if error.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="oneroster", error="invalid_token"'
    return response


def _links(total: int, p: api.Params) -> str:
    def at(offset):
        args = {k: v for k, v in request.args.items() if k not in ("limit", "offset")}
        return f'<{request.base_url}?{urlencode({**args, "limit": p.limit, "offset": offset})}>'
    links = []
    if p.offset + p.limit < total:
        links.append(f'{at(p.offset + p.limit)}; rel="next"')
    last = max(0, (total - 1) // p.limit * p.limit)
    links.append(f'{at(last)}; rel="last"')
    if p.offset > 0:
        links += [f'{at(0)}; rel="first"', f'{at(max(0, p.offset - p.limit))}; rel="prev"']
    return ", ".join(links)


def endpoint(rule: str, *, personal: bool, people: bool = False):
    """A GET of the rostering service: token, rate limit, the client's schools, the answer and its audit.
    personal: it hands out children's data (users, enrollments), audited as the disclosure log of a child
    lists it; people (and personal): it needs the roster.readonly scope, not only roster-core.readonly."""
    scopes = [integrations.ROSTER] if personal or people else [integrations.CORE, integrations.ROSTER]

    def wrap(view):
        @functools.wraps(view)
        def run(**kwargs):
            try:
                token = protector.acquire_token(scopes)
            except OAuth2Error as exc:
                forbidden = exc.status_code == 403
                return _problem(ApiError(403 if forbidden else 401, "forbidden" if forbidden else
                                         "unauthorisedrequest", "The token's scope does not cover this." if
                                         forbidden else "A valid, unexpired bearer token is needed."))
            client = token.client
            if not limiter.limiter.hit(parse_limit(current_app.config["ONEROSTER_RATE_LIMIT"]), "oneroster",
                                       client.client_id):
                return _problem(ApiError(429, "server_busy", "Too many requests: wait a minute and try again."))
            scope = Scope(integrations.school_ids_of(client), request.host_url.rstrip("/"))
            try:
                p = api.params(request.args)
                key, body, total = view(scope, p, **kwargs)
            except ApiError as exc:
                db.session.rollback()
                return _problem(exc)
            count = len(body) if isinstance(body, list) else 1
            for school_id in scope.school_ids:
                audit.record("api students read" if personal else "api read", actor=None, school_id=school_id,
                             target=client, details={"name": client.name, "path": request.path, "records": count})
            db.session.commit()
            response = jsonify({key: body})
            if total is not None:
                response.headers["X-Total-Count"] = str(total)
                response.headers["Link"] = _links(total, p)
            response.headers["Cache-Control"] = "no-store"
            return response
        bp.add_url_rule(ROSTERING + rule, view_func=run, methods=["GET"])
        return run
    return wrap


def _one(records: list[dict], sourced_id: str, what: str) -> dict:
    for record in records:
        if record["sourcedId"] == sourced_id:
            return record
    raise ApiError(404, "unknownobject", f"No {what} {sourced_id} here.")


def _found(record: dict | None, sourced_id: str, what: str, p: api.Params) -> dict:
    if record is None:
        raise ApiError(404, "unknownobject", f"No {what} {sourced_id} here.")
    return api.select_fields(record, p.fields)


def _collection(key: str, records: list[dict], p: api.Params):
    total, page = api.listed(records, p)
    return key, page, total


def _school(scope: Scope, sourced_id: str) -> int:
    school = api.school_of(scope, sourced_id)
    if school is None:
        raise ApiError(404, "unknownobject", f"No school {sourced_id} here.")
    return school


def _section(scope: Scope, sourced_id: str) -> int:
    section = api.section_of(scope, sourced_id)
    if section is None:
        raise ApiError(404, "unknownobject", f"No class {sourced_id} here.")
    return section


@endpoint("/orgs", personal=False)
def orgs(scope, p):
    return _collection("orgs", api.orgs(scope), p)


@endpoint("/orgs/<sourced_id>", personal=False)
def org(scope, p, sourced_id):
    return "org", api.select_fields(_one(api.orgs(scope), sourced_id, "org"), p.fields), None


@endpoint("/schools", personal=False)
def schools(scope, p):
    return _collection("orgs", api.orgs(scope, schools_only=True), p)


@endpoint("/schools/<sourced_id>", personal=False)
def school(scope, p, sourced_id):
    return "org", api.select_fields(_one(api.orgs(scope, schools_only=True), sourced_id, "school"), p.fields), None


@endpoint("/academicSessions", personal=False)
def academic_sessions(scope, p):
    return _collection("academicSessions", api.academic_sessions(scope), p)


@endpoint("/academicSessions/<sourced_id>", personal=False)
def academic_session(scope, p, sourced_id):
    record = _one(api.academic_sessions(scope), sourced_id, "academic session")
    return "academicSession", api.select_fields(record, p.fields), None


@endpoint("/courses", personal=False)
def courses(scope, p):
    return _collection("courses", api.courses(scope), p)


@endpoint("/courses/<sourced_id>", personal=False)
def course(scope, p, sourced_id):
    return "course", api.select_fields(_one(api.courses(scope), sourced_id, "course"), p.fields), None


@endpoint("/classes", personal=False)
def classes(scope, p):
    return _collection("classes", api.classes(scope), p)


@endpoint("/classes/<sourced_id>", personal=False)
def class_(scope, p, sourced_id):
    return "class", api.select_fields(_one(api.classes(scope), sourced_id, "class"), p.fields), None


@endpoint("/schools/<sourced_id>/classes", personal=False)
def classes_of_school(scope, p, sourced_id):
    return _collection("classes", api.classes(scope, school=_school(scope, sourced_id)), p)


@endpoint("/users", personal=True)
def users(scope, p):
    total, page = api.users(scope, p)
    return "users", page, total


@endpoint("/users/<sourced_id>", personal=True)
def user(scope, p, sourced_id):
    return "user", _found(api.user(scope, sourced_id), sourced_id, "user", p), None


@endpoint("/students", personal=True)
def students(scope, p):
    total, page = api.users(scope, p, kinds=("student",))
    return "users", page, total


@endpoint("/students/<sourced_id>", personal=True)
def student(scope, p, sourced_id):
    return "user", _found(api.user(scope, sourced_id, kinds=("student",)), sourced_id, "student", p), None


@endpoint("/teachers", personal=False, people=True)
def teachers(scope, p):
    total, page = api.users(scope, p, kinds=("teacher",))
    return "users", page, total


@endpoint("/teachers/<sourced_id>", personal=False, people=True)
def teacher(scope, p, sourced_id):
    return "user", _found(api.user(scope, sourced_id, kinds=("teacher",)), sourced_id, "teacher", p), None


@endpoint("/schools/<sourced_id>/students", personal=True)
def students_of_school(scope, p, sourced_id):
    school_id = _school(scope, sourced_id)
    total, page = api.users(scope, p, kinds=("student",), students_where=[api.Student.school_id == school_id])
    return "users", page, total


@endpoint("/schools/<sourced_id>/teachers", personal=False, people=True)
def teachers_of_school(scope, p, sourced_id):
    school_id = _school(scope, sourced_id)
    total, page = api.users(scope, p, kinds=("teacher",), teachers_where=[api.Membership.school_id == school_id])
    return "users", page, total


@endpoint("/classes/<sourced_id>/students", personal=True)
def students_of_class(scope, p, sourced_id):
    total, page = api.users(scope, p, kinds=("student",), students_where=[api.in_section(_section(scope, sourced_id))])
    return "users", page, total


@endpoint("/classes/<sourced_id>/teachers", personal=False, people=True)
def teachers_of_class(scope, p, sourced_id):
    total, page = api.users(scope, p, kinds=("teacher",), teachers_where=[api.teaches(_section(scope, sourced_id))])
    return "users", page, total


@endpoint("/enrollments", personal=True)
def enrollments(scope, p):
    total, page = api.enrollments(scope, p)
    return "enrollments", page, total


@endpoint("/enrollments/<sourced_id>", personal=True)
def enrollment(scope, p, sourced_id):
    return "enrollment", _found(api.enrollment(scope, sourced_id), sourced_id, "enrollment", p), None


@endpoint("/schools/<sourced_id>/enrollments", personal=True)
def enrollments_of_school(scope, p, sourced_id):
    school_id = _school(scope, sourced_id)
    total, page = api.enrollments(scope, p, students_where=[api.Student.school_id == school_id],
                                  teachers_where=[api.Section.school_id == school_id])
    return "enrollments", page, total
