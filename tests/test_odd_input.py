"""Odd ids and filter values, as a careless user or an attacker types them: a clear answer, never a 500."""

import re
from pathlib import Path
from urllib.parse import quote, unquote

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from roster.extensions import db
from roster.models import Invitation, Membership, Student
from roster.records import AuditEvent, ImportJob, MailMessage, MailStatus
from tests.agent import find_form, follow

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
    f"/admin/students/data?id={BIG}&format=json", "/admin/students/data?id=abc&format=html",
])
def test_an_id_that_is_no_record_is_not_found(agent, url):
    response = agent("platform").get(url)
    assert response.status_int == 404, response.text[:500]
    assert "No such" in response.text or "Not Found" in response.text or "not found" in response.text.lower()


@pytest.mark.parametrize("path", ["/admin/students/activate", "/admin/students/delete/",
                                  "/admin/students/consent/withdraw"])
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
    admin = as_role("admin_a")  # signing in is an audit event of its own: counted from here
    with app.app_context():
        before = [db.session.scalar(select(func.count()).select_from(m))
                  for m in (Student, Invitation, MailMessage, Membership, AuditEvent)]
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


ERRORS_CSV = b"Last name,First name,Gender\nRight,Rita,f\nWrong,Walter,robot\n"


@pytest.mark.parametrize("name, ascii_name", [
    ("../../etc/passwd.csv", "passwd-errors-"),
    ("/etc/cron.d/roster.csv", "roster-errors-"),
    ('a"; filename="evil.html.csv', "a_filenameevil.html-errors-"),
    ("evil\r\nSet-Cookie: pwned=1.csv", "evil_Set-Cookie_pwned1-errors-"),
    ("list\u202egpj.csv", "listgpj-errors-"),
    ("Список учеников.csv", "errors-"),
])
def test_an_upload_name_never_leads_a_download_or_a_header_astray(app, world, agent, name, ascii_name):
    """The failed-rows download is named after the upload: plain ASCII `filename`, the name itself as RFC 6266
    `filename*`, never a folder, a quote or a line break; the job page shows the name escaped."""
    admin = agent("admin_a")
    job_page = upload_named(admin, name, ERRORS_CSV)
    assert job_page.status_int == 200
    download = admin.get(job_page.request.path + "/failed.csv")
    disposition = download.headers["Content-Disposition"]
    assert "\r" not in disposition and "\n" not in disposition and "Set-Cookie" not in download.headers
    assert re.match(r'attachment; filename="([A-Za-z0-9_.-]+)"(; filename\*=UTF-8\'\'[A-Za-z0-9%._~-]+)?$',
                    disposition), disposition
    ascii_part = re.search(r'filename="([^"]+)"', disposition)[1]
    assert ascii_part.startswith(ascii_name) and "/" not in ascii_part and ".." not in ascii_part
    if "filename*" in disposition:
        shown = unquote(disposition.split("UTF-8''", 1)[1])
        assert "/" not in shown and "\r" not in shown and "\u202e" not in shown
    assert "Wrong" in download.body.decode("utf-8-sig")
    with app.app_context():
        stored = db.session.scalar(select(ImportJob.file_name).order_by(ImportJob.id.desc()).limit(1))
    assert "/" not in stored and "\n" not in stored and "\u202e" not in stored
    assert str(escape(stored)) in job_page.text  # as Jinja escapes it


def upload_named(admin, name: str, data: bytes):
    """Upload and preview with the page's upload form, the file's name sent as RFC 5987 `filename*` (which may
    carry any character, CR and LF included, as a hand-made request can): the job page once previewed."""
    form = find_form(admin.get("/admin/imports/").click(href="/admin/imports/new"), id="upload-form")
    boundary = "roster-test-boundary"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
             for key, value in form.submit_fields() if key not in (None, "file")]
    encoded = quote(name, safe="")
    parts.append(f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename*=UTF-8''{encoded}"
                 "\r\nContent-Type: text/csv\r\n\r\n".encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    # webtest's post() would encode a multipart body anew: the request is sent as it is written here.
    response = admin.web.request(form.action or form.response.request.path, method="POST", body=b"".join(parts),
                                 content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_int == 302, response.text[:2000]
    return admin._after_background_work(response)


def test_a_cyrillic_upload_name_downloads_under_its_own_name(agent):
    admin = agent("admin_a")
    job_page = admin.upload_import("Список учеников.csv", ERRORS_CSV)
    download = admin.get(job_page.request.path + "/failed.csv")
    shown = unquote(download.headers["Content-Disposition"].split("UTF-8''", 1)[1])
    assert shown.startswith("Список учеников-errors-") and shown.endswith(".csv")


def upload_refused(admin, name: str, data: bytes) -> str:
    """Upload with the page's form; the upload page answers again, with the File field's message."""
    page = admin.get("/admin/imports/").click(href="/admin/imports/new")
    response = admin.submit(page, id="upload-form", upload=("file", name, data), expect=(200,))
    with admin.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ImportJob)) == 0  # nothing kept
    return " ".join(response.html.select_one("#upload-form").get_text(" ").split())


def test_a_csv_in_an_encoding_not_recognised_for_certain_is_refused_never_garbled(agent):
    admin = agent("admin_a")
    polish = "Last name;First name\nZażółć;Gęślą\nWałęsa;Lech\n".encode("cp1250")
    message = upload_refused(admin, "polish.csv", polish)
    assert "cannot tell for certain how this file's text is encoded" in message
    assert "Accepted: UTF-8 (with or without BOM), UTF-16 with BOM, Windows-1251, KZ-1048" in message
    mostly_ascii = ("Last name;First name\n" + "Smith;John\n" * 50 + "Zażółć;Gęślą\n").encode("cp1250")
    assert "cannot tell for certain" in upload_refused(admin, "mostly-ascii.csv", mostly_ascii)


@pytest.mark.parametrize("encoding, name", [
    ("cp1251", "Иванов Иван"), ("kz1048", "Қасымов Әлихан"), ("utf-16", "Нұрланова Өмір"),
    ("utf-8-sig", "Zażółć Gęślą"),
])
def test_a_csv_in_each_accepted_encoding_reads_as_written(app, agent, encoding, name):
    admin = agent("admin_a")
    last, first = name.split()
    data = f"Last name;First name\n{last};{first}\nSmith;John\n".encode(encoding)
    job_page = admin.upload_import(f"{encoding}.csv", data)
    assert name in job_page.text
    admin.confirm_import(job_page)
    with app.app_context():
        assert db.session.scalar(select(Student.first_name).where(Student.last_name == last)) == first


def test_a_csv_cell_over_128_kb_is_that_rows_error_and_a_header_that_long_is_refused(app, agent):
    admin = agent("admin_a")
    huge = "x" * 200_000
    header = f"Last name,First name,{huge}\nRight,Rita,1\n".encode()
    message = upload_refused(admin, "long-header.csv", header)
    assert "Column 3 of the first row is 200,000 characters long" in message
    rows = f"Last name,First name,Address\nRight,Rita,Main street 1\nLong,Lena,{huge}\n".encode()
    job_page = admin.upload_import("long-cell.csv", rows)
    text = " ".join(job_page.html.get_text(" ").split())
    assert "Row 3" in text or "3 Long Lena" in text
    assert "The cell is 200,000 characters long; at most 10,000 are taken." in text
    admin.confirm_import(job_page)
    with app.app_context():
        assert db.session.scalar(select(Student.address).where(Student.last_name == "Right")) == "Main street 1"
        assert db.session.scalar(select(Student.id).where(Student.last_name == "Long")) is None


DATA = Path(__file__).parent / "data"


def test_an_xlsx_reaching_the_last_cell_is_refused_before_it_is_read(agent):
    """last_cell.xlsx: 5 KB, one cell at XFD1048576. Read as it is, the reader asks for hundreds of GB and aborts."""
    message = upload_refused(agent("admin_a"), "last_cell.xlsx", (DATA / "last_cell.xlsx").read_bytes())
    assert "The first sheet spans 1,048,576 rows and 16,384 columns, far more than a list of students" in message


def test_a_spreadsheet_that_crashes_its_reader_ends_only_the_reader(app, agent, monkeypatch):
    """With the extent check out of the way, last_cell.xlsx makes python-calamine abort its process: that is
    the reader's child process, so the upload is refused and this process (the web server) answers on."""
    from roster.services import importing

    monkeypatch.setattr(importing.files, "_check_extent", lambda rows, columns: None)
    admin = agent("admin_a")
    message = upload_refused(admin, "last_cell.xlsx", (DATA / "last_cell.xlsx").read_bytes())
    assert "This XLSX file cannot be read (its reader stopped" in message
    assert "copy the list to a new sheet" in message
    assert admin.get("/admin/students/").status_int == 200
    job_page = admin.upload_import("students_dates.xlsx", (DATA / "students_dates.xlsx").read_bytes())
    assert "Сапарова" in job_page.text


def test_an_ods_whose_rows_repeat_a_million_times_is_refused(agent):
    message = upload_refused(agent("admin_a"), "far_rows.ods", (DATA / "far_rows.ods").read_bytes())
    assert "This ODS file cannot be read" in message
