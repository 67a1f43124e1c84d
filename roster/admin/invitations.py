"""Invitations of the selected school: pending, accepted, expired, revoked; Resend and Revoke."""

from flask import flash
from flask_admin.actions import action
from flask_login import current_user
from sqlalchemy.orm import selectinload

from roster.admin import context
from roster.admin.base import ScopedReadOnlyView
from roster.errors import NotFound
from roster.models import Invitation
from roster.services import invitations


class InvitationView(ScopedReadOnlyView):
    model_class = Invitation
    permission = "students.invite"
    list_template = "admin/roster/invitations_list.html"
    column_list = ["email", "status", "sent_at", "expires_at", "accepted_at", "invited_by"]
    column_labels = {"sent_at": "Sent", "expires_at": "Expires", "accepted_at": "Accepted"}
    column_sortable_list = ["email", "sent_at", "expires_at", "accepted_at"]
    column_default_sort = [("sent_at", True), ("id", True)]
    column_formatters = {
        name: (lambda v, c, m, n: getattr(m, n).strftime("%Y-%m-%d %H:%M") if getattr(m, n) else "")
        for name in ("sent_at", "expires_at", "accepted_at")
    }

    def scope(self):
        return [Invitation.school_id == context.school_id()]

    def get_query(self):
        return super().get_query().options(selectinload(Invitation.invited_by))

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
