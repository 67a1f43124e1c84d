"""The Students list's columns: which there are, which show by default, their labels, which teachers do not see."""

LIST_VIEW = "students"
COLUMNS = [
    "full_name", "last_name", "first_name", "middle_name", "email", "phone", "personal_file_number", "programs",
    "tags", "sections", "gender",
    "birth_date", "is_inclusive", "is_individual", "account_status", "source", "created_at",
]
DEFAULT_COLUMNS = ["full_name", "email", "phone", "personal_file_number", "programs", "tags", "account_status"]
LABELS = {
    "full_name": "Full name", "email": "Email", "phone": "Phone", "personal_file_number": "Personal file number",
    "programs": "Programs", "tags": "Tags", "sections": "Sections", "gender": "Gender",
    "birth_date": "Date of birth", "is_inclusive": "Is inclusive", "is_individual": "Is individual",
    "account_status": "Account status", "source": "Source", "created_at": "Created",
    "middle_name": "Middle name", "last_name": "Last name", "first_name": "First name",
    "address": "Address", "extra_phone": "Extra phone", "extra_email": "Extra email",
    "dropout_date": "Drop-out date", "dropout_reason": "Drop-out reason", "dropout_note": "Drop-out note",
    "guardians": "Parents information",
}
# What teachers do not see of a student (design.md: without parents' jobs and drop-out details).
PRIVATE_COLUMNS = {"dropout_date", "dropout_reason", "dropout_note"}
