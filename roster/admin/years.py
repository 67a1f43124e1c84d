"""School years: the current one and the past ones, each with its sections and their students, read-only (the
archive). Teachers see the sections they taught."""

from flask import abort
from flask_admin import expose

from roster import fields
from roster.admin import context
from roster.admin.base import SecuredView
from roster.errors import NotFound
from roster.services import years


class YearView(SecuredView):
    permission = "students.view"

    @expose("/")
    def index(self):
        school_id = context.school_id()
        return self.render("admin/roster/years.html", years=years.of_school(school_id),
                           current=years.current(school_id, create=False))

    @expose("/<int:year_id>")
    def year_view(self, year_id):
        try:
            year = years.get(year_id, context.school_id(), actor=context.actor())
            sections = years.sections(year.id, context.school_id(), actor=context.actor(), role=context.role())
        except NotFound:
            abort(404)
        return self.render("admin/roster/year.html", year=year, sections=sections)

    @expose("/<int:year_id>/sections/<int:section_id>")
    def section_view(self, year_id, section_id):
        try:
            year = years.get(year_id, context.school_id(), actor=context.actor())
            section, students = years.section_students(section_id, context.school_id(), actor=context.actor(),
                                                       role=context.role())
        except NotFound:
            abort(404)
        if section.year_id != year.id:
            abort(404)
        return self.render("admin/roster/year_section.html", year=year, section=section, students=students,
                           status_label=fields.choice_label)
