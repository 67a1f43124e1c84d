"""The OneRoster 1.2 REST rostering service (read-only), for the systems a school connects on Integrations.

OAuth 2 client credentials (Authlib): POST /ims/oneroster/token with the client's id and secret (HTTP Basic, or
in the form) gives a bearer token that lives ONEROSTER_TOKEN_SECONDS. Each read needs one, is limited per client
(ONEROSTER_RATE_LIMIT), reads only the client's schools (roster.services.oneroster.api) and is audited in each
of them. Errors are the specification's imsx_StatusInfo payloads.
"""

from __future__ import annotations

from urllib.parse import urlencode

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant
from authlib.oauth2.rfc6750 import BearerTokenValidator
from flask import Blueprint, current_app, jsonify, request
from limits import parse as parse_limit

from roster.extensions import csrf, db, limiter
from roster.services import audit, integrations
from roster.services.oneroster import api, query
from roster.services.oneroster.api import Scope
from roster.services.oneroster.query import ApiError

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


MINOR = {400: "invaliddata", 403: "forbidden", 404: "unknownobject", 405: "invaliddata", 413: "invaliddata",
         429: "server_busy", 500: "internal_server_error"}


def error_answer(code: int):
    """Any error under /ims/oneroster/ (no such endpoint, a method not allowed, a failure) in the payload."""
    db.session.rollback()
    return _problem(ApiError(code, MINOR.get(code, "invaliddata"), f"HTTP {code}: see the OneRoster 1.2 "
                             "rostering service's endpoints."))


def _links(total: int, p: query.Params) -> str:
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


# The read scopes of each version; a 1.1 consumer (Moodle's plugin) asks for 1.1's, a 1.2 one for 1.2's.
CORE_SCOPES = [integrations.CORE, integrations.ROSTER, integrations.CORE_V1P1, integrations.ROSTER_V1P1]
PEOPLE_SCOPES = [integrations.ROSTER, integrations.ROSTER_V1P1]
VERSIONS = {"v1p2": ROSTERING, "v1p1": "/v1p1"}
SUCCESS = {"imsx_codeMajor": "success", "imsx_severity": "status", "imsx_CodeMinor": {"imsx_codeMinorField": [
    {"imsx_codeMinorFieldName": "TargetEndSystem", "imsx_codeMinorFieldValue": "fullsuccess"}]}}


def endpoint(rule: str, *, personal: bool, people: bool = False):
    """A GET of the rostering service, under 1.2's path and 1.1's (v1p1, in 1.1's shapes): token, rate limit,
    the client's schools, the answer and its audit. personal: it hands out children's data (users,
    enrollments), audited as the disclosure log of a child lists it; people (and personal): it needs a
    roster.readonly scope, not only roster-core.readonly."""
    scopes = PEOPLE_SCOPES if personal or people else CORE_SCOPES

    def wrap(view):
        def run(version, **kwargs):
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
            scope = Scope(integrations.school_ids_of(client), request.host_url.rstrip("/") + bp.url_prefix +
                          VERSIONS[version])
            try:
                p = query.params(request.args)
                key, body, total = view(scope, p, **kwargs)
                if version == "v1p1":
                    body = api.as_v1p1(key, body)
                body = ([query.select_fields(r, p.fields) for r in body] if isinstance(body, list)
                        else query.select_fields(body, p.fields))
            except ApiError as exc:
                db.session.rollback()
                return _problem(exc)
            count = len(body) if isinstance(body, list) else 1
            for school_id in scope.school_ids:
                audit.record("api students read" if personal else "api read", actor=None, school_id=school_id,
                             target=client, details={"name": client.name, "path": request.path, "records": count})
            db.session.commit()
            response = jsonify({key: body, "imsx_statusInfo": SUCCESS})
            if total is not None:
                response.headers["X-Total-Count"] = str(total)
                response.headers["Link"] = _links(total, p)
            response.headers["Cache-Control"] = "no-store"
            return response
        for version, prefix in VERSIONS.items():
            bp.add_url_rule(prefix + rule, endpoint=f"{view.__name__}_{version}", view_func=run, methods=["GET"],
                            defaults={"version": version})
        return run
    return wrap


def _one(records: list[dict], sourced_id: str, what: str) -> dict:
    for record in records:
        if record["sourcedId"] == sourced_id:
            return record
    raise ApiError(404, "unknownobject", f"No {what} {sourced_id} here.")


def _found(record: dict | None, sourced_id: str, what: str) -> dict:
    if record is None:
        raise ApiError(404, "unknownobject", f"No {what} {sourced_id} here.")
    return record


def _collection(key: str, records: list[dict], p: query.Params):
    total, page = query.listed(records, p)
    return key, page, total


def _school(scope: Scope, sourced_id: str) -> int:
    school = api.school_of(scope, sourced_id)
    if school is None:
        raise ApiError(404, "unknownobject", f"No school {sourced_id} here.")
    return school


def _section(scope: Scope, sourced_id: str, school: str | None = None) -> int:
    section = api.section_of(scope, sourced_id)
    if section is None or (school is not None and not any(
            c["sourcedId"] == sourced_id for c in api.classes(scope, school=_school(scope, school)))):
        raise ApiError(404, "unknownobject", f"No class {sourced_id} here.")
    return section


def _term(scope: Scope, sourced_id: str) -> int:
    year = api.year_of(scope, sourced_id)
    if year is None:
        raise ApiError(404, "unknownobject", f"No term {sourced_id} here.")
    return year


def _people(scope, p, kind, **where):
    total, page = api.users(scope, p, kinds=(kind,), **where)
    return "users", page, total


# Orgs and schools.

@endpoint("/orgs", personal=False)
def orgs(scope, p):
    return _collection("orgs", api.orgs(scope), p)


@endpoint("/orgs/<sourced_id>", personal=False)
def org(scope, p, sourced_id):
    return "org", _one(api.orgs(scope), sourced_id, "org"), None


@endpoint("/schools", personal=False)
def schools(scope, p):
    return _collection("orgs", api.orgs(scope, schools_only=True), p)


@endpoint("/schools/<sourced_id>", personal=False)
def school(scope, p, sourced_id):
    return "org", _one(api.orgs(scope, schools_only=True), sourced_id, "school"), None


# Academic sessions: each school's year and its full-year term.

@endpoint("/academicSessions", personal=False)
def academic_sessions(scope, p):
    return _collection("academicSessions", api.academic_sessions(scope), p)


@endpoint("/academicSessions/<sourced_id>", personal=False)
def academic_session(scope, p, sourced_id):
    return "academicSession", _one(api.academic_sessions(scope), sourced_id, "academic session"), None


@endpoint("/terms", personal=False)
def terms(scope, p):
    return _collection("academicSessions", api.academic_sessions(scope, kind="term"), p)


@endpoint("/terms/<sourced_id>", personal=False)
def term(scope, p, sourced_id):
    return "academicSession", _one(api.academic_sessions(scope, kind="term"), sourced_id, "term"), None


@endpoint("/schools/<sourced_id>/terms", personal=False)
def terms_of_school(scope, p, sourced_id):
    return _collection("academicSessions", api.academic_sessions(
        scope, school=_school(scope, sourced_id), kind="term"), p)


# Courses and classes: each section of this year is one of each.

@endpoint("/courses", personal=False)
def courses(scope, p):
    return _collection("courses", api.courses(scope), p)


@endpoint("/courses/<sourced_id>", personal=False)
def course(scope, p, sourced_id):
    return "course", _one(api.courses(scope), sourced_id, "course"), None


@endpoint("/schools/<sourced_id>/courses", personal=False)
def courses_of_school(scope, p, sourced_id):
    return _collection("courses", api.courses(scope, school=_school(scope, sourced_id)), p)


@endpoint("/classes", personal=False)
def classes(scope, p):
    return _collection("classes", api.classes(scope), p)


@endpoint("/classes/<sourced_id>", personal=False)
def class_(scope, p, sourced_id):
    return "class", _one(api.classes(scope), sourced_id, "class"), None


@endpoint("/schools/<sourced_id>/classes", personal=False)
def classes_of_school(scope, p, sourced_id):
    return _collection("classes", api.classes(scope, school=_school(scope, sourced_id)), p)


@endpoint("/terms/<sourced_id>/classes", personal=False)
def classes_of_term(scope, p, sourced_id):
    return _collection("classes", api.classes(scope, only=api.sections_of_year(scope, _term(scope, sourced_id))), p)


@endpoint("/courses/<sourced_id>/classes", personal=False)
def classes_of_course(scope, p, sourced_id):
    section = api.spec.parse(sourced_id, "course")
    found = api.classes(scope, only={section[0]}) if section else []
    if not found:
        raise ApiError(404, "unknownobject", f"No course {sourced_id} here.")
    return _collection("classes", found, p)


@endpoint("/students/<sourced_id>/classes", personal=True)
def classes_of_student(scope, p, sourced_id):
    return _collection("classes", api.classes(scope, only=_found(
        api.sections_of_user(scope, sourced_id, "student"), sourced_id, "student")), p)


@endpoint("/teachers/<sourced_id>/classes", personal=False, people=True)
def classes_of_teacher(scope, p, sourced_id):
    return _collection("classes", api.classes(scope, only=_found(
        api.sections_of_user(scope, sourced_id, "teacher"), sourced_id, "teacher")), p)


# Users: students and teachers.

@endpoint("/users", personal=True)
def users(scope, p):
    total, page = api.users(scope, p)
    return "users", page, total


@endpoint("/users/<sourced_id>", personal=True)
def user(scope, p, sourced_id):
    return "user", _found(api.user(scope, sourced_id), sourced_id, "user"), None


@endpoint("/students", personal=True)
def students(scope, p):
    return _people(scope, p, "student")


@endpoint("/students/<sourced_id>", personal=True)
def student(scope, p, sourced_id):
    return "user", _found(api.user(scope, sourced_id, kinds=("student",)), sourced_id, "student"), None


@endpoint("/teachers", personal=False, people=True)
def teachers(scope, p):
    return _people(scope, p, "teacher")


@endpoint("/teachers/<sourced_id>", personal=False, people=True)
def teacher(scope, p, sourced_id):
    return "user", _found(api.user(scope, sourced_id, kinds=("teacher",)), sourced_id, "teacher"), None


@endpoint("/schools/<sourced_id>/students", personal=True)
def students_of_school(scope, p, sourced_id):
    return _people(scope, p, "student", students_where=[api.Student.school_id == _school(scope, sourced_id)])


@endpoint("/schools/<sourced_id>/teachers", personal=False, people=True)
def teachers_of_school(scope, p, sourced_id):
    return _people(scope, p, "teacher", teachers_where=[api.Membership.school_id == _school(scope, sourced_id)])


@endpoint("/classes/<sourced_id>/students", personal=True)
def students_of_class(scope, p, sourced_id):
    return _people(scope, p, "student", students_where=[api.in_section(_section(scope, sourced_id))])


@endpoint("/classes/<sourced_id>/teachers", personal=False, people=True)
def teachers_of_class(scope, p, sourced_id):
    return _people(scope, p, "teacher", teachers_where=[api.teaches(_section(scope, sourced_id))])


@endpoint("/schools/<school_id>/classes/<sourced_id>/students", personal=True)
def students_of_class_in_school(scope, p, school_id, sourced_id):
    return _people(scope, p, "student", students_where=[api.in_section(_section(scope, sourced_id, school_id))])


@endpoint("/schools/<school_id>/classes/<sourced_id>/teachers", personal=False, people=True)
def teachers_of_class_in_school(scope, p, school_id, sourced_id):
    return _people(scope, p, "teacher", teachers_where=[api.teaches(_section(scope, sourced_id, school_id))])


# Enrollments.

@endpoint("/enrollments", personal=True)
def enrollments(scope, p):
    total, page = api.enrollments(scope, p)
    return "enrollments", page, total


@endpoint("/enrollments/<sourced_id>", personal=True)
def enrollment(scope, p, sourced_id):
    return "enrollment", _found(api.enrollment(scope, sourced_id), sourced_id, "enrollment"), None


@endpoint("/schools/<sourced_id>/enrollments", personal=True)
def enrollments_of_school(scope, p, sourced_id):
    school_id = _school(scope, sourced_id)
    total, page = api.enrollments(scope, p, students_where=[api.Student.school_id == school_id],
                                  teachers_where=[api.Section.school_id == school_id])
    return "enrollments", page, total


@endpoint("/schools/<school_id>/classes/<sourced_id>/enrollments", personal=True)
def enrollments_of_class_in_school(scope, p, school_id, sourced_id):
    section = _section(scope, sourced_id, school_id)
    total, page = api.enrollments(scope, p, students_where=[api.student_section.c.section_id == section],
                                  teachers_where=[api.section_teacher.c.section_id == section])
    return "enrollments", page, total
