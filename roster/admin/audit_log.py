"""The audit log: who did what to which record, when and from where. Read-only."""

from flask import abort, request
from flask_admin import expose
from flask_admin.contrib.sqla import filters as sqla_filters
from flask_admin.model.helpers import get_mdict_item_or_list
from markupsafe import Markup
from sqlalchemy import func

from roster.admin import context
from roster.admin.base import SecuredModelView
from roster.extensions import db
from roster.models import AuditEvent, User
from roster.services import audit


def _details(view, context_, model, name):
    if not model.details:
        return ""
    items = Markup("").join(
        Markup("<li><strong>{}</strong>: {}</li>").format(k, v) for k, v in sorted(model.details.items()))
    return Markup("<ul class='mb-0 pl-3 small'>{}</ul>").format(items)


class AuditLogView(SecuredModelView):
    permission = "logs.view"
    can_create = can_edit = can_delete = False
    can_view_details = True
    column_list = ["created_at", "actor", "action", "target_type", "target_id", "details", "ip_address", "school"]
    column_labels = {"created_at": "When", "actor": "Who", "action": "What", "target_type": "Target",
                     "target_id": "Target id", "ip_address": "Address"}
    column_sortable_list = ["created_at", "action"]
    column_default_sort = [("created_at", True), ("id", True)]
    column_formatters = {
        "created_at": lambda v, c, m, n: m.created_at.strftime("%Y-%m-%d %H:%M:%S"),
        "actor": lambda v, c, m, n: m.actor.email if m.actor else "",
        "details": _details,
    }
    column_filters = [
        sqla_filters.FilterEqual(AuditEvent.action, "What"),
        sqla_filters.FilterLike(User.email, "Who (email)"),
        sqla_filters.DateTimeGreaterFilter(AuditEvent.created_at, "When"),
        sqla_filters.DateTimeSmallerFilter(AuditEvent.created_at, "When"),
    ]
    column_auto_select_related = False
    page_size = 50

    def __init__(self, *args, **kwargs):
        super().__init__(AuditEvent, db, *args, **kwargs)

    def _scope(self):
        return audit.visible(context.school_id(), context.role())

    def get_query(self):
        return db.session.query(AuditEvent).outerjoin(User, User.id == AuditEvent.actor_id).filter(*self._scope())

    def get_count_query(self):
        return (db.session.query(func.count(AuditEvent.id)).outerjoin(User, User.id == AuditEvent.actor_id)
                .filter(*self._scope()))

    def get_one(self, id):
        try:
            return self.get_query().filter(AuditEvent.id == int(id)).one_or_none()
        except (TypeError, ValueError):
            return None

    @expose("/details/")
    def details_view(self):
        if self.get_one(get_mdict_item_or_list(request.args, "id")) is None:
            abort(404)
        return super().details_view()
