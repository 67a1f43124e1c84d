"""OneRoster out (the REST API): a school admin makes a client on Integrations (its page's form), a real OAuth 2
client (Authlib's requests client) takes a token over HTTP and reads the rostering service: the specification's
JSON shape, paging, a delta by dateLastModified, filter, sort and fields; another school's data, a revoked client,
an expired token and a wrong secret refused; reads audited and named in the child's disclosure log."""

import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from authlib.integrations.requests_client import OAuth2Session
from sqlalchemy import select, update

from roster.extensions import db
from roster.records import ApiToken, AuditEvent
from tests.agent import Agent, find_form

API = "/ims/oneroster/rostering/v1p2"
ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")


def make_client(admin, name="Moodle", schools=()):
    """Integrations → New integration: the name (and, for a platform admin, more schools) → Create client; the
    client ID and the secret the page shows once."""
    page = admin.get("/admin/integrations/")
    assert page.status_int == 200
    form = find_form(page, id="integration-form")
    form["name"] = name
    for checkbox in form.fields.get("schools", []):
        checkbox.checked = checkbox._value in [str(s) for s in schools]
    made = form.submit()
    assert made.status_int == 302  # post, then redirect: a reload makes no second client
    shown = admin.get(made.location)
    assert shown.status_int == 200 and shown.headers["Cache-Control"] == "no-store"
    client_id = shown.html.select_one("#client-id").text
    secret = shown.html.select_one("#client-secret").text
    assert admin.get("/admin/integrations/").text.count(secret) == 0  # shown once
    return client_id, secret


def session(base, client_id, secret, **kw):
    client = OAuth2Session(client_id, secret, **kw)
    token = client.fetch_token(f"{base}/ims/oneroster/token", grant_type="client_credentials")
    assert token["token_type"].lower() == "bearer" and token["expires_in"] == 3600
    return client


def check_ref(value, kind):
    assert set(value) == {"href", "sourcedId", "type"} and value["type"] == kind
    assert value["href"].endswith(value["sourcedId"])


def check_user(user):
    """A user as the specification's JSON binding shapes it (the required fields and their types)."""
    assert isinstance(user["sourcedId"], str) and user["sourcedId"]
    assert user["status"] in ("active", "tobedeleted") and ISO_MOMENT.fullmatch(user["dateLastModified"])
    assert isinstance(user["enabledUser"], bool)
    assert isinstance(user["givenName"], str) and isinstance(user["familyName"], str) and user["familyName"]
    assert user["roles"] and all(r["roleType"] in ("primary", "secondary") and r["role"] in ("student", "teacher")
                                 for r in user["roles"])
    for role in user["roles"]:
        check_ref(role["org"], "org")
    check_ref(user["primaryOrg"], "org")
    assert isinstance(user["userIds"], list) and isinstance(user["agents"], list) and isinstance(user["grades"], list)


@pytest.fixture
def connected(app, live_server, world):
    admin = Agent(app, url=live_server)
    admin.sign_in(world.admin_a.email)
    client_id, secret = make_client(admin)
    return admin, live_server, session(live_server, client_id, secret), (client_id, secret)


def test_a_client_reads_its_school_page_by_page_in_the_specification_shape(app, connected, world):
    admin, base, client, _credentials = connected
    first = client.get(f"{base}{API}/users?limit=2")
    assert first.status_code == 200 and first.headers["Content-Type"].startswith("application/json")
    assert first.headers["X-Total-Count"] == "3"  # two students and the school's teacher
    assert 'rel="next"' in first.headers["Link"]
    second = client.get(f"{base}{API}/users?limit=2&offset=2")
    people = first.json()["users"] + second.json()["users"]
    for user in people:
        check_user(user)
    assert sorted(u["familyName"] for u in people) == sorted(["Inside", "Outside", people_teacher(people)])
    assert len({u["sourcedId"] for u in people}) == 3
    # Students only, one by its sourcedId; the school; its class, year and enrollments.
    students = client.get(f"{base}{API}/students").json()["users"]
    assert {u["familyName"] for u in students} == {"Inside", "Outside"}
    inside = next(u for u in students if u["familyName"] == "Inside")
    assert inside["username"] == "pupil@alpha.example" and inside["email"] == "inside@alpha.example"
    assert client.get(f"{base}{API}/students/{inside['sourcedId']}").json()["user"] == inside
    orgs = client.get(f"{base}{API}/orgs").json()["orgs"]
    assert {(o["type"], o["name"]) for o in orgs} == {("district", "Roster"), ("school", "Alpha School")}
    classes = client.get(f"{base}{API}/classes").json()["classes"]
    assert sorted(c["title"] for c in classes) == ["1A", "2A"]
    for record in classes:
        check_ref(record["course"], "course")
        check_ref(record["school"], "org")
        assert record["classType"] == "homeroom" and record["terms"][0]["type"] == "academicSession"
    one_a = next(c for c in classes if c["title"] == "1A")
    in_class = client.get(f"{base}{API}/classes/{one_a['sourcedId']}/students").json()["users"]
    assert [u["familyName"] for u in in_class] == ["Inside"]
    sessions = client.get(f"{base}{API}/academicSessions").json()["academicSessions"]
    assert sessions[0]["type"] == "schoolYear" and re.fullmatch(r"\d{4}", sessions[0]["schoolYear"])
    enrollments = client.get(f"{base}{API}/enrollments").json()["enrollments"]
    assert {(e["role"], e["class"]["sourcedId"] == one_a["sourcedId"]) for e in enrollments} == {
        ("student", True), ("student", False), ("teacher", True)}
    one = enrollments[0]
    assert client.get(f"{base}{API}/enrollments/{one['sourcedId']}").json()["enrollment"] == one
    # Filter, sort and fields.
    sorted_page = client.get(f"{base}{API}/students", params={"sort": "familyName", "orderBy": "desc",
                                                             "fields": "sourcedId,familyName"}).json()["users"]
    assert [u["familyName"] for u in sorted_page] == ["Outside", "Inside"]
    assert set(sorted_page[0]) == {"sourcedId", "familyName"}
    one_by_one = [client.get(f"{base}{API}/users", params={"sort": "familyName", "limit": 1, "offset": n}).json()
                  ["users"][0]["familyName"] for n in range(3)]
    assert one_by_one == sorted(one_by_one, key=str) and len(set(one_by_one)) == 3  # students and the teacher
    found = client.get(f"{base}{API}/users", params={"filter": "familyName~'insi' AND status='active'"})
    assert [u["familyName"] for u in found.json()["users"]] == ["Inside"]
    # Each read is audited in the school, and the child's page names the integration.
    with app.app_context():
        actions = [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
        assert "api client created" in actions and "api token issued" in actions
        assert "api students read" in actions and "api read" in actions
    details = admin.get(f"/admin/students/details/?id={world.in_section.id}")
    assert details.status_int == 200, details.text[:300]
    disclosures = details.html.select_one("#disclosures").find_next("table").text
    assert "Moodle" in disclosures


def people_teacher(people):
    return next(u["familyName"] for u in people if u["roles"][0]["role"] == "teacher")


def test_a_delta_by_date_last_modified(app, connected, world):
    admin, base, client, _credentials = connected
    time.sleep(0.01)  # after the school's records were written
    moment = datetime.now(UTC)
    since = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    later = client.get(f"{base}{API}/users", params={"filter": f"dateLastModified>'{since}'"}).json()["users"]
    assert later == []
    # The admin edits one student (the Edit page's own form): only they have changed since.
    page = admin.get(f"/admin/students/edit/?id={world.out_section.id}")
    admin.submit(page, field="first_name", first_name="Olya", expect=(302,))
    later = client.get(f"{base}{API}/users", params={"filter": f"dateLastModified>'{since}'"}).json()["users"]
    assert [(u["familyName"], u["givenName"]) for u in later] == [("Outside", "Olya")]


def test_another_schools_data_is_not_there(app, connected, world):
    admin, base, client, _credentials = connected
    with app.app_context():
        from roster.services.oneroster import spec

        beta_student = spec.sourced_id("student", world.b_student.id)
        beta_school = spec.sourced_id("school", world.school_b.id)
    for path in (f"/users/{beta_student}", f"/students/{beta_student}", f"/schools/{beta_school}",
                 "/users/not-a-sourcedId", "/classes/12", "/enrollments/%20",
                 f"/schools/{beta_school}/students", f"/orgs/{beta_school}"):
        response = client.get(f"{base}{API}{path}")
        assert response.status_code == 404, path
        assert response.json()["imsx_CodeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"] == \
            "unknownobject"
    everyone = client.get(f"{base}{API}/users?limit=1000").json()["users"]
    assert "Beta" not in {u["familyName"] for u in everyone}


def test_bad_parameters_get_the_specification_error_payload(connected):
    _admin, base, client, _credentials = connected
    for params, minor in (({"filter": "givenName='x"}, "invalid_filter_field"),
                          ({"filter": "shoeSize='42'"}, "invalid_filter_field"),
                          ({"filter": "a='1' AND b='2' OR c='3'"}, "invalid_filter_field"),
                          ({"filter": "dateLastModified>'yesterday'"}, "invalid_filter_field"),
                          ({"sort": "shoeSize"}, "invalid_sort_field"),
                          ({"fields": "sourcedId,shoeSize"}, "invalid_selection_field"),
                          ({"limit": "-1"}, "invaliddata"), ({"offset": "x"}, "invaliddata")):
        response = client.get(f"{base}{API}/users", params=params)
        assert response.status_code == 400, params
        body = response.json()
        assert body["imsx_codeMajor"] == "failure" and body["imsx_severity"] == "error" and body["imsx_description"]
        assert body["imsx_CodeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"] == minor


def test_revoked_client_and_expired_token_are_refused(app, connected):
    admin, base, client, (client_id, secret) = connected
    assert client.get(f"{base}{API}/orgs").status_code == 200
    with app.app_context():  # an hour later
        past = datetime.now(UTC).replace(tzinfo=None) - timedelta(seconds=1)
        db.session.execute(update(ApiToken).values(expires_at=past))
        db.session.commit()
    expired = client.get(f"{base}{API}/orgs")
    assert expired.status_code == 401 and "Bearer" in expired.headers["WWW-Authenticate"]
    assert expired.json()["imsx_CodeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"] == \
        "unauthorisedrequest"
    fresh = session(base, client_id, secret)
    assert fresh.get(f"{base}{API}/orgs").status_code == 200
    # Integrations → Revoke: the token it holds stops working, and it gets no new one.
    page = admin.get("/admin/integrations/")
    admin.submit(page, action="/revoke", expect=(302,))
    assert fresh.get(f"{base}{API}/orgs").status_code == 401
    with pytest.raises(Exception, match="invalid_client"):
        session(base, client_id, secret)
    assert "Revoked" in admin.get("/admin/integrations/").text


def test_a_wrong_secret_and_no_token_get_nothing(connected):
    _admin, base, _client, (client_id, _secret) = connected
    with pytest.raises(Exception, match="invalid_client"):
        session(base, client_id, "not-the-secret")
    import requests

    assert requests.get(f"{base}{API}/users", timeout=10).status_code == 401
    assert requests.get(f"{base}{API}/users", headers={"Authorization": "Bearer made-up"}, timeout=10).status_code \
        == 401


def test_credentials_in_the_form_and_a_narrower_scope(connected):
    _admin, base, _client, (client_id, secret) = connected
    core = "https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly"
    client = OAuth2Session(client_id, secret, scope=core, token_endpoint_auth_method="client_secret_post")
    token = client.fetch_token(f"{base}/ims/oneroster/token", grant_type="client_credentials")
    assert token["scope"] == core
    assert client.get(f"{base}{API}/classes").status_code == 200
    refused = client.get(f"{base}{API}/users")  # children's data needs roster.readonly
    assert refused.status_code == 403
    assert refused.json()["imsx_CodeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"] == "forbidden"


def test_a_platform_admin_connects_one_client_to_two_schools(app, live_server, world):
    platform = Agent(app, url=live_server)
    platform.sign_in(world.platform.email)
    client_id, secret = make_client(platform, "District LMS", schools=[world.school_b.id])
    client = session(live_server, client_id, secret)
    names = {o["name"] for o in client.get(f"{live_server}{API}/schools").json()["orgs"]}
    assert names == {"Alpha School", "Beta School"}
    assert "Beta" in {u["familyName"] for u in client.get(f"{live_server}{API}/students").json()["users"]}


def test_school_admins_only_and_reads_are_rate_limited(make_app, world):
    assert Agent(make_app()).get("/admin/integrations/").status_int in (302, 403)
    teacher = Agent(make_app())
    teacher.sign_in(world.teacher_a.email)
    assert teacher.get("/admin/integrations/").status_int == 403
    limited = make_app(ONEROSTER_RATE_LIMIT="3 per minute")
    admin = Agent(limited)
    admin.sign_in(world.admin_a.email)
    client_id, secret = make_client(admin)
    web = limited.test_client()
    token = web.post("/ims/oneroster/token", data={"grant_type": "client_credentials"},
                     auth=(client_id, secret)).get_json()["access_token"]
    codes = [web.get(f"{API}/orgs", headers={"Authorization": f"Bearer {token}"}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


def test_a_oneroster_1_1_consumer_syncs_as_moodles_plugin_does(connected):
    """Moodle's OneRoster enrolment plugin (catalyst/moodle-enrol_oneroster) reads /ims/oneroster/v1p1 with 1.1's
    scopes: the orgs, the users changed since a date (a date alone), each school's terms, classes and
    enrollments. 1.1's shapes: a user's role and orgs, booleans as "true"/"false"; a success status."""
    _admin, base, _client, (client_id, secret) = connected
    v1p1 = f"{base}/ims/oneroster/v1p1"
    client = OAuth2Session(client_id, secret, scope="https://purl.imsglobal.org/spec/or/v1p1/scope/roster.readonly "
                           "https://purl.imsglobal.org/spec/or/v1p1/scope/roster-core.readonly")
    client.fetch_token(f"{base}/ims/oneroster/token", grant_type="client_credentials")
    orgs = client.get(f"{v1p1}/orgs").json()
    assert orgs["imsx_statusInfo"]["imsx_codeMajor"] == "success"
    school = next(o for o in orgs["orgs"] if o["type"] == "school")
    assert school["parent"]["href"].startswith(f"{v1p1}/orgs/")
    users = client.get(f"{v1p1}/users", params={"sort": "familyName", "filter": "dateLastModified>'2020-01-01'"})
    people = users.json()["users"]
    assert users.headers["X-Total-Count"] == "3"
    for user in people:
        assert user["role"] in ("student", "teacher") and user["enabledUser"] in ("true", "false")
        assert [o["sourcedId"] for o in user["orgs"]] == [school["sourcedId"]] and "roles" not in user
    terms = client.get(f"{v1p1}/schools/{school['sourcedId']}/terms").json()["academicSessions"]
    assert [t["type"] for t in terms] == ["term"] and terms[0]["parent"]["type"] == "academicSession"
    assert client.get(f"{v1p1}/terms/{terms[0]['sourcedId']}").json()["academicSession"] == terms[0]
    classes = client.get(f"{v1p1}/schools/{school['sourcedId']}/classes").json()["classes"]
    assert {c["terms"][0]["sourcedId"] for c in classes} == {terms[0]["sourcedId"]}
    assert client.get(f"{v1p1}/terms/{terms[0]['sourcedId']}/classes").json()["classes"] == classes
    enrollments = client.get(f"{v1p1}/schools/{school['sourcedId']}/enrollments").json()["enrollments"]
    assert len(enrollments) == 3 and {e["primary"] for e in enrollments} == {"true", "false"}
    one_a = next(c for c in classes if c["title"] == "1A")
    course_classes = client.get(f"{v1p1}/courses/{one_a['course']['sourcedId']}/classes").json()["classes"]
    assert course_classes == [one_a]
    in_class = client.get(f"{v1p1}/schools/{school['sourcedId']}/classes/{one_a['sourcedId']}/enrollments")
    assert {e["role"] for e in in_class.json()["enrollments"]} == {"student", "teacher"}
    inside = next(u for u in people if u["familyName"] == "Inside")
    assert client.get(f"{v1p1}/students/{inside['sourcedId']}/classes").json()["classes"] == [one_a]
    teacher = next(u for u in people if u["role"] == "teacher")
    assert client.get(f"{v1p1}/teachers/{teacher['sourcedId']}/classes").json()["classes"] == [one_a]
    assert client.get(f"{v1p1}/students/{teacher['sourcedId']}/classes").status_code == 404


def test_an_integration_needs_a_name(app, agent):
    admin = agent("admin_a")
    page = admin.submit(admin.get("/admin/integrations/"), id="integration-form", name="  ")
    assert "This field is required." in page.text and "client-secret" not in page.text
    with app.app_context():
        from roster.records import ApiClient

        assert db.session.scalar(select(db.func.count()).select_from(ApiClient)) == 0


def test_no_such_endpoint_answers_in_the_specification_payload(connected):
    _admin, base, client, _credentials = connected
    for response in (client.get(f"{base}{API}/shoes"), client.post(f"{base}{API}/users", data={})):
        assert response.status_code in (404, 405)
        assert response.json()["imsx_codeMajor"] == "failure"
