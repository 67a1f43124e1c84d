"""The admin panel: built per app (a module-level Admin breaks when tests make a second app)."""

from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme
from flask_babel import lazy_gettext as _l

from roster.admin.audit_log import AuditLogView
from roster.admin.base import HomeView
from roster.admin.duplicates import DuplicateView
from roster.admin.imports import ImportView
from roster.admin.integrations import IntegrationView
from roster.admin.invitations import InvitationView
from roster.admin.invite import InviteView
from roster.admin.leave_reasons import LeaveReasonView
from roster.admin.mail_log import MailLogView
from roster.admin.movement_book import MovementBookView
from roster.admin.orders import OrderView
from roster.admin.schools import SchoolView, StaffView
from roster.admin.sections import SectionView
from roster.admin.students import StudentView
from roster.admin.transfers import TransferView
from roster.admin.year_close import YearCloseView
from roster.admin.years import YearView
from roster.i18n import TRANSLATIONS
from roster.security import csp_nonce


def init_admin(app) -> Admin:
    admin = Admin(
        app,
        name="Roster",
        theme=Bootstrap4Theme(swatch="default", fluid=True, base_template="admin/roster/base.html"),
        index_view=HomeView(name=_l("Home"), url="/admin"),
        csp_nonce_generator=csp_nonce,
        translations_path=TRANSLATIONS,  # our ru and kk of the Flask-Admin strings Roster shows (roster.i18n)
    )
    admin.add_view(StudentView(name=_l("Students"), endpoint="students"))
    admin.add_view(InviteView(name=_l("Invite"), endpoint="invite", url="/admin/invite"))
    admin.add_view(InvitationView(name=_l("Invitations"), endpoint="invitations"))
    admin.add_view(ImportView(name=_l("Imports"), endpoint="imports", url="/admin/imports"))
    admin.add_view(MovementBookView(name=_l("Movement book"), endpoint="movement_book", url="/admin/movement-book"))
    admin.add_view(LeaveReasonView(name=_l("Leave reasons"), endpoint="leave_reasons", url="/admin/leave-reasons"))
    admin.add_view(OrderView(name=_l("Orders"), endpoint="orders", url="/admin/orders"))
    admin.add_view(TransferView(name=_l("Transfers"), endpoint="transfers", url="/admin/transfers"))
    admin.add_view(DuplicateView(name=_l("Duplicates"), endpoint="duplicates", url="/admin/duplicates"))
    admin.add_view(IntegrationView(name=_l("Integrations"), endpoint="integrations", url="/admin/integrations"))
    admin.add_view(SectionView(name=_l("Sections"), endpoint="sections"))
    admin.add_view(YearView(name=_l("School years"), endpoint="years", url="/admin/years"))
    admin.add_view(YearCloseView(name=_l("Close the year"), endpoint="year_close", url="/admin/year-close"))
    admin.add_view(StaffView(name=_l("Staff"), endpoint="staff", url="/admin/staff"))
    admin.add_view(SchoolView(name=_l("Schools"), endpoint="schools", url="/admin/schools"))
    admin.add_view(MailLogView(name=_l("Mail log"), endpoint="mail_log"))
    admin.add_view(AuditLogView(name=_l("Audit log"), endpoint="audit_log"))
    return admin
