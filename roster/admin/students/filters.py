"""The Students list's filters as the page shows them (name, operation, choices), one for each field of
roster.fields that says how the list filters it.

What a filter selects is roster.services.listing's: StudentView.get_list and the export hand it the filters'
plain values, so these classes only describe the filter form.
"""

from flask_admin.contrib.sqla import filters as sqla_filters
from flask_babel import lazy_gettext as _l

from roster import fields
from roster.models import Student


class ListFilter(sqla_filters.BaseSQLAFilter):
    """A filter of the Students list, named by its field in roster.fields (`key` is what listing reads)."""

    def __init__(self, key: str, operation: str, *, options=None, data_type=None):
        super().__init__(Student.id, fields.label(key), options=options, data_type=data_type)
        self.key, self._operation = key, operation

    def operation(self):
        return self._operation


class FlagFilter(ListFilter):
    """Yes or No."""

    def __init__(self, key: str):
        super().__init__(key, _l("equals"), options=(("1", _l("Yes")), ("0", _l("No"))))

    def validate(self, value):
        return value in ("0", "1")


class LinkFilter(ListFilter):
    """Programs, tags or sections: any of those chosen, by suggestion (an id) or typed (a name); the school's
    names are filled in per request (StudentView._get_filter_groups)."""

    def __init__(self, key: str):
        super().__init__(key, _l("any of"), data_type="select2-tags")


OPERATIONS = {fields.WORDS: _l("contains words starting with"), fields.PHONE_MATCH: _l("matches"),
              fields.CONTAINS: _l("contains"), fields.EXACT: _l("equals")}


def _filter(key: str, how: str) -> ListFilter:
    if how == fields.ANY_OF:
        return LinkFilter(key)
    if how == fields.YES_NO:
        return FlagFilter(key)
    if how in (fields.EQUALS, fields.STATUS):
        options = [(value, _l(text)) for value, text in fields.STUDENT[key].choices]
        return ListFilter(key, _l("equals"), options=options + ([("all", _l("any status"))] if how == fields.STATUS
                                                                else []))
    return ListFilter(key, OPERATIONS[how])


FILTERS = [_filter(key, how) for key, how in fields.FILTERS]
