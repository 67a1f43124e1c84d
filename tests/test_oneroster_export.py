"""OneRoster out (the zip): Students → Export → OneRoster 1.2, through the page's own link and form; every file
checked against the specification's columns, required values and formats; filters, scoping, formula guard,
audit; and the round trip into an empty school."""

import csv
import io
import re
import zipfile
from datetime import date

import pytest
from sqlalchemy import select

from roster.extensions import db
from roster.models import Student
from roster.records import AuditEvent
from tests import factories
from tests.agent import Agent, find_form
from tests.helpers import filter_arg

# OneRoster v1.2 CSV binding (1EdTech), written out here apart from the code: each file's columns in order,
# those that must hold a value, and the enumerations of the columns Roster fills.
SPEC = {
    "manifest.csv": (["propertyName", "value"], ["propertyName", "value"]),
    "orgs.csv": (["sourcedId", "status", "dateLastModified", "name", "type", "identifier", "parentSourcedId"],
                 ["sourcedId", "name", "type"]),
    "academicSessions.csv": (["sourcedId", "status", "dateLastModified", "title", "type", "startDate", "endDate",
                              "parentSourcedId", "schoolYear"],
                             ["sourcedId", "title", "type", "startDate", "endDate", "schoolYear"]),
    "courses.csv": (["sourcedId", "status", "dateLastModified", "schoolYearSourcedId", "title", "courseCode",
                     "grades", "orgSourcedId", "subjects", "subjectCodes"], ["sourcedId", "title", "orgSourcedId"]),
    "classes.csv": (["sourcedId", "status", "dateLastModified", "title", "grades", "courseSourcedId", "classCode",
                     "classType", "location", "schoolSourcedId", "termSourcedIds", "subjects", "subjectCodes",
                     "periods"],
                    ["sourcedId", "title", "courseSourcedId", "classType", "schoolSourcedId", "termSourcedIds"]),
    "users.csv": (["sourcedId", "status", "dateLastModified", "enabledUser", "username", "userIds", "givenName",
                   "familyName", "middleName", "identifier", "email", "sms", "phone", "agentSourcedIds", "grades",
                   "password", "userMasterIdentifier", "resourceSourcedIds", "preferredGivenName",
                   "preferredMiddleName", "preferredFamilyName", "primaryOrgSourcedId", "pronouns"],
                  ["sourcedId", "enabledUser", "givenName", "familyName"]),
    "roles.csv": (["sourcedId", "status", "dateLastModified", "userSourcedId", "roleType", "role", "beginDate",
                   "endDate", "orgSourcedId", "userProfileSourcedId"],
                  ["sourcedId", "userSourcedId", "roleType", "role", "orgSourcedId"]),
    "enrollments.csv": (["sourcedId", "status", "dateLastModified", "classSourcedId", "schoolSourcedId",
                         "userSourcedId", "role", "primary", "beginDate", "endDate"],
                        ["sourcedId", "classSourcedId", "schoolSourcedId", "userSourcedId", "role"]),
    "demographics.csv": (["sourcedId", "status", "dateLastModified", "birthDate", "sex",
                          "americanIndianOrAlaskaNative", "asian", "blackOrAfricanAmerican",
                          "nativeHawaiianOrOtherPacificIslander", "white", "demographicRaceTwoOrMoreRaces",
                          "hispanicOrLatinoEthnicity", "countryOfBirthCode", "stateOfBirthAbbreviation",
                          "cityOfBirth", "publicSchoolResidenceStatus"], ["sourcedId"]),
}
ENUMS = {
    ("orgs.csv", "type"): {"department", "school", "district", "local", "state", "national"},
    ("academicSessions.csv", "type"): {"gradingPeriod", "semester", "schoolYear", "term"},
    ("classes.csv", "classType"): {"homeroom", "scheduled"},
    ("users.csv", "enabledUser"): {"true", "false"},
    ("roles.csv", "roleType"): {"primary", "secondary"},
    ("roles.csv", "role"): {"aide", "counselor", "districtAdministrator", "guardian", "parent", "principal",
                            "proctor", "relative", "siteAdministrator", "student", "systemAdministrator", "teacher"},
    ("enrollments.csv", "role"): {"administrator", "proctor", "student", "teacher"},
    ("enrollments.csv", "primary"): {"", "true", "false"},
    ("demographics.csv", "sex"): {"", "male", "female", "unspecified", "other"},
    ("manifest.csv", "value"): None,  # checked below by property
}
GUID_SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]*")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
DATE_COLUMNS = {"startDate", "endDate", "beginDate", "birthDate"}
REFERENCES = {  # a column naming a record of another file: that record is there
    ("orgs.csv", "parentSourcedId"): "orgs.csv", ("courses.csv", "schoolYearSourcedId"): "academicSessions.csv",
    ("courses.csv", "orgSourcedId"): "orgs.csv", ("classes.csv", "courseSourcedId"): "courses.csv",
    ("classes.csv", "schoolSourcedId"): "orgs.csv", ("classes.csv", "termSourcedIds"): "academicSessions.csv",
    ("users.csv", "primaryOrgSourcedId"): "orgs.csv", ("roles.csv", "userSourcedId"): "users.csv",
    ("roles.csv", "orgSourcedId"): "orgs.csv", ("enrollments.csv", "classSourcedId"): "classes.csv",
    ("enrollments.csv", "schoolSourcedId"): "orgs.csv", ("enrollments.csv", "userSourcedId"): "users.csv",
    ("demographics.csv", "sourcedId"): "users.csv",
}


def unzip(body: bytes) -> dict[str, list[dict]]:
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        assert archive.testzip() is None
        files = {}
        for name in archive.namelist():
            text = archive.read(name).decode("utf-8")
            assert not text.startswith("\ufeff"), name
            reader = csv.reader(io.StringIO(text))
            header = next(reader)
            files[name] = {"header": header, "rows": [dict(zip(header, row, strict=True)) for row in reader]}
        return files


def check_against_spec(files: dict) -> None:
    """Every file: the specification's columns in order (then metadata.* columns), required values present,
    sourcedIds GUID-safe and unique, ISO dates, enumerations, references that resolve, a manifest that says
    which files are there."""
    manifest = {row["propertyName"]: row["value"] for row in files["manifest.csv"]["rows"]}
    assert manifest["manifest.version"] == "1.0" and manifest["oneroster.version"] == "1.2"
    for name, file in files.items():
        columns, required = SPEC[name]
        assert file["header"][:len(columns)] == columns, name
        assert all(h.startswith("metadata.") for h in file["header"][len(columns):]), name
        if name != "manifest.csv":
            assert manifest[f"file.{name.removesuffix('.csv')}"] == "bulk"
            ids = [row["sourcedId"] for row in file["rows"]]
            assert len(ids) == len(set(ids)), f"{name}: sourcedIds repeat"
        for n, row in enumerate(file["rows"], 2):
            for column in required:
                assert row[column].strip(), f"{name} row {n}: {column} is required"
            for column, value in row.items():
                if column == "sourcedId" or column.endswith("SourcedId") or column.endswith("SourcedIds"):
                    for part in filter(None, value.split(",")):
                        assert GUID_SAFE.fullmatch(part), f"{name} row {n}: {column} {value!r}"
                if column in DATE_COLUMNS and value:
                    assert ISO_DATE.fullmatch(value) and date.fromisoformat(value), f"{name}: {column} {value!r}"
                if (allowed := ENUMS.get((name, column))) is not None:
                    assert value in allowed, f"{name} row {n}: {column} {value!r}"
            assert row.get("status", "") == "" and row.get("dateLastModified", "") == ""  # bulk: left empty
            if name == "academicSessions.csv":
                assert re.fullmatch(r"\d{4}", row["schoolYear"])
    for name in SPEC:
        if name != "manifest.csv" and name not in files:
            assert manifest[f"file.{name.removesuffix('.csv')}"] == "absent"
    assert {k.removeprefix("file.") for k in manifest if k.startswith("file.")} >= {
        n.removesuffix(".csv") for n in SPEC if n != "manifest.csv"}
    for (name, column), target in REFERENCES.items():
        if name not in files:
            continue
        known = {row["sourcedId"] for row in files[target]["rows"]}
        for row in files[name]["rows"]:
            for part in filter(None, row[column].split(",")):
                assert part in known, f"{name}: {column} {part} is not in {target}"


def download(admin, list_url="/admin/students/", **ticks):
    """Students → Export → OneRoster 1.2 (zip) → tick → Download zip: the zip's files."""
    page = admin.get(list_url)
    options = page.click(linkid="export-oneroster")
    assert options.status_int == 200
    form = find_form(options, id="oneroster-form")
    for name, value in ticks.items():
        if name == "metadata":
            for checkbox in form.fields["metadata"]:
                checkbox.checked = checkbox._value in value
        else:
            form[name].checked = bool(value)
    response = form.submit()
    assert response.status_int == 200, response.text[:500]
    assert response.content_type == "application/zip"
    assert re.match(r'attachment; filename="alpha-school-oneroster-\d{4}-\d{2}-\d{2}\.zip"',
                    response.headers["Content-Disposition"])
    return unzip(response.body)


@pytest.fixture
def richer(app, world):
    with app.app_context():
        factories.student(world.school_a, world.admin_a, last_name="=HYPERLINK(\"x\")", first_name="Eve",
                          email="eve@example.org", birth_date=date(2012, 5, 1), gender="female",
                          phone="+7 701 000 00 00", personal_file_number="F-7", external_id="sis-eve-1",
                          is_inclusive=True, tag_ids=[world.tag_a.id], section_ids=[world.section_a1.id])


def test_export_as_oneroster_meets_the_specification(agent, world, richer):
    admin = agent("admin_a")
    files = download(admin, demographics=True, metadata=["is_inclusive", "tags"])
    check_against_spec(files)
    assert set(files) == {"manifest.csv", "orgs.csv", "academicSessions.csv", "courses.csv", "classes.csv",
                          "users.csv", "roles.csv", "enrollments.csv", "demographics.csv"}
    users = {row["familyName"]: row for row in files["users.csv"]["rows"]}
    # The students of the list and the teacher of their sections; Beta School's student is not there.
    assert [row["email"] for row in files["users.csv"]["rows"]][-1] == "teacher@alpha.example"
    assert set(users) - {users_teacher_name(files)} == {"Inside", "Outside", "'=HYPERLINK(\"x\")"}
    eve = users["'=HYPERLINK(\"x\")"]  # the formula guard
    assert eve["sourcedId"] == "sis-eve-1" and eve["givenName"] == "Eve" and eve["email"] == "eve@example.org"
    assert eve["phone"] == "+77010000000" and eve["identifier"] == "F-7" and eve["enabledUser"] == "true"
    assert eve["metadata.roster.is_inclusive"] == "Yes" and eve["metadata.roster.tags"] == "Choir"
    assert sorted(files["users.csv"]["header"][-2:]) == ["metadata.roster.is_inclusive", "metadata.roster.tags"]
    inside = users["Inside"]
    assert inside["username"] == "pupil@alpha.example"  # the login of the student's account
    demographics = {row["sourcedId"]: row for row in files["demographics.csv"]["rows"]}
    assert demographics["sis-eve-1"]["birthDate"] == "2012-05-01" and demographics["sis-eve-1"]["sex"] == "female"
    roles = {(row["userSourcedId"], row["role"]) for row in files["roles.csv"]["rows"]}
    teacher = next(row for row in files["users.csv"]["rows"] if row["email"] == "teacher@alpha.example")
    assert (teacher["sourcedId"], "teacher") in roles and ("sis-eve-1", "student") in roles
    classes = {row["sourcedId"]: row["title"] for row in files["classes.csv"]["rows"]}
    assert sorted(classes.values()) == ["1A", "2A"]
    enrolled = {(classes[row["classSourcedId"]], row["userSourcedId"], row["role"])
                for row in files["enrollments.csv"]["rows"]}
    assert enrolled == {("1A", "sis-eve-1", "student"), ("1A", inside["sourcedId"], "student"),
                        ("2A", users["Outside"]["sourcedId"], "student"), ("1A", teacher["sourcedId"], "teacher")}
    orgs = {row["type"]: row for row in files["orgs.csv"]["rows"]}
    assert orgs["school"]["name"] == "Alpha School"
    assert orgs["school"]["parentSourcedId"] == orgs["district"]["sourcedId"]
    session = files["academicSessions.csv"]["rows"][0]
    assert session["type"] == "schoolYear"
    # The same records have the same sourcedIds in the next export.
    again = download(admin)
    assert {r["sourcedId"] for r in again["users.csv"]["rows"]} == {r["sourcedId"] for r in files["users.csv"]["rows"]}
    assert "demographics.csv" not in again and "metadata.roster.tags" not in again["users.csv"]["header"]
    check_against_spec(again)
    with admin.app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "students exported")).all()
        assert [e.details["format"] for e in events] == ["oneroster", "oneroster"]
        assert events[0].details["rows"] == 3 and events[0].details["demographics"] is True


def users_teacher_name(files):
    return next(row["familyName"] for row in files["users.csv"]["rows"] if row["email"] == "teacher@alpha.example")


def test_the_export_follows_the_list_filters(agent, world, richer):
    admin = agent("admin_a")
    sections = filter_arg(admin.get("/admin/students/").text, "Sections")
    files = download(admin, f"/admin/students/?{sections}={world.section_a2.id}")
    check_against_spec(files)
    students = [row["familyName"] for row in files["users.csv"]["rows"]]
    assert students == ["Outside"]  # 2A has no teacher: no teacher goes out
    assert [row["title"] for row in files["classes.csv"]["rows"]] == ["2A"]


def test_only_those_who_may_export_do(agent, world):
    assert agent("teacher_a").get("/admin/students/export/oneroster").status_int == 403
    admin = agent("admin_a")
    assert admin.get("/admin/students/export/oneroster?download=1&metadata=password_hash").status_int == 400
    page = admin.get("/admin/students/export/oneroster")
    assert "metadata-national_id" in page.text and "metadata-programs" in page.text  # any column of the list
    assert "metadata-email" not in page.text  # OneRoster's own columns carry it


def test_round_trip_into_an_empty_school(app, agent, world, richer):
    files_zip = agent("admin_a")
    page = files_zip.get("/admin/students/export/oneroster")
    response = find_form(page, id="oneroster-form").submit()
    body = response.body
    with app.app_context():
        gamma = factories.school("Gamma School", db.session.get(factories.User, world.platform.id))
        factories.staff(gamma, "admin@gamma.example", "admin", db.session.get(factories.User, world.platform.id))
        db.session.commit()
        gamma_id = gamma.id
        before = {(s.last_name, s.first_name, s.email, s.personal_file_number, tuple(x.name for x in s.sections))
                  for s in db.session.scalars(select(Student).where(Student.school_id == world.school_a.id))}
    admin = Agent(app)
    admin.sign_in("admin@gamma.example")
    job = admin.upload_import("alpha-oneroster.zip", body)
    assert job.html.select_one("#total-new").text == "3" and job.html.select_one("#total-error").text == "0"
    done = admin.confirm_import(job)
    assert done.status_int == 200
    with app.app_context():
        after = db.session.scalars(select(Student).where(Student.school_id == gamma_id)).all()
        assert {(s.last_name, s.first_name, s.email, s.personal_file_number, tuple(x.name for x in s.sections))
                for s in after} == before
        assert all(s.external_id for s in after)
    # Imported again: nothing changes (matched by sourcedId).
    again = admin.confirm_import(admin.upload_import("alpha-oneroster.zip", body))
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Student).where(Student.school_id == gamma_id)) == 3
    assert again.html.select_one("#total-unchanged").text == "3"  # matched by their sourcedIds


def test_the_schools_own_export_imports_back_into_it_unchanged(app, agent, world, richer):
    """Its students are found by their sourcedIds (an External ID, or the UUID Roster made for them): nobody is
    written twice, and a second import changes nothing."""
    admin = agent("admin_a")
    body = find_form(admin.get("/admin/students/export/oneroster"), id="oneroster-form").submit().body
    with app.app_context():
        before = db.session.scalar(select(db.func.count()).select_from(Student))
    first = admin.upload_import("alpha.zip", body)
    assert "Ready to confirm" in first.html.select_one("#job-status").text
    assert first.html.select_one("#total-new").text == "0" and first.html.select_one("#total-error").text == "0"
    admin.confirm_import(first)
    second = admin.upload_import("alpha.zip", body)
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Student)) == before
    assert second.html.select_one("#total-unchanged").text == "3"


def test_sourced_ids_are_the_uuids_they_were(app):
    """sourcedIds are written from their 16 bytes (an export makes 400,000): each is the text uuid.UUID gives
    those bytes, a version 8 UUID, and parse() reads the ids back, one-id kinds and pairs, at the edges too."""
    import random
    import uuid

    from roster.services.oneroster import spec

    rng = random.Random(5)
    with app.app_context():
        cases = [("student", (0,)), ("student", (2**64 - 1,)), ("enrollment", (0, 2**32 - 1))]
        for _ in range(5000):
            kind = rng.choice(["student", "section", "user", *spec.PAIRS])
            cases.append((kind, (rng.randrange(2**32), rng.randrange(2**32)) if kind in spec.PAIRS
                          else (rng.randrange(2**63),)))
        for kind, ids in cases:
            text = spec.sourced_id(kind, *ids)
            assert text == str(uuid.UUID(text)) and uuid.UUID(text).version == 8, text
            assert spec.sourced_ids(kind)(*ids) == text and spec.parse(text, kind) == ids, (kind, ids)
