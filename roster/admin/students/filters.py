"""The Students list's filters as the page shows them (name, operation, choices).

What a filter selects is roster.services.listing's: StudentView.get_list and the export hand it the filters'
plain values, so these classes only describe the filter form.
"""

from flask_admin.contrib.sqla import filters as sqla_filters
from flask_babel import lazy_gettext as _l

from roster import fields, labels
from roster.models import AccountStatus, Source, Student


class ListFilter(sqla_filters.BaseSQLAFilter):
    """A filter of the Students list, named by its field in roster.fields (`key` is what listing reads)."""

    def __init__(self, key: str, operation: str, *, options=None, data_type=None):
        super().__init__(Student.id, fields.label(key), options=options, data_type=data_type)
        self.key, self._operation = key, operation

    def operation(self):
        return self._operation


class FlagFilter(ListFilter):
    """Is inclusive / Is individual: Yes or No."""

    def __init__(self, key: str):
        super().__init__(key, _l("equals"), options=(("1", _l("Yes")), ("0", _l("No"))))

    def validate(self, value):
        return value in ("0", "1")


class LinkFilter(ListFilter):
    """Programs, tags or sections: any of those chosen, by suggestion (an id) or typed (a name); the school's
    names are filled in per request (StudentView._get_filter_groups)."""

    def __init__(self, key: str):
        super().__init__(key, _l("any of"), data_type="select2-tags")


FILTERS = [
    ListFilter("full_name", _l("contains words starting with")),
    ListFilter("phone", _l("matches")),
    ListFilter("email", _l("contains")),
    ListFilter("personal_file_number", _l("equals")),
    LinkFilter("programs"),
    LinkFilter("tags"),
    LinkFilter("sections"),
    FlagFilter("is_inclusive"),
    FlagFilter("is_individual"),
    ListFilter("account_status", _l("equals"),
               options=[(s.value, _l(labels.ACCOUNT_STATUSES[s.value])) for s in AccountStatus]),
    ListFilter("source", _l("equals"), options=[(s.value, _l(fields.CHOICES[s.value])) for s in Source]),
]
