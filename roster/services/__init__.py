"""The business rules. Each state change has exactly one function here, and each call is one transaction."""

import functools

from roster.errors import RosterError


def refusals_roll_back(function):
    """A service that refuses (RosterError: invalid, forbidden, not found) leaves nothing of its work in the
    session: callers show the refusal and never roll back for it."""

    @functools.wraps(function)
    def service(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except RosterError:
            from roster.extensions import db

            db.session.rollback()
            raise

    return service
