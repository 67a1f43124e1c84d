"""Invitations of the selected school: pending, accepted, expired, revoked; Resend and Revoke."""

from flask import abort, flash, request
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.model.helpers import get_mdict_item_or_list
from flask_login import current_user
from sqlalchemy import func

from roster.admin import context
from roster.admin.base import SecuredModelView
from roster.errors import NotFound
from roster.extensions import db
from roster.models import Invitation
from roster.services import invitations


class InvitationView(SecuredModelView):
    permission = "students.invite"
    list_template = "admin/roster/invitations_list.html"
    can_create = can_edit = can_delete = False
    column_list = ["email", "status", "sent_at", "expires_at", "accepted_at", "invited_by"]
    column_labels = {"sent_at": "Sent", "expires_at": "Expires", "accepted_at": "Accepted"}
    column_sortable_list = ["email", "sent_at", "expires_at", "accepted_at"]
    column_default_sort = [("sent_at", True), ("id", True)]
    column_formatters = {
        name: (lambda v, c, m, n: getattr(m, n).strftime("%Y-%m-%d %H:%M") if getattr(m, n) else "")
        for name in ("sent_at", "expires_at", "accepted_at")
    }
    column_auto_select_related = False
    page_size = 50

    def __init__(self, *args, **kwargs):
        super().__init__(Invitation, db, *args, **kwargs)

    def get_query(self):
        return db.session.query(Invitation).filter(Invitation.school_id == context.school_id())

    def get_count_query(self):
        return db.session.query(func.count(Invitation.id)).filter(Invitation.school_id == context.school_id())

    def get_one(self, id):
        try:
            return self.get_query().filter(Invitation.id == int(id)).one_or_none()
        except (TypeError, ValueError):
            return None

    @expose("/details/")
    def details_view(self):
        if self.get_one(get_mdict_item_or_list(request.args, "id")) is None:
            abort(404)
        return super().details_view()

    @action("resend", "Resend", "Send these invitations again? Their earlier links stop working.")
    def action_resend(self, ids):
        try:
            result = invitations.resend(ids, context.school_id(), actor=current_user._get_current_object())
        except NotFound as exc:
            flash(str(exc), "warning")
            return
        flash(f"{len(result.sent) + len(result.reinvited)} invitation(s) sent again.", "success")

    @action("revoke", "Revoke", "Revoke these invitations? Their links stop working.")
    def action_revoke(self, ids):
        count = invitations.revoke(ids, context.school_id(), actor=current_user._get_current_object())
        flash(f"{count} invitation(s) revoked.", "success")
