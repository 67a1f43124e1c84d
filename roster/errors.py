"""Errors that services raise; their messages are safe to show to the user."""


class RosterError(Exception):
    """A business rule said no. The message is written for the user."""


class Forbidden(RosterError):
    """The actor's role does not allow this (answered with 403)."""


class NotFound(RosterError):
    """No such record in the selected school (answered with 404, revealing nothing about other schools)."""


class ValidationFailed(RosterError):
    """Some fields are wrong; field_errors maps each field name to its messages."""

    def __init__(self, field_errors: dict[str, list[str]]):
        self.field_errors = field_errors
        super().__init__("; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in field_errors.items()))


class PossibleDuplicate(RosterError):
    """The child being saved looks like students already on the list (roster.services.duplicates.Match each):
    nothing is saved until the admin says to save anyway."""

    def __init__(self, matches: list):
        self.matches = matches
        super().__init__("possible duplicate of " + ", ".join(str(m.student_id) for m in matches))


def too_long(limit: int) -> str:
    """The one message for a value over its length, in the language of the page (or file) being made."""
    from flask_babel import ngettext

    return ngettext("Use at most %(num)s character.", "Use at most %(num)s characters.", limit)
