"""OneRoster in: the public sample files (1.1 and 1.2 zips, a lone users.csv) through the one import, students
only, everyone else named as not imported; sourcedId kept as the External ID and matched first on re-import;
classes and enrollments as sections; misspelt columns named."""

from pathlib import Path

import pytest
from sqlalchemy import select

from roster.extensions import db
from roster.models import Student, User
from roster.services import importing

DATA = Path(__file__).parent / "data" / "oneroster"


def run(world, name, data=None, *, dry_run=False):
    data = data if data is not None else (DATA / name).read_bytes()
    dataset = importing.read_file(data, name)
    return importing.import_students(dataset, world.school_a.id, dry_run=dry_run,
                                     actor=db.session.get(User, world.admin_a.id), file_name=name)


def students_of(world):
    return {s.external_id: s for s in db.session.scalars(select(Student).where(
        Student.school_id == world.school_a.id, Student.external_id.is_not(None)))}


def member(zip_name, file_name) -> bytes:
    import zipfile

    with zipfile.ZipFile(DATA / zip_name) as archive:
        return archive.read(file_name)


def in_america(world):
    """The samples' phones are American (603: New Hampshire): the school's country reads them."""
    from roster.models import School

    db.session.get(School, world.school_a.id).country = "US"
    db.session.commit()


def test_a_oneroster_1_1_zip_imports_its_students_and_names_everyone_else(ctx, world):
    in_america(world)
    result = run(world, "Test_full_data_set.zip")
    assert sorted(result.not_imported) == [("Doe John", "teacher"), ("Jones Thomas", "parent"),
                                           ("Smith Jim", "teacher")]
    # A deliberate error of the sample: mmichel Jones's phone 60312323567 is one digit too long. The row says so,
    # with users.csv's own row number; Mary Jones and Anna Brown are imported.
    rows = {r.number: (r.status, r.errors[0][0] if r.errors else "") for r in result.rows if r.values}
    assert rows == {3: ("new", ""), 6: ("error", "Phone"), 7: ("new", "")}, rows
    mary = students_of(world)["usr-222-66778899"]
    assert (mary.last_name, mary.first_name, mary.middle_name, mary.email, mary.personal_file_number,
            mary.username) == ("Jones", "Mary", "Jane", "mary.jones@myschool.com", "mary.jones", "mary.jones")
    again = run(world, "Test_full_data_set.zip")  # the same file again: matched by sourcedId, nothing changes
    assert (again.totals["unchanged"], again.totals["new"], again.totals["error"]) == (2, 0, 1)


def test_a_oneroster_1_2_zip_reads_roles_demographics_and_classes(ctx, world):
    in_america(world)
    result = run(world, "oneroster_test_data.zip")
    assert result.totals["new"] == 1, [r.errors for r in result.rows]
    bruce = students_of(world)["USER_0"]
    assert (bruce.last_name, bruce.first_name, bruce.personal_file_number, bruce.birth_date.isoformat()) == (
        "Wayne", "Bruce", "bruce.wayne", "2010-04-17")
    assert [s.name for s in bruce.sections] == ["Basic Detection"]
    full = run(world, "v1p2_full_dataset.zip")  # 1.2's users.csv has no role column: roles.csv says who
    assert {r.values["external_id"]: r.status for r in full.rows if r.values} == {
        "usr-222-66778899": "new", "usr-222-1234561232": "error", "usr-222-567891": "new"}  # a phone, as in 1.1
    assert {reason for _name, reason in full.not_imported} >= {"teacher", "siteAdministrator"}


def test_a_lone_users_csv_of_oneroster_1_1(ctx, world):
    result = run(world, "users.csv", member("Test_minimal_data_set.zip", "users.csv"))
    assert sorted(s.first_name for s in students_of(world).values()) == ["Anna", "Mary", "mmichel"]
    assert len(result.not_imported) == 3
    assert [r.number for r in result.rows if r.status == "new"] == [3, 6, 7]  # users.csv's own row numbers


@pytest.mark.parametrize("header, named", [
    (b"sourcedId,role,givenNme,familyName\n", "givenName (is “givenNme” it, misspelt?)"),
    (b"sourcedId,givenName,familyName\n", "role"),
])
def test_missing_or_misspelt_columns_are_named(ctx, world, header, named):
    with pytest.raises(importing.FileNotAccepted) as refused:
        run(world, "users.csv", header + b"u1,student,Ann,Lee\n")
    assert named in str(refused.value)


def test_metadata_columns_naming_roster_fields_are_read(ctx, world):
    data = (b"sourcedId,role,givenName,familyName,metadata.roster.birth_date,metadata.is_inclusive\n"
            b"u1,student,Ann,Lee,2012-05-06,yes\n")
    run(world, "users.csv", data)
    ann = students_of(world)["u1"]
    assert (ann.birth_date.isoformat(), ann.is_inclusive) == ("2012-05-06", True)


def test_the_job_page_names_who_was_not_imported(app, agent, world):
    with app.app_context():
        in_america(world)
    admin = agent("admin_a")
    page = admin.upload_import("Test_full_data_set.zip", (DATA / "Test_full_data_set.zip").read_bytes())
    text = page.html.select_one("#not-imported").get_text(" ", strip=True)
    assert "teachers: 2 — Doe John, Smith Jim" in text and "parents: 1 — Jones Thomas" in text
    done = admin.confirm_import(page)
    assert done.html.select_one("#job-status").text.strip() == "Completed with errors"  # the sample's phone
    assert "Phone" in done.html.select_one("#import-errors").text


def test_credentials_offer_the_oneroster_username_as_the_login(app, agent, world):
    data = b"sourcedId,role,username,givenName,familyName,email\nu7,student,ann.lee,Ann,Lee,ann@example.org\n"
    with app.app_context():
        run(world, "users.csv", data)
        ann = students_of(world)["u7"]
    page = agent("admin_a").get(f"/admin/students/credentials?id={ann.id}")
    assert page.html.select_one("#login")["value"] == "ann.lee"


def test_the_list_filters_by_the_external_id_as_typed(app, agent, world):
    from tests.helpers import filter_arg

    data = b"sourcedId,role,givenName,familyName\nabc-1,student,Ann,Lee\nabc-2,student,Bob,Kim\n"
    with app.app_context():
        run(world, "users.csv", data)
    admin = agent("admin_a")
    by_external = filter_arg(admin.get("/admin/students/").text, "External ID")
    found = admin.get(f"/admin/students/?{by_external}=abc-2")
    assert [a.get_text() for a in found.html.select("td.col-full_name .row-name a")] == ["Kim Bob"]


def test_send_credentials_gives_the_oneroster_username_as_the_login(app, agent, world):
    """Students → tick → Send credentials: a child's OneRoster username is their login, unless an account has it
    already (then their email, as for everyone else)."""
    from tests.agent import follow

    data = (b"sourcedId,role,username,givenName,familyName,email\n"
            b"u7,student,ann.lee,Ann,Lee,ann@example.org\n"
            b"u8,student,teacher@alpha.example,Bob,Kim,bob@example.org\n")
    with app.app_context():
        run(world, "users.csv", data)
        ids = [s.id for s in students_of(world).values()]
    admin = agent("admin_a")
    page = follow(admin.bulk_action(admin.get("/admin/students/"), "send_credentials", ids)).text
    assert "Credentials sent to 2 students." in page
    with app.app_context():
        logins = {s.external_id: s.user.login for s in students_of(world).values()}
    assert logins == {"u7": "ann.lee", "u8": "bob@example.org"}


def test_a_school_data_sync_v2_1_zip(ctx, world):
    """Microsoft's SDS v2.1 sample (OneRoster-based): its students imported with their classes and dates of
    birth; the professor, the teacher and the users with no role (guardians, in its relationships.csv) not."""
    in_america(world)
    result = run(world, "sds_v2.1.zip")
    assert sorted(result.not_imported) == [("Craig Jean", "no role"), ("Fein Kristen", "teacher"),
                                           ("Jonzer Jason", "professor"), ("Smithee Bob", "no role")]
    found = students_of(world)
    assert sorted(s.full_name for s in found.values()) == ["Craig Jack", "Hutch Fred", "Miller Simon",
                                                           "Smithee Alice"]
    jack = found["114001"]
    assert str(jack.birth_date) == "2001-07-02" and jack.gender == "male"
    assert jack.username == "jcraig@classrmtest31.org"
    assert [s.name for s in jack.sections] == ["Biology 10"]
    assert [s.name for s in found["114008"].sections] == ["Computer Science 101"]


def test_a_zip_of_several_schools_gives_this_schools_part(app, agent, world):
    """SDS's sample holds a school and a college; a Roster school of the same name as its school takes that
    school's students and classes (through the Import page), and names the college's student as of another
    school."""
    with app.app_context():
        from roster.models import School

        school = db.session.get(School, world.school_a.id)
        school.name, school.country = "School of TwoDotOne", "US"
        db.session.commit()
    admin = agent("admin_a")
    page = admin.upload_import("sds_v2.1.zip", (DATA / "sds_v2.1.zip").read_bytes())
    assert "of the file's other schools: 2 — Jonzer Jason, Miller Simon" in page.html.select_one("#not-imported").text
    admin.confirm_import(page)
    with app.app_context():
        found = students_of(world)
        assert sorted(s.full_name for s in found.values()) == ["Craig Jack", "Hutch Fred", "Smithee Alice"]
        assert [s.name for s in found["114001"].sections] == ["Biology 10"]


def test_a_disabled_user_is_not_imported(ctx, world):
    data = (b"sourcedId,enabledUser,role,givenName,familyName\n"
            b"u1,true,student,Ann,Lee\nu2,FALSE,student,Bob,Kim\n")
    result = run(world, "users.csv", data)
    assert result.not_imported == [("Kim Bob", "disabled")]
    assert sorted(students_of(world)) == ["u1"]


@pytest.mark.parametrize("choice, field, value", [("national_id", "national_id", "871008401427"),
                                                  ("none", "personal_file_number", None)])
def test_the_school_chooses_where_the_identifier_goes(app, agent, world, choice, field, value):
    """Import → Add: "A OneRoster file's identifier is the student's" National ID (an IIN here: checked, and
    its birth date taken), or not imported; the personal file number is the default (the tests above)."""
    data = b"sourcedId,role,givenName,familyName,identifier\nu1,student,Aru,Sultan,871008401427\n"
    admin = agent("admin_a")
    page = admin.get("/admin/imports/new")
    assert page.html.select_one("#identifier option[selected]")["value"] == "personal_file_number"
    job = admin._after_background_work(admin.submit(page, id="upload-form", upload=("file", "users.csv", data),
                                                    identifier=choice, expect=(302,)))
    admin.confirm_import(job)
    with app.app_context():
        aru = students_of(world)["u1"]
        assert getattr(aru, field) == value and aru.personal_file_number is None
