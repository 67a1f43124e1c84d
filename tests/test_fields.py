"""The field catalog (roster/fields.py) is the one description of a student's fields: it and the tables agree,
and every page's list of fields comes from it."""

from roster import fields
from roster.admin.students import columns, filters
from roster.models import LINKS, Guardian, Student
from roster.services import listing
from roster.services.importing import columns as import_columns


def test_every_field_has_its_column_and_every_student_column_is_a_field_or_named_internal():
    table = set(Student.__table__.c.keys())
    own = {name for name, f in fields.STUDENT.items() if f.kind not in (fields.NAME, fields.LINK, fields.GUARDIANS)}
    assert own <= table, f"fields without a column: {own - table}"
    assert table - own == fields.INTERNAL, "a student column is neither a field of the catalog nor internal"
    assert set(fields.GUARDIAN) == set(Guardian.__table__.c.keys()) - {"id", "student_id"}
    assert set(fields.LINK_FIELDS) == set(LINKS)


def test_places_are_unique_and_every_group_is_the_forms():
    places = [f.form for f in fields.STUDENT.values() if f.form]
    assert len(places) == len(set(places))
    assert {group for group, _place in places} == {key for key, _legend in fields.GROUPS}
    filter_places = [f.filter[1] for f in fields.STUDENT.values() if f.filter]
    assert sorted(filter_places) == list(range(len(filter_places)))  # the filters' URL numbers have no gaps


def test_the_pages_read_the_catalog():
    assert columns.COLUMNS == [n for n, f in fields.STUDENT.items() if f.listed]
    assert [f.key for f in filters.FILTERS] == [n for n, _how in fields.FILTERS]
    assert set(listing.SORTABLE) == {n for n, f in fields.STUDENT.items() if f.sort}
    assert import_columns.TEMPLATE == tuple(n for n, f in fields.STUDENT.items() if f.imported)
