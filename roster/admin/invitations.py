"""Invitations of the selected school: pending, accepted, expired, revoked; Resend and Revoke."""

from flask import flash
from flask_admin.actions import action
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy.orm import selectinload

from roster import labels
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
    column_labels = {"email": _l("Email"), "status": _l("Status"), "sent_at": _l("Sent"), "expires_at": _l("Expires"),
                     "accepted_at": _l("Accepted"), "invited_by": _l("Invited by")}
    column_sortable_list = ["email", "sent_at", "expires_at", "accepted_at"]
    column_default_sort = [("sent_at", True), ("id", True)]
    column_formatters = {
        **{name: (lambda v, c, m, n: context.date_text(getattr(m, n)))
           for name in ("sent_at", "expires_at", "accepted_at")},
        "status": lambda v, c, m, n: labels.invitation_status(m.status),
    }

    def scope(self):
        return [Invitation.school_id == context.school_id()]

    def get_query(self):
        return super().get_query().options(selectinload(Invitation.invited_by))

    @action("resend", _l("Resend"), _l("Send these invitations again? Their earlier links stop working."))
    def action_resend(self, ids):
        try:
            result = invitations.resend(ids, context.school_id(), actor=context.actor())
        except NotFound as exc:
            flash(str(exc), "warning")
            return
        flash(ngettext("%(num)s invitation sent again.", "%(num)s invitations sent again.",
                       len(result.sent) + len(result.reinvited)), "success")

    @action("revoke", _l("Revoke"), _l("Revoke these invitations? Their links stop working."))
    def action_revoke(self, ids):
        count = invitations.revoke(ids, context.school_id(), actor=context.actor())
        flash(ngettext("%(num)s invitation revoked.", "%(num)s invitations revoked.", count), "success")
