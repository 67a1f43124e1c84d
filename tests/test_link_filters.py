"""Programs, tags and sections filters: by the school's items, by id or by name; never silently ignored."""

import csv
import io

import pytest

from roster.extensions import db
from roster.models import Section
from tests import factories
from tests.helpers import filter_arg

SECTIONS = "Sections"  # the filter, as the page's filter form names it


def sections_arg(admin) -> str:
    return filter_arg(admin.get("/admin/students/").text, SECTIONS)


@pytest.fixture
def sections(app, world):
    with app.app_context():
        factories.named(Section, world.school_b, "2Б")  # another school's: never a match in Alpha
        db.session.commit()


def names_listed(html):
    import re

    return re.findall(r'<td class="col-full_name"><span class="row-name"><a href="[^"]+">([^<]+)</a>', html)


@pytest.mark.parametrize("value", ["{id}", "2A", "2a", " 2A ", "{id},2a"])
def test_a_section_by_id_or_by_its_name_in_any_case(agent, world, sections, value):
    admin = agent("admin_a")
    page = admin.get("/admin/students/", params={sections_arg(admin): value.format(id=world.section_a2.id)})
    assert names_listed(page.text) == ["Outside Olga"]
    assert "filter-message" not in page.text


@pytest.mark.parametrize("value", ["2Б", "nothing", "9999999999999999999999999999999999999999", "{other}",
                                   "2A,Unknown"])
def test_a_value_that_names_no_item_lists_no_one_and_says_so(agent, world, sections, value):
    admin = agent("admin_a")
    page = admin.get("/admin/students/", params={sections_arg(admin): value.format(other=world.tag_b.id + 1000)})
    assert page.status_int == 200
    assert names_listed(page.text) == []
    assert "No section named" in page.text and "No students match." in page.text


def test_an_export_with_an_unknown_item_exports_nothing_and_says_so(agent, world, sections):
    admin = agent("admin_a")
    response = admin.get("/admin/students/export", params={"format": "csv", sections_arg(admin): "2Б"})
    assert response.status_int == 302 and "text/csv" not in response.content_type
    page = response.follow()
    assert "Nothing was exported. No section named “2Б”" in page.text
    assert names_listed(page.text) == []

    # a name, in any case
    export = admin.get("/admin/students/export", params={"format": "csv", sections_arg(admin): "2a"})
    rows = list(csv.reader(io.StringIO(export.body.decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == ["Outside Olga"]


def test_filter_suggestions_are_the_schools_items_once_each(agent, world, sections):
    import json
    import re

    admin = agent("admin_a")
    page = admin.get("/admin/students/")
    groups = json.loads(re.search(r'<div id="filter-groups-data" class="d-none">(.*?)</div>', page.text, re.S)[1])
    [sections_filter] = groups["Sections"]
    assert sections_filter["options"] == [[str(world.section_a1.id), "1A"], [str(world.section_a2.id), "2A"]]
