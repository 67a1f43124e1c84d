"""Export in a real browser: filter, hide a column, Export, and the file says what the screen says."""

import csv
import io

import pytest
from playwright.sync_api import expect

from tests.test_browser_students import add_filter, demo_site, sign_in  # noqa: F401 - fixtures and steps

pytestmark = pytest.mark.browser


def test_exported_file_matches_the_screen(page, demo_site):  # noqa: F811
    base = demo_site
    sign_in(page, base, "admin@gv.roster.example")
    row = add_filter(page, "Full name")
    row.locator("input.form-control").last.fill("smith")
    page.click("button:has-text('Apply')")
    page.wait_for_load_state("networkidle")
    page.click("#columns-button")
    page.uncheck("#columns-form input[value=phone]")
    with page.expect_navigation():  # the list again, with its new columns: read it only once it is there
        page.click("#columns-form button[type=submit]")
    expect(page.locator("th.col-full_name")).to_have_count(1)
    expect(page.locator("th.col-phone")).to_have_count(0)

    headers = [h.strip() for h in page.locator("th.column-header").all_inner_texts()]
    screen = [[c.strip() for c in r.locator("td[class^=col-]").all_inner_texts()]
              for r in page.locator("tr[data-student-id]").all()]
    assert screen, "the filter should show some students"

    page.wait_for_load_state("networkidle")
    page.click("#export-button")
    with page.expect_download() as info:
        page.click("#export-csv")
    download = info.value
    assert download.suggested_filename.startswith("green-valley-students-")
    with open(download.path(), "rb") as f:
        data = f.read()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    # The screen's columns, with the three names beside Full name (so that the file imports back).
    assert headers[0] == "Full name" and rows[0][1:4] == ["Last name", "First name", "Middle name"]
    assert rows[0][:1] + rows[0][4:] == headers and "Phone" not in rows[0]
    assert [[cell.replace("; ", ", ") for cell in r[:1] + r[4:]] for r in rows[1:]] == screen
    assert all(" ".join(c for c in r[1:4] if c) == r[0] for r in rows[1:])
