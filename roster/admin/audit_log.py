"""The audit log: who did what to which record, when and from where. Read-only."""

from flask_admin.contrib.sqla import filters as sqla_filters
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from roster import labels, permissions
from roster.admin import context
from roster.admin.base import ScopedReadOnlyView
from roster.models import User
from roster.records import AuditEvent
from roster.sql import contains
from roster.text import fold


def _details(view, context_, model, name):
    if not model.details:
        return ""
    items = Markup("").join(
        Markup("<li><strong>{}</strong>: {}</li>").format(k, v) for k, v in sorted(model.details.items()))
    return Markup("<ul class='mb-0 pl-3 small'>{}</ul>").format(items)


class ActorEmailFilter(sqla_filters.BaseSQLAFilter):
    """Events of the people whose email contains the text: a subquery, not a join (Flask-Admin joins the filter's
    table again for the count, and "user_account.email" was then ambiguous: a 500 for any value)."""

    def apply(self, query, value, alias=None):
        people = select(User.id).where(contains(User.email, fold(value).strip()))
        return query.filter(AuditEvent.actor_id.in_(people))

    def operation(self):
        return _l("contains")


class AuditLogView(ScopedReadOnlyView):
    model_class = AuditEvent
    permission = "logs.view"
    column_list = ["created_at", "actor", "action", "target_type", "target_id", "details", "ip_address", "school"]
    column_labels = {"created_at": _l("When"), "actor": _l("Who"), "action": _l("What"), "target_type": _l("Target"),
                     "target_id": _l("Target id"), "ip_address": _l("Address"), "details": _l("Details"),
                     "school": _l("School")}
    column_sortable_list = ["created_at", "action"]
    column_default_sort = [("created_at", True), ("id", True)]
    column_formatters = {
        "created_at": lambda v, c, m, n: m.created_at.strftime("%Y-%m-%d %H:%M:%S"),
        "actor": lambda v, c, m, n: m.actor.email if m.actor else "",
        "action": lambda v, c, m, n: labels.action(m.action),
        "details": _details,
    }
    column_filters = [
        sqla_filters.FilterEqual(AuditEvent.action, _l("What")),
        ActorEmailFilter(AuditEvent.actor_id, _l("Who (email)")),
        sqla_filters.DateTimeGreaterFilter(AuditEvent.created_at, _l("When")),
        sqla_filters.DateTimeSmallerFilter(AuditEvent.created_at, _l("When")),
    ]

    def scope(self):
        return permissions.visible_log(AuditEvent, context.school_id(), context.role())

    def get_query(self):
        # Who and which school, for a page of events in two queries, not two a row.
        return super().get_query().options(selectinload(AuditEvent.actor), selectinload(AuditEvent.school))
