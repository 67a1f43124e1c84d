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


def test_a_tag_many_hold_lists_the_same_pages_walking_the_name_order(app, agent, world, monkeypatch):
    """A tag held by many (here: WALK_LINKS lowered to 2) is checked student by student along the name order on
    SQLite (the first pages stop early); the pages, their order and the count are those of the plain lookup,
    beyond the first rows too, with another filter and with another sort."""
    from roster import permissions
    from roster.models import Tag
    from roster.services import listing

    with app.app_context():
        tag = factories.named(Tag, world.school_a, "Choir-2")
        for last in ("Delta", "Alpha", "Echo", "Charlie", "Bravo"):
            factories.student(world.school_a, world.admin_a, last_name=last, first_name="Tagged", tag_ids=[tag.id])
        factories.student(world.school_a, world.admin_a, last_name="Able", first_name="Untagged")
    admin = agent("admin_a")
    tags = filter_arg(admin.get("/admin/students/").text, "Tags")
    full_name = filter_arg(admin.get("/admin/students/").text, "Full name")
    names = ["Alpha Tagged", "Bravo Tagged", "Charlie Tagged", "Delta Tagged", "Echo Tagged"]

    def listed(**params):
        page = admin.get("/admin/students/", params={tags: "Choir-2", **params})
        return names_listed(page.text), 'id="student-count">(5)' in page.text

    def pages(*filters):
        with app.app_context():
            found = listing.find(world.school_a.id, [("tags", "Choir-2"), *filters], actor=permissions.SYSTEM)
            walks = listing._walking(found, None, 0, 2) is not found
            return [[s.full_name for s in listing.page(found, None, False, n, 2)] for n in range(3)], walks

    assert listed() == (names, True) and listed(sort="0", desc="1") == (names[::-1], True)
    assert pages() == ([names[:2], names[2:4], names[4:]], False)
    monkeypatch.setattr(listing, "WALK_LINKS", 2)
    monkeypatch.setattr(listing, "WALK_ROWS", 4)  # the third page is looked up, not walked
    walked, walks = pages()
    assert walked == [names[:2], names[2:4], names[4:]]
    with app.app_context():
        assert walks == (db.engine.dialect.name == "sqlite")
    assert pages(("full_name", "tagged"))[0] == walked
    assert listed() == (names, True) and listed(sort="0", desc="1") == (names[::-1], True)
    assert listed(**{full_name: "tagged"}) == (names, True)
