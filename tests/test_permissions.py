"""The permission table of design.md: every role against every admin endpoint, with two schools."""

import io
import json
from datetime import date

import pytest
from sqlalchemy import func, select

from roster import tasks
from roster.extensions import db
from roster.models import Guardian, Invitation, Membership, School, Section, Student, User
from roster.records import AuditEvent, BulkJob, ImportJob, MailMessage
from roster.services import importing, invitations, year_close, years
from tests.helpers import school_records

ROLES = ["anonymous", "student_user", "teacher_a", "admin_a", "admin_b", "platform"]
# What each role gets. "ok+" and "found+": 200 or a redirect, and the data changed; "found": a redirect and
# nothing changed; 403 and 404: refused, and nothing changed; "sign-in": sent to sign in, nothing changed.
OK, OK_CHANGED, FOUND, CHANGED, DENIED, MISSING, SIGN_IN = "ok", "ok+", "found", "found+", 403, 404, "sign-in"
STAFF_ONLY = [SIGN_IN, DENIED, DENIED, OK, OK, OK]
PLATFORM_ONLY = [SIGN_IN, DENIED, DENIED, DENIED, DENIED, OK]
CSV = b"Last name,First name\nNew,Pupil\n"


def student_form(first_name="Changed"):
    return {"last_name": "Inside", "first_name": first_name, "gender": ""}


# name: (method, url, form data, expected per role in ROLES order). The platform admin acts in Alpha School
# (the first by name), admin_b in Beta School; {in_section} is Alpha's student in teacher_a's section.
CASES = {
    # The Students list, details, add, edit, delete.
    "list": ("GET", "/admin/students/", None, [SIGN_IN, DENIED, OK, OK, OK, OK]),
    "details, teacher's student": ("GET", "/admin/students/details/?id={in_section}", None,
                                   [SIGN_IN, DENIED, OK, OK, MISSING, OK]),
    "details, other section": ("GET", "/admin/students/details/?id={out_section}", None,
                               [SIGN_IN, DENIED, MISSING, OK, MISSING, OK]),
    "details, other school": ("GET", "/admin/students/details/?id={b_student}", None,
                              [SIGN_IN, DENIED, MISSING, MISSING, OK, MISSING]),
    "create form": ("GET", "/admin/students/new/", None, [SIGN_IN, DENIED, DENIED, OK, OK, OK]),
    "create": ("POST", "/admin/students/new/", {"last_name": "New", "first_name": "One"},
               [SIGN_IN, DENIED, DENIED, CHANGED, CHANGED, CHANGED]),
    "edit form": ("GET", "/admin/students/edit/?id={in_section}", None,
                  [SIGN_IN, DENIED, DENIED, OK, MISSING, OK]),
    "edit": ("POST", "/admin/students/edit/?id={in_section}", student_form(),
             [SIGN_IN, DENIED, DENIED, CHANGED, MISSING, CHANGED]),
    "delete": ("POST", "/admin/students/delete/", {"id": "{in_section}"},
               [SIGN_IN, DENIED, DENIED, CHANGED, MISSING, CHANGED]),
    "bulk delete": ("POST", "/admin/students/action/", {"action": "delete", "rowid": "{in_section}"},
                    [SIGN_IN, DENIED, DENIED, CHANGED, MISSING, CHANGED]),
    "tag lookup": ("GET", "/admin/students/ajax/lookup/?name=tags&query=", None,
                   [SIGN_IN, DENIED, DENIED, OK, OK, OK]),
    "columns": ("POST", "/admin/students/columns", {"column": "email"}, [SIGN_IN, DENIED, FOUND, FOUND, FOUND, FOUND]),
    "switch to school B": ("POST", "/admin/school", {"school_id": "{school_b}"},
                           [SIGN_IN, DENIED, MISSING, MISSING, FOUND, FOUND]),
    # Row and bulk actions.
    "activate": ("POST", "/admin/students/activate", {"id": "{in_section}"},
                 [SIGN_IN, DENIED, DENIED, CHANGED, MISSING, CHANGED]),
    "bulk activate": ("POST", "/admin/students/action/", {"action": "activate", "rowid": "{in_section}"},
                      [SIGN_IN, DENIED, DENIED, CHANGED, FOUND, CHANGED]),
    "change email form": ("GET", "/admin/students/change-email?id={in_section}", None,
                          [SIGN_IN, DENIED, DENIED, OK, MISSING, OK]),
    "change email": ("POST", "/admin/students/change-email?id={in_section}",
                     {"new_email": "moved@example.org", "confirm_email": "moved@example.org"},
                     [SIGN_IN, DENIED, DENIED, CHANGED, MISSING, CHANGED]),
    "credentials form": ("GET", "/admin/students/credentials?id={in_section}", None,
                         [SIGN_IN, DENIED, OK, OK, MISSING, OK]),
    "credentials form, other section": ("GET", "/admin/students/credentials?id={out_section}", None,
                                        [SIGN_IN, DENIED, MISSING, OK, MISSING, OK]),
    "credentials": ("POST", "/admin/students/credentials?id={in_section}",
                    {"login": "", "email": "inside@alpha.example", "password": "p" * 14},
                    [SIGN_IN, DENIED, CHANGED, CHANGED, MISSING, CHANGED]),
    "bulk send credentials": ("POST", "/admin/students/action/", {"action": "send_credentials",
                                                                  "rowid": "{in_section}"},
                              [SIGN_IN, DENIED, CHANGED, CHANGED, FOUND, CHANGED]),
    "export": ("GET", "/admin/students/export?format=csv", None, [SIGN_IN, DENIED, DENIED, OK_CHANGED, OK_CHANGED,
                                                                  OK_CHANGED]),
    "bulk export": ("POST", "/admin/students/action/", {"action": "export", "rowid": "{in_section}"},
                    [SIGN_IN, DENIED, DENIED, OK_CHANGED, OK_CHANGED, OK_CHANGED]),
    # Leave and Return (a child's way through the school).
    "leave form": ("GET", "/admin/students/leave?id={in_section}", None, [SIGN_IN, DENIED, DENIED, OK, MISSING, OK]),
    "leave": ("POST", "/admin/students/leave", {"id": "{in_section}", "date": "{today}", "reason": "other"},
              [SIGN_IN, DENIED, DENIED, CHANGED, MISSING, CHANGED]),
    "leave, other school": ("POST", "/admin/students/leave", {"id": "{b_student}", "date": "{today}",
                                                              "reason": "other"},
                            [SIGN_IN, DENIED, DENIED, MISSING, CHANGED, MISSING]),
    "bulk leave": ("POST", "/admin/students/action/", {"action": "leave", "rowid": "{in_section}"},
                   [SIGN_IN, DENIED, DENIED, FOUND, FOUND, FOUND]),  # to the Leave form: nothing changed yet
    "move form": ("GET", "/admin/students/move?id={in_section}", None, [SIGN_IN, DENIED, DENIED, OK, MISSING, OK]),
    "move": ("POST", "/admin/students/move", {"id": "{in_section}", "date": "{today}", "section": "{section_a2}"},
             [SIGN_IN, DENIED, DENIED, CHANGED, MISSING, CHANGED]),
    "bulk move": ("POST", "/admin/students/action/", {"action": "move", "rowid": "{in_section}"},
                  [SIGN_IN, DENIED, DENIED, FOUND, FOUND, FOUND]),  # to the Move form: nothing changed yet
    "add tag form": ("GET", "/admin/students/links?how=add&id={in_section}", None,
                     [SIGN_IN, DENIED, DENIED, OK, MISSING, OK]),
    "add tag": ("POST", "/admin/students/links?how=add", {"id": "{in_section}", "link": "tags:{tag_a}"},
                [SIGN_IN, DENIED, DENIED, CHANGED, MISSING, CHANGED]),
    "remove tag, all matching": ("POST", "/admin/students/links?how=remove&matching=1", {"link": "tags:{tag_a}"},
                                 [SIGN_IN, DENIED, DENIED, FOUND, OK, FOUND]),  # none has it; B: no such tag
    "bulk add tag": ("POST", "/admin/students/action/", {"action": "add_link", "rowid": "{in_section}"},
                     [SIGN_IN, DENIED, DENIED, FOUND, FOUND, FOUND]),  # to its form: nothing changed yet
    "credentials, all matching": ("GET", "/admin/students/confirm?action=send_credentials&matching=1", None,
                                  [SIGN_IN, DENIED, OK, OK, OK, OK]),
    "activate, all matching": ("POST", "/admin/students/confirm?action=activate&matching=1", {},
                               [SIGN_IN, DENIED, DENIED, CHANGED, FOUND, CHANGED]),  # B: none pending
    "bulk job": ("GET", "/admin/students/bulk/{bulk_a}", None, [SIGN_IN, DENIED, DENIED, OK, MISSING, OK]),
    "bulk job progress": ("GET", "/admin/students/bulk/{bulk_a}/progress", None,
                          [SIGN_IN, DENIED, DENIED, OK, MISSING, OK]),
    "return form": ("GET", "/admin/students/return?id={in_section}", None,
                    [SIGN_IN, DENIED, DENIED, OK, MISSING, OK]),
    "return": ("POST", "/admin/students/return", {"id": "{in_section}", "date": "{today}"},
               [SIGN_IN, DENIED, DENIED, OK, MISSING, OK]),  # studying: refused with a message, nothing changed
    "school years": ("GET", "/admin/years/", None, [SIGN_IN, DENIED, OK, OK, OK, OK]),
    "school year": ("GET", "/admin/years/{year_a}", None, [SIGN_IN, DENIED, OK, OK, MISSING, OK]),
    "school year's section": ("GET", "/admin/years/{year_a}/sections/{section_a1}", None,
                              [SIGN_IN, DENIED, OK, OK, MISSING, OK]),
    "school year's section, not the teacher's": ("GET", "/admin/years/{year_a}/sections/{section_a2}", None,
                                                 [SIGN_IN, DENIED, MISSING, OK, MISSING, OK]),
    "close the year": ("GET", "/admin/year-close/", None, [SIGN_IN, DENIED, DENIED, OK, OK, OK]),
    "close: map": ("GET", "/admin/year-close/map", None, [SIGN_IN, DENIED, DENIED, OK, OK, OK]),
    "close: save the map": ("POST", "/admin/year-close/map", {}, [SIGN_IN, DENIED, DENIED, FOUND, FOUND, FOUND]),
    "close: exceptions": ("GET", "/admin/year-close/exceptions?q=a", None, [SIGN_IN, DENIED, DENIED, OK, OK, OK]),
    "close: an exception, other school's child": ("POST", "/admin/year-close/exceptions",
                                                  {"student_id": "{b_student}", "action": "repeat"},
                                                  [SIGN_IN, DENIED, DENIED, MISSING, MISSING, MISSING]),
    "close: preview": ("GET", "/admin/year-close/preview", None, [SIGN_IN, DENIED, DENIED, OK, OK, OK]),
    "close: its page": ("GET", "/admin/year-close/{close_a}", None, [SIGN_IN, DENIED, DENIED, OK, MISSING, OK]),
    "close: progress": ("GET", "/admin/year-close/{close_a}/progress", None,
                        [SIGN_IN, DENIED, DENIED, OK, MISSING, OK]),
    "close: apply": ("POST", "/admin/year-close/apply", {"close_id": "{close_a}", "order_number": "1",
                                                          "order_date": "{today}"},
                     [SIGN_IN, DENIED, DENIED, CHANGED, MISSING, CHANGED]),
    "close: undo": ("POST", "/admin/year-close/{close_a}/undo", {}, [SIGN_IN, DENIED, DENIED, FOUND, MISSING, FOUND]),
    "duplicates": ("GET", "/admin/duplicates/", None, STAFF_ONLY),
    "duplicates: compare": ("GET", "/admin/duplicates/merge?first={in_section}&second={out_section}", None,
                            [SIGN_IN, DENIED, DENIED, OK, MISSING, OK]),
    "duplicates: dismiss": ("POST", "/admin/duplicates/dismiss", {"first": "{in_section}", "second": "{out_section}"},
                            [SIGN_IN, DENIED, DENIED, CHANGED, MISSING, CHANGED]),
    "duplicates: merge": ("POST", "/admin/duplicates/merge", {"first": "{in_section}", "second": "{out_section}",
                                                              "keep": "{in_section}"},
                          [SIGN_IN, DENIED, DENIED, CHANGED, MISSING, CHANGED]),
    "duplicates: undo, no such merge": ("POST", "/admin/duplicates/undo", {"merge": "999"},
                                        [SIGN_IN, DENIED, DENIED, MISSING, MISSING, MISSING]),
    "integrations": ("GET", "/admin/integrations/", None, STAFF_ONLY),
    "integrations: create": ("POST", "/admin/integrations/new", {"name": "LMS"},
                             [SIGN_IN, DENIED, DENIED, CHANGED, CHANGED, CHANGED]),
    "integrations: create for another school": ("POST", "/admin/integrations/new",
                                                {"name": "LMS", "schools": "{school_b}"},
                                                [SIGN_IN, DENIED, DENIED, DENIED, CHANGED, CHANGED]),
    "integrations: revoke": ("POST", "/admin/integrations/{client_a}/revoke", {},
                             [SIGN_IN, DENIED, DENIED, CHANGED, MISSING, CHANGED]),
    "oneroster export: options": ("GET", "/admin/students/export/oneroster", None, STAFF_ONLY),
    "oneroster export: zip": ("GET", "/admin/students/export/oneroster?download=1", None, STAFF_ONLY),
    "orders": ("GET", "/admin/orders/", None, [SIGN_IN, DENIED, DENIED, OK, OK, OK]),
    "leave reasons": ("GET", "/admin/leave-reasons/", None, [SIGN_IN, DENIED, DENIED, OK, OK, OK]),
    "add leave reason": ("POST", "/admin/leave-reasons/new/", {"name": "Family reasons"},
                         [SIGN_IN, DENIED, DENIED, CHANGED, CHANGED, CHANGED]),
    "transfers": ("GET", "/admin/transfers/", None, [SIGN_IN, DENIED, DENIED, OK, OK, OK]),
    "transfer form": ("GET", "/admin/students/transfer?id={in_section}", None,
                      [SIGN_IN, DENIED, DENIED, OK, MISSING, OK]),
    "transfer": ("POST", "/admin/students/transfer", {"id": "{in_section}", "to_school": "{school_b}"},
                 [SIGN_IN, DENIED, DENIED, CHANGED, MISSING, CHANGED]),
    "movement book": ("GET", "/admin/movement-book/?period=year", None, [SIGN_IN, DENIED, OK, OK, OK, OK]),
    "movement book export": ("GET", "/admin/movement-book/export?format=csv&period=year", None,
                             [SIGN_IN, DENIED, OK_CHANGED, OK_CHANGED, OK_CHANGED, OK_CHANGED]),  # audited
    # A student's data on request (audited as a disclosure): school admins and the platform admin only.
    "data on request, JSON": ("GET", "/admin/students/data?id={in_section}&format=json", None,
                              [SIGN_IN, DENIED, DENIED, OK_CHANGED, MISSING, OK_CHANGED]),
    "data on request, page": ("GET", "/admin/students/data?id={in_section}&format=html", None,
                              [SIGN_IN, DENIED, DENIED, OK_CHANGED, MISSING, OK_CHANGED]),
    "data on request, other school": ("GET", "/admin/students/data?id={b_student}&format=json", None,
                                      [SIGN_IN, DENIED, DENIED, MISSING, OK_CHANGED, MISSING]),
    "withdraw consent": ("POST", "/admin/students/consent/withdraw", {"id": "{in_section}"},
                         [SIGN_IN, DENIED, DENIED, FOUND, MISSING, FOUND]),  # none on record: said, nothing changed
    # Import.
    "imports": ("GET", "/admin/imports/", None, STAFF_ONLY),
    "import upload": ("POST", "/admin/imports/new", {"file": CSV}, [SIGN_IN, DENIED, DENIED, CHANGED, CHANGED,
                                                                    CHANGED]),
    "import job": ("GET", "/admin/imports/{job_a}", None, [SIGN_IN, DENIED, DENIED, OK, MISSING, OK]),
    "import progress": ("GET", "/admin/imports/{job_a}/progress", None, [SIGN_IN, DENIED, DENIED, OK, MISSING, OK]),
    "import confirm": ("POST", "/admin/imports/{job_a}/confirm", {}, [SIGN_IN, DENIED, DENIED, CHANGED, MISSING,
                                                                      CHANGED]),
    "import cancel": ("POST", "/admin/imports/{job_a}/cancel", {}, [SIGN_IN, DENIED, DENIED, CHANGED, MISSING,
                                                                    CHANGED]),
    "import template": ("GET", "/admin/imports/template.csv", None, STAFF_ONLY),
    # Invite, invitations, logs.
    "invite page": ("GET", "/admin/invite/", None, STAFF_ONLY),
    "invite": ("POST", "/admin/invite/", {"emails": "invited@example.org"},
               [SIGN_IN, DENIED, DENIED, OK_CHANGED, OK_CHANGED, OK_CHANGED]),
    "invitations": ("GET", "/admin/invitations/", None, STAFF_ONLY),
    "resend invitation": ("POST", "/admin/invitations/action/", {"action": "resend", "rowid": "{invitation_a}"},
                          [SIGN_IN, DENIED, DENIED, CHANGED, FOUND, CHANGED]),
    "revoke invitation": ("POST", "/admin/invitations/action/", {"action": "revoke", "rowid": "{invitation_a}"},
                          [SIGN_IN, DENIED, DENIED, CHANGED, FOUND, CHANGED]),
    "mail log": ("GET", "/admin/mail_log/", None, STAFF_ONLY),
    "mail details": ("GET", "/admin/mail_log/details/?id={mail_a}", None, [SIGN_IN, DENIED, DENIED, OK, MISSING, OK]),
    "resend mail": ("POST", "/admin/mail_log/action/", {"action": "resend", "rowid": "{mail_a}"},
                    [SIGN_IN, DENIED, DENIED, CHANGED, FOUND, CHANGED]),
    "audit log": ("GET", "/admin/audit_log/", None, STAFF_ONLY),
    # Sections and staff of the selected school.
    "sections": ("GET", "/admin/sections/", None, STAFF_ONLY),
    "create section": ("POST", "/admin/sections/new/", {"name": "9Z"},
                       [SIGN_IN, DENIED, DENIED, CHANGED, CHANGED, CHANGED]),
    "edit section": ("POST", "/admin/sections/edit/?id={section_a1}", {"name": "1A renamed"},
                     [SIGN_IN, DENIED, DENIED, CHANGED, MISSING, CHANGED]),
    "delete section": ("POST", "/admin/sections/delete/", {"id": "{section_a2}"},
                       [SIGN_IN, DENIED, DENIED, CHANGED, MISSING, CHANGED]),
    "staff": ("GET", "/admin/staff/", None, STAFF_ONLY),
    "add staff": ("POST", "/admin/staff/new/", {"email": "new.staff@example.org", "role": "teacher"},
                  [SIGN_IN, DENIED, DENIED, CHANGED, CHANGED, CHANGED]),
    "remove staff": ("POST", "/admin/staff/delete/", {"id": "{teacher_membership}"},
                     [SIGN_IN, DENIED, DENIED, CHANGED, MISSING, CHANGED]),
    "bulk remove staff": ("POST", "/admin/staff/action/", {"action": "delete", "rowid": "{teacher_membership}"},
                          [SIGN_IN, DENIED, DENIED, CHANGED, FOUND, CHANGED]),
    # Schools: the platform admin's.
    "schools": ("GET", "/admin/schools/", None, PLATFORM_ONLY),
    "school details": ("GET", "/admin/schools/details/?id={school_b}", None, PLATFORM_ONLY),
    "create school": ("POST", "/admin/schools/new/", {"name": "Gamma School"},
                      [SIGN_IN, DENIED, DENIED, DENIED, DENIED, CHANGED]),
    "rename school": ("POST", "/admin/schools/edit/?id={school_b}", {"name": "Beta Lyceum"},
                      [SIGN_IN, DENIED, DENIED, DENIED, DENIED, CHANGED]),
    "regenerate link": ("POST", "/admin/schools/regenerate", {"id": "{school_b}"},
                        [SIGN_IN, DENIED, DENIED, DENIED, DENIED, CHANGED]),
    "deactivate school": ("POST", "/admin/schools/active", {"id": "{school_b}", "active": "0"},
                          [SIGN_IN, DENIED, DENIED, DENIED, DENIED, CHANGED]),
}


def state(app, world):
    """What the requests could change: every state change writes an audit event, and the records themselves."""
    with app.app_context():
        inside = db.session.get(Student, world.in_section.id)
        counts = tuple(db.session.scalar(select(func.count()).select_from(model))
                       for model in (Student, AuditEvent, ImportJob, Membership, Section, School, Invitation))
        counts += tuple(db.session.scalars(select(Section.name).order_by(Section.id)))
        schools = tuple(db.session.execute(select(School.name, School.signup_token, School.is_active)
                                           .order_by(School.id)).all())
        inside_state = (inside.first_name, inside.email, inside.account_status) if inside else None
        return counts, schools, inside_state


def prepare(app, world, case: str) -> dict:
    """The records the case's URL names; Alpha's student is pending, so that Activate has something to do."""
    ids = {"in_section": world.in_section.id, "out_section": world.out_section.id, "today": date.today().isoformat(),
           "b_student": world.b_student.id, "school_b": world.school_b.id,
           "section_a1": world.section_a1.id, "section_a2": world.section_a2.id, "tag_a": world.tag_a.id}
    with app.app_context():
        db.session.get(Student, world.in_section.id).account_status = "pending"
        ids["year_a"] = years.current_id(world.school_a.id)
        ids["teacher_membership"] = db.session.scalar(select(Membership.id).where(
            Membership.user_id == world.teacher_a.id, Membership.school_id == world.school_a.id))
        db.session.commit()
        named = CASES[case][1] + str(CASES[case][2])
        if "{invitation_a}" in named:
            invitations.invite(world.school_a.id, "waiting@example.org", actor=db.session.get(User, world.admin_a.id))
            tasks.wait_for_background_work(app)
            ids["invitation_a"] = db.session.scalar(select(Invitation.id))
        if "{mail_a}" in named:
            failed = MailMessage(school_id=world.school_a.id, kind="notice", to_address="x@example.org",
                                 subject="Failed", body_text="Hello", status="failed", last_error="refused")
            db.session.add(failed)
            db.session.commit()
            ids["mail_a"] = failed.id
        if "{client_a}" in named:
            from roster.services import integrations

            ids["client_a"] = integrations.create([world.school_a.id], "LMS",
                                                  actor=db.session.get(User, world.admin_a.id))[0].id
        if "{close_a}" in named:
            ids["close_a"] = year_close.draft(world.school_a.id, actor=db.session.get(User, world.admin_a.id)).id
        if "{bulk_a}" in named:
            job = BulkJob(school_id=world.school_a.id, created_by_id=world.admin_a.id, kind="leave", total=1,
                          status="completed")
            db.session.add(job)
            db.session.commit()
            ids["bulk_a"] = job.id
        if "{job_a}" in CASES[case][1]:
            admin = db.session.get(User, world.admin_a.id)
            ids["job_a"] = importing.create_job(world.school_a.id, "a.csv", CSV, actor=admin)
            importing.run_job(ids["job_a"], dry_run=True)
    return ids


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("role", ROLES)
def test_permission_table(app, world, as_role, role, case):
    method, url, data, expected = CASES[case]
    ids = prepare(app, world, case)
    url = url.format(**ids)
    files = {k: (io.BytesIO(v), "list.csv") for k, v in (data or {}).items() if isinstance(v, bytes)}
    data = {k: v.format(**ids) for k, v in (data or {}).items() if isinstance(v, str)}
    client = as_role(role)
    before = state(app, world)
    if method == "POST":
        extra = {"content_type": "multipart/form-data"} if files else {}
        response = client.post(url, {**data, **files}, **extra)
    else:
        response = client.get(url)
    tasks.wait_for_background_work(app)
    want = expected[ROLES.index(role)]
    status = {OK: 200, OK_CHANGED: 200, FOUND: 302, CHANGED: 302}.get(want, want)
    if want == SIGN_IN:
        assert response.status_code == 302 and response.location.startswith("/login"), response.location
    else:
        assert response.status_code == status, response.get_data(as_text=True)[:500]
    after = state(app, world)
    if want in (OK_CHANGED, CHANGED):
        assert after != before, "an allowed change changed nothing"
    elif want != OK:
        assert after == before, "a refused request changed data"


def test_tag_lookup_offers_only_the_selected_schools_tags(as_role, world):
    rows = json.loads(as_role("admin_b").get("/admin/students/ajax/lookup/?name=tags&query=").data)
    assert rows == [[world.tag_b.id, "Choir"]]


def test_foreign_tag_id_in_a_form_is_not_linked(app, as_role, world):
    admin = as_role("admin_a")
    response = admin.post(f"/admin/students/edit/?id={world.in_section.id}",
                          {**student_form("Ivan"), "tags": str(world.tag_b.id)})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Student, world.in_section.id).tags == []


def test_school_id_is_never_taken_from_a_form(app, as_role, world):
    admin = as_role("admin_a")
    admin.post("/admin/students/new/", {"last_name": "Sneaky", "first_name": "S", "school_id": world.school_b.id})
    with app.app_context():
        sneaky = db.session.scalar(select(Student).where(Student.last_name == "Sneaky"))
        assert sneaky.school_id == world.school_a.id


def test_switcher_lists_the_schools_the_user_may_act_in(as_role, world):
    page = as_role("platform").get("/admin/students/").get_data(as_text=True)
    assert "Alpha School</option>" in page and "Beta School</option>" in page
    page = as_role("admin_a").get("/admin/students/").get_data(as_text=True)
    assert "Alpha School</option>" in page and "Beta School</option>" not in page


def test_platform_admin_switches_school_and_every_page_follows(as_role, world):
    platform = as_role("platform")
    assert "Inside Ivan" in platform.get("/admin/students/").get_data(as_text=True)
    platform.post("/admin/school", {"school_id": world.school_b.id})
    page = platform.get("/admin/students/").get_data(as_text=True)
    assert "Beta Boris" in page and "Inside Ivan" not in page
    assert platform.get(f"/admin/students/details/?id={world.in_section.id}").status_code == 404


@pytest.mark.parametrize("case", ["delete", "bulk delete"])
@pytest.mark.parametrize("role", ROLES)
def test_erasure_in_one_school_leaves_the_other_schools_records_as_they_were(app, world, as_role, role, case):
    """Cross-school: Alpha's student has Beta's invited address as their extra email and a parent's email;
    whoever erases them (or tries to), Beta's mail log, invitations and audit log do not change."""
    shared = "shared@example.org"
    with app.app_context():
        invitations.invite(world.school_b.id, shared, actor=db.session.get(User, world.admin_b.id))
        student = db.session.get(Student, world.in_section.id)
        student.extra_email = shared
        student.guardians.append(Guardian(full_name="Parent", email=shared))
        db.session.commit()
    tasks.wait_for_background_work(app)
    before = school_records(app, world.school_b.id)
    method, url, data, expected = CASES[case]
    response = as_role(role).post(url, {k: v.format(in_section=world.in_section.id) for k, v in data.items()})
    tasks.wait_for_background_work(app)
    assert response.status_code in (302, 403, 404)
    assert school_records(app, world.school_b.id) == before
