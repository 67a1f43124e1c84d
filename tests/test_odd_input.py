"""Odd ids and filter values, as a careless user or an attacker types them: a clear answer, never a 500."""

import pytest
from sqlalchemy import func, select

from roster.extensions import db
from roster.models import AuditEvent, Invitation, MailMessage, MailStatus, Membership, Student
from tests.agent import follow

BIG = "99999999999999999999999"  # beyond 64 bits


@pytest.mark.parametrize("url", [
    f"/admin/students/details/?id={BIG}", f"/admin/students/edit/?id={BIG}",
    f"/admin/students/credentials?id={BIG}", f"/admin/students/change-email?id={BIG}",
    f"/admin/imports/{BIG}", f"/admin/imports/{BIG}/progress", f"/admin/imports/{BIG}/failed.csv",
    f"/admin/mail_log/details/?id={BIG}", f"/admin/invitations/details/?id={BIG}",
    f"/admin/audit_log/details/?id={BIG}", f"/admin/sections/edit/?id={BIG}",
    f"/admin/schools/details/?id={BIG}", f"/admin/schools/edit/?id={BIG}",
    "/admin/students/details/?id=abc", "/admin/students/details/?id=1.5", "/admin/students/details/?id=-1",
    "/admin/students/details/?id=", "/admin/schools/details/?id=%E2%91%A0",
])
def test_an_id_that_is_no_record_is_not_found(agent, url):
    response = agent("platform").get(url)
    assert response.status_int == 404, response.text[:500]
    assert "No such" in response.text or "Not Found" in response.text or "not found" in response.text.lower()


@pytest.mark.parametrize("path", ["/admin/students/activate", "/admin/students/delete/"])
@pytest.mark.parametrize("bad", ["abc", "1.5", BIG, ""])
def test_a_row_button_with_an_odd_id_is_not_found(app, as_role, world, path, bad):
    response = as_role("admin_a").post(path, {"id": bad})  # forged: no row renders such an id
    assert response.status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count(Student.id))) == 3


@pytest.mark.parametrize(("list_url", "action"), [
    ("/admin/students/", "delete"), ("/admin/students/", "activate"), ("/admin/students/", "send_credentials"),
    ("/admin/students/", "export"), ("/admin/invitations/", "revoke"), ("/admin/invitations/", "resend"),
    ("/admin/mail_log/", "resend"), ("/admin/staff/", "delete"),
])
@pytest.mark.parametrize("bad", ["abc", "1.5", BIG, ""])
def test_a_bulk_action_with_ids_not_understood_says_so_and_changes_nothing(app, as_role, world, list_url,
                                                                          action, bad):
    with app.app_context():
        before = [db.session.scalar(select(func.count()).select_from(m))
                  for m in (Student, Invitation, MailMessage, Membership, AuditEvent)]
    admin = as_role("admin_a")
    # Forged: the page's checkboxes only ever hold real ids; a real one rides along and is not touched either.
    response = admin.post(list_url.rstrip("/") + "/action/",
                          {"action": action, "rowid": [str(world.out_section.id), bad], "url": list_url})
    assert response.status_code == 302
    page = admin.get(response.location).get_data(as_text=True)
    assert "Nothing was changed: these row ids were not understood" in page
    with app.app_context():
        after = [db.session.scalar(select(func.count()).select_from(m))
                 for m in (Student, Invitation, MailMessage, Membership, AuditEvent)]
        assert after == before
        assert db.session.get(Student, world.out_section.id).user_id is None


def test_the_audit_log_filters_by_who(agent, world):
    admin = agent("admin_a")
    admin.submit(admin.get("/admin/students/new/"), field="last_name", last_name="Logged", first_name="Lena",
                 expect=(302,))
    for value, found in (("admin", True), ("ADMIN@ALPHA", True), ("nobody-such", False), ("%", False)):
        page = admin.get("/admin/audit_log/", params={"flt0_1": value})
        assert page.status_int == 200
        assert ("student created" in page.text) is found, value


def test_the_school_switcher_with_an_odd_school_is_not_found(as_role):
    for bad in ("abc", BIG, ""):
        assert as_role("platform").post("/admin/school", {"school_id": bad}).status_code == 404  # forged


def test_a_mail_log_resend_with_a_real_id_still_works(app, agent, world):
    with app.app_context():
        mail = MailMessage(school_id=world.school_a.id, kind="test", to_address="x@pupil.example", subject="S",
                           body_text="B", status=MailStatus.FAILED.value, attempts=3)
        db.session.add(mail)
        db.session.commit()
        mail_id = mail.id
    admin = agent("admin_a")
    page = follow(admin.bulk_action(admin.get("/admin/mail_log/"), "resend", [mail_id]))
    assert "not understood" not in page.text
