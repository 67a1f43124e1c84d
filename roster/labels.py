"""How stored codes read on pages, in the page's language: audit actions, roles, statuses.

The database keeps the codes as they are ("student created", "admin", "completed with errors"); a page shows
them through these, so that changing the language never changes what is stored.
"""

from flask_babel import gettext

from roster.i18n import N_

ROLES = {"platform": N_("platform admin"), "admin": N_("school admin"), "teacher": N_("teacher")}

ACCOUNT_STATUSES = {"no_account": N_("no account"), "pending": N_("pending"), "active": N_("active")}

IMPORT_STATUSES = {"uploaded": N_("Checking"), "validated": N_("Ready to confirm"), "running": N_("Running"),
                   "completed": N_("Completed"), "completed with errors": N_("Completed with errors"),
                   "failed": N_("Failed")}

ROW_STATUSES = {"new": N_("new"), "update": N_("update"), "unchanged": N_("unchanged"), "error": N_("error"),
                "skipped": N_("skipped")}

INVITATION_STATUSES = {"accepted": N_("accepted"), "revoked": N_("revoked"), "expired": N_("expired"),
                       "pending": N_("pending")}

MAIL_STATUSES = {"queued": N_("queued"), "sending": N_("sending"), "sent": N_("sent"), "failed": N_("failed"),
                 "not sent": N_("not sent")}

RETENTION_KINDS = {"pending sign-ups": N_("pending sign-ups"), "expired invitations": N_("expired invitations"),
                   "mail bodies": N_("mail bodies"), "import reports": N_("import reports"),
                   "audit events": N_("audit events"), "idle sessions": N_("idle sessions"),
                   "children who left": N_("children who left"), "bulk change reports": N_("bulk change reports"),
                   "expired API tokens": N_("expired API tokens")}

MOVEMENT_KINDS = {"arrived": N_("arrived"), "left": N_("left the school"), "returned": N_("returned"),
                  "moved": N_("moved to another section"), "promoted": N_("moved up a grade"),
                  "repeated": N_("repeats the grade")}

ITEM_KINDS = {"programs": N_("Programs"), "tags": N_("Tags"), "sections": N_("Sections")}

ACTIONS = {action: action for action in (
    N_("api client created"), N_("api client revoked"), N_("api token issued"), N_("api read"),
    N_("api students read"),
    N_("credentials issued"), N_("email changed"), N_("invitation revoked"), N_("mail resent"),
    N_("password changed"), N_("password reset"), N_("password reset requested"), N_("school country changed"),
    N_("school language changed"), N_("school created"), N_("school link regenerated"), N_("school reactivated"),
    N_("school deactivated"), N_("school renamed"), N_("section created"), N_("section changed"),
    N_("section deleted"), N_("sign-in failed"), N_("sign-in locked"),
    N_("sign-up awaits email confirmation"), N_("sign-up with an existing account's email"), N_("signed in"),
    N_("staff added"), N_("staff removed"), N_("student activated"), N_("student created"),
    N_("student deleted"), N_("student erased"), N_("student signed up"), N_("student updated"),
    N_("students exported"),
    N_("students imported"), N_("students invited"), N_("two-factor passed"), N_("two-factor failed"),
    N_("two-factor recovery codes renewed"), N_("two-factor reset"), N_("two-factor turned on"),
    N_("two-factor turned off"), N_("retention purge"), N_("student data disclosed"),
    N_("consent withdrawn"), N_("school notice changed"), N_("students left"), N_("student returned"),
    N_("movement book exported"), N_("students moved"), N_("transfer asked"), N_("transfer accepted"),
    N_("transfer declined"), N_("transfer withdrawn"), N_("leave reason saved"), N_("leave reason deleted"),
    N_("bulk change started"), N_("bulk change ended"), N_("students tagged"), N_("students untagged"),
    N_("top grades changed"), N_("year close started"), N_("year closed"), N_("year close undone"),
    N_("year close undone for a child"), N_("students merged"), N_("merge undone"), N_("duplicate dismissed"))}


def _reader(table: dict):
    def read(code) -> str:
        if code is None:
            return ""
        text = table.get(str(code))
        return gettext(text) if text else str(code)
    return read


role = _reader(ROLES)
account_status = _reader(ACCOUNT_STATUSES)
import_status = _reader(IMPORT_STATUSES)
row_status = _reader(ROW_STATUSES)
item_kind = _reader(ITEM_KINDS)
invitation_status = _reader(INVITATION_STATUSES)
retention_kind = _reader(RETENTION_KINDS)
mail_status = _reader(MAIL_STATUSES)
action = _reader(ACTIONS)
movement_kind = _reader(MOVEMENT_KINDS)


def field(label) -> str:
    """A field's English label (as an import report keeps it) in the page's language."""
    return gettext(str(label)) if label else ""


def init_app(app) -> None:
    """The readers pages use to show stored codes."""
    app.jinja_env.globals.update(roster_role_label=role, roster_action_label=action, roster_row_status=row_status,
                                 roster_item_kind=item_kind, roster_movement_label=movement_kind)
    app.jinja_env.filters.update(roster_field_label=field)
