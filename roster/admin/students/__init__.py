"""The Students section of the admin: view (list, details, forms, row and bulk actions) · filters · export."""

from roster.admin.students.view import StudentView

__all__ = ["StudentView"]
