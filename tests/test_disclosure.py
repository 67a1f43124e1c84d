"""A student's data on request, and who received it: through the student's page, as a school admin does."""

import json

from sqlalchemy import select

from roster import tasks
from roster.extensions import db
from roster.records import AuditEvent


def test_a_students_data_downloads_as_json_and_as_a_readable_page_and_is_audited(app, world, agent):
    admin = agent("admin_a")
    admin.submit(admin.get(f"/admin/students/edit/?id={world.in_section.id}"), field="last_name",
                 inline={"guardians": [{"full_name": "Inside Irina", "relation": "mother", "phone": "+7 701 000 11 22",
                                        "email": "irina@example.org", "workplace": "Clinic", "position": "nurse"}]},
                 birth_date="2012-03-05", expect=(302,))
    details = admin.get(f"/admin/students/details/?id={world.in_section.id}")
    response = details.click(linkid="data-json")
    assert response.content_type == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.text)
    assert data["student"]["last_name"] == "Inside" and data["student"]["birth_date"] == "2012-03-05"
    assert data["guardians"][0]["full_name"] == "Inside Irina" and data["guardians"][0]["workplace"] == "Clinic"
    assert data["sections"] == ["1A"] and data["account"]["login"] == "pupil@alpha.example"
    assert "password_hash" not in response.text and "totp" not in response.text
    assert [e["what"] for e in data["history"]][:2] == ["student created", "student updated"]
    page = details.click(linkid="data-html")
    assert "Data held about Inside Ivan" in page.text and "Inside Irina" in page.text and "Clinic" in page.text
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "student data disclosed")).all()
        assert [(e.target_id, e.details["format"], e.actor_id) for e in events] == [
            (world.in_section.id, "json", world.admin_a.id), (world.in_section.id, "html", world.admin_a.id)]


def test_the_students_page_lists_who_received_their_data(app, world, agent):
    admin = agent("admin_a")
    page = admin.get(f"/admin/students/credentials?id={world.in_section.id}")
    page = admin.submit(page, id="credentials-form", button="change")
    admin.submit(page, id="credentials-form", expect=(302,))
    admin.get("/admin/students/export?format=csv")
    admin.get(f"/admin/students/data?id={world.in_section.id}&format=json")
    tasks.wait_for_background_work(app)
    details = admin.get(f"/admin/students/details/?id={world.in_section.id}")
    table = details.html.select_one("#disclosures").find_next("table")
    rows = [[td.get_text(strip=True) for td in tr.select("td")] for tr in table.select("tr")[1:]]
    whats = [row[2] for row in rows]
    assert whats == ["student data disclosed", "an export of the list (while they were on it)", "credentials issued"]
    assert rows[2][3] == "inside@alpha.example" and rows[0][1] == "admin@alpha.example"


def test_teachers_see_no_data_button_and_no_disclosures(app, world, agent):
    page = agent("teacher_a").get(f"/admin/students/details/?id={world.in_section.id}")
    assert page.html.select_one("#data-button") is None and page.html.select_one("#disclosures") is None

