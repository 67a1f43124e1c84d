"""The Students list's columns, in their order, and those shown by default (labels: roster.fields)."""

from roster import fields

LIST_VIEW = "students"
COLUMNS = [
    "full_name", "last_name", "first_name", "middle_name", "email", "phone", "personal_file_number", "programs",
    "tags", "sections", "gender",
    "birth_date", "is_inclusive", "is_individual", "account_status", "source", "created_at",
]
DEFAULT_COLUMNS = ["full_name", "email", "phone", "personal_file_number", "programs", "tags", "account_status"]
LABELS = fields.LABELS
PRIVATE_COLUMNS = fields.PRIVATE  # what teachers do not see of a student
