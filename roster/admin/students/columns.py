"""The Students list's columns, in their order, and those shown by default: roster.fields says which."""

from roster import fields

LIST_VIEW = "students"
COLUMNS = fields.COLUMNS
DEFAULT_COLUMNS = fields.DEFAULT_COLUMNS
LABELS = fields.LABELS
PRIVATE_COLUMNS = fields.PRIVATE  # what teachers do not see of a student
