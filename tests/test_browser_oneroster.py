"""OneRoster in a real browser: Students → Export → OneRoster 1.2 (zip), shortest (no ticks) and richest (every
tick, a filter); Integrations → a client made (its secret shown once), then revoked."""

import csv
import io
import zipfile

import pytest
from playwright.sync_api import expect

from tests.test_browser_students import add_filter, demo_site, sign_in  # noqa: F401 - fixtures and steps

pytestmark = pytest.mark.browser


def download_zip(page) -> dict[str, list[list[str]]]:
    page.click("#export-button")
    with page.expect_navigation():
        page.click("#export-oneroster")
    expect(page.locator("h1")).to_have_text("Export as OneRoster 1.2")
    return page


def read(download) -> dict[str, list[list[str]]]:
    with open(download.path(), "rb") as f, zipfile.ZipFile(io.BytesIO(f.read())) as archive:
        return {name: list(csv.reader(io.StringIO(archive.read(name).decode()))) for name in archive.namelist()}


def test_export_as_oneroster_shortest(page, demo_site):  # noqa: F811
    sign_in(page, demo_site, "admin@gv.roster.example")
    download_zip(page)
    with page.expect_download() as info:
        page.click("#oneroster-download")
    assert info.value.suggested_filename.startswith("green-valley-oneroster-")
    files = read(info.value)
    assert "demographics.csv" not in files and files["users.csv"][0][0] == "sourcedId"
    assert len(files["users.csv"]) > 20  # the demo school's students, and their teachers


def test_export_as_oneroster_richest(page, demo_site):  # noqa: F811
    sign_in(page, demo_site, "admin@gv.roster.example")
    row = add_filter(page, "Full name")
    row.locator("input.form-control").last.fill("smith")
    page.click("button:has-text('Apply')")
    page.wait_for_load_state("networkidle")
    shown = page.locator("tr[data-student-id]").count()
    download_zip(page)
    page.check("#demographics")
    for box in page.locator("#metadata-fields input[type=checkbox]").all():
        box.check()
    with page.expect_download() as info:
        page.click("#oneroster-download")
    files = read(info.value)
    students = [r for r in files["users.csv"][1:] if "smith" in (r[7] + " " + r[6]).lower()]
    assert len(students) == shown and len(files["demographics.csv"]) - 1 == shown
    assert any(h.startswith("metadata.roster.") for h in files["users.csv"][0])


def test_integrations_make_and_revoke_a_client(page, demo_site):  # noqa: F811
    sign_in(page, demo_site, "admin@gv.roster.example")
    page.click("nav >> text=Integrations")
    page.fill("#name", "Moodle")
    page.click("#create-integration")
    expect(page.locator("#client-secret")).to_be_visible()
    assert len(page.locator("#client-secret").inner_text()) > 30
    page.reload()
    expect(page.locator("#client-secret")).to_have_count(0)  # shown once
    page.click("button:has-text('Revoke')")
    expect(page.locator("#clients-table")).to_contain_text("Revoked")
