"""The admin panel: built per app (a module-level Admin breaks when tests make a second app)."""

from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme

from roster.admin.audit_log import AuditLogView
from roster.admin.base import HomeView
from roster.admin.imports import ImportView
from roster.admin.invitations import InvitationView
from roster.admin.invite import InviteView
from roster.admin.mail_log import MailLogView
from roster.admin.schools import SchoolView, StaffView
from roster.admin.sections import SectionView
from roster.admin.students import StudentView
from roster.security import csp_nonce


def init_admin(app) -> Admin:
    admin = Admin(
        app,
        name="Roster",
        theme=Bootstrap4Theme(swatch="default", fluid=True, base_template="admin/roster/base.html"),
        index_view=HomeView(name="Home", url="/admin"),
        csp_nonce_generator=csp_nonce,
    )
    admin.add_view(StudentView(name="Students", endpoint="students"))
    admin.add_view(InviteView(name="Invite", endpoint="invite", url="/admin/invite"))
    admin.add_view(InvitationView(name="Invitations", endpoint="invitations"))
    admin.add_view(ImportView(name="Imports", endpoint="imports", url="/admin/imports"))
    admin.add_view(SectionView(name="Sections", endpoint="sections"))
    admin.add_view(StaffView(name="Staff", endpoint="staff", url="/admin/staff"))
    admin.add_view(SchoolView(name="Schools", endpoint="schools", url="/admin/schools"))
    admin.add_view(MailLogView(name="Mail log", endpoint="mail_log"))
    admin.add_view(AuditLogView(name="Audit log", endpoint="audit_log"))
    return admin
