"""The mail log: every outgoing mail with its status, its body, and Resend for the failed or waiting ones."""

from flask import flash
from flask_admin.actions import action
from flask_admin.contrib.sqla import filters as sqla_filters
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from markupsafe import Markup

from roster import i18n, labels, permissions
from roster.admin import context
from roster.admin.base import ScopedReadOnlyView
from roster.errors import NotFound, RosterError
from roster.records import MailMessage, MailStatus
from roster.services import accounts, mail


def _status(view, context_, model, name):
    text = labels.mail_status(model.status)
    if model.status == MailStatus.NOT_SENT.value:
        text = _("not sent: %(reason)s", reason=i18n.message(model.last_error))
    elif model.status == MailStatus.QUEUED.value and model.attempts and model.next_attempt_at:
        text = _("queued: next attempt %(time)s UTC", time=model.next_attempt_at.strftime("%H:%M:%S"))
    css = {"sent": "badge-success", "failed": "badge-danger", "queued": "badge-info",
           "sending": "badge-info"}.get(model.status, "badge-light")
    return Markup('<span class="badge {} mail-{}">{}</span>').format(css, model.status.replace(" ", "-"), text)


class MailLogView(ScopedReadOnlyView):
    model_class = MailMessage
    permission = "logs.view"
    column_list = ["created_at", "to_address", "subject", "kind", "status", "attempts", "last_error"]
    column_details_list = ["created_at", "sent_at", "to_address", "subject", "kind", "status", "attempts",
                           "last_error", "body_text"]
    column_labels = {"created_at": _l("Time"), "sent_at": _l("Sent"), "to_address": _l("To"),
                     "last_error": _l("Last error"), "body_text": _l("Body"), "subject": _l("Subject"),
                     "kind": _l("Kind"), "status": _l("Status"), "attempts": _l("Attempts")}
    column_default_sort = [("created_at", True), ("id", True)]
    column_sortable_list = ["created_at", "to_address", "kind", "status", "attempts"]
    column_formatters = {
        "status": _status,
        "last_error": lambda v, c, m, n: i18n.message(m.last_error),
        "created_at": lambda v, c, m, n: m.created_at.strftime("%Y-%m-%d %H:%M:%S"),
        "body_text": lambda v, c, m, n: Markup("<pre class='mb-0' style='white-space: pre-wrap'>{}</pre>").format(
            m.body_text),
    }
    column_filters = [
        sqla_filters.FilterEqual(MailMessage.status, _l("Status"),
                                 options=[(s.value, _l(labels.MAIL_STATUSES[s.value])) for s in MailStatus]),
        sqla_filters.FilterLike(MailMessage.kind, _l("Kind")),
        sqla_filters.FilterLike(MailMessage.to_address, _l("To")),
    ]

    def scope(self):
        return permissions.visible_log(MailMessage, context.school_id(), context.role())

    @action("resend", _l("Resend"), _l("Send the selected failed or waiting mails now?"))
    def action_resend(self, ids):
        try:
            count = mail.resend(ids, context.school_id(), actor=context.actor(),
                                renew_link=accounts.mail_new_link)
        except NotFound:
            flash(_("None of the selected mails has failed or is waiting; only failed, unsent or waiting mails are "
                  "sent again."), "warning")
            return
        except RosterError as exc:
            flash(str(exc), "error")
            return
        flash(ngettext("%(num)s mail queued again.", "%(num)s mails queued again.", count), "success")
