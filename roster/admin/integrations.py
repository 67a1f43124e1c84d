"""Integrations (school admins): the systems that read the school's list through the OneRoster REST API, each an
API client made here (its secret shown once), revoked here; where to connect them."""

from flask import abort, flash, make_response, redirect, request, session, url_for
from flask_admin import expose
from flask_babel import gettext as _

from roster import permissions, sealing
from roster.admin import context
from roster.admin.base import SecuredView
from roster.errors import NotFound, ValidationFailed
from roster.public.oneroster import ROSTERING, bp
from roster.services import integrations
from roster.urls import record_id

NEW_CLIENT = "new_api_client"


class IntegrationView(SecuredView):
    permission = "integrations.manage"

    def _page(self, *, created=None, secret=None, errors=None, name=""):
        actor = context.actor()
        others = []
        if getattr(actor, "is_platform_admin", False):  # a platform admin may make one client for several schools
            others = [(row.id, row.name) for row in permissions.schools_for(actor) if row.id != context.school_id()]
        base = request.host_url.rstrip("/")
        response = make_response(self.render(
            "admin/roster/integrations.html", clients=integrations.of_school(context.school_id()), created=created,
            secret=secret, errors=errors or {}, name=name, others=others,
            token_url=base + url_for("oneroster.token"), api_url=base + bp.url_prefix + ROSTERING))
        response.headers["Cache-Control"] = "no-store"  # a secret shown once is not kept by the browser
        return response

    @expose("/")
    def index(self):
        made = session.pop(NEW_CLIENT, None)  # shown on this page once: a reload shows it no more
        if made:
            client = next((c for c in integrations.of_school(context.school_id()) if c.id == made["id"]), None)
            if client is not None:
                try:
                    return self._page(created=client, secret=sealing.unseal(made["secret"]))
                except sealing.Unreadable:
                    pass
        return self._page()

    @expose("/new", methods=("POST",))
    def create(self):
        school_ids = [context.school_id()]
        for value in request.form.getlist("schools"):
            other = record_id(value)
            if other is None:
                abort(404)
            if other not in school_ids:
                school_ids.append(other)
        name = request.form.get("name", "")
        try:
            client, secret = integrations.create(school_ids, name, actor=context.actor())
        except ValidationFailed as exc:
            return self._page(errors=exc.field_errors, name=name)
        # Post, then redirect: a reload of the page makes no second client. The secret waits for that one page
        # in the session, sealed (the session is a cookie).
        session[NEW_CLIENT] = {"id": client.id, "secret": sealing.seal(secret)}
        return redirect(url_for(".index"))

    @expose("/<int:client_pk>/revoke", methods=("POST",))
    def revoke(self, client_pk):
        try:
            client = integrations.revoke(client_pk, context.school_id(), actor=context.actor())
        except NotFound:
            abort(404)
        flash(_("%(name)s is revoked: it gets no new token, and its tokens no longer work.", name=client.name),
              "success")
        return redirect(url_for(".index"))
