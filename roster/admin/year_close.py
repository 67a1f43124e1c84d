"""Close the school year (school admins): Map, Exceptions, Preview and Apply over roster.services.year_close, then
the close's page with its progress, its children and Undo."""

from flask import abort, flash, jsonify, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from sqlalchemy import select

from roster import tasks
from roster.admin import context
from roster.admin.base import SecuredView
from roster.admin.forms import YearApplyForm
from roster.errors import NotFound, ValidationFailed
from roster.extensions import db
from roster.models import Section, Student, student_section
from roster.services import movements, year_close, year_close_undo
from roster.urls import record_id

SHOWN = 200  # children a page of the preview or of a close shows


def _errors(exc: ValidationFailed) -> None:
    for messages in exc.field_errors.values():
        for message in messages:
            flash(message, "danger")


class YearCloseView(SecuredView):
    permission = "year.close"

    def _draft(self):
        return year_close.draft(context.school_id(), actor=context.actor())

    def _close(self, close_id):
        try:
            return year_close.get(close_id, context.school_id(), actor=context.actor())
        except NotFound:
            abort(404)

    @staticmethod
    def _checked_post() -> None:
        if not FlaskForm().validate_on_submit():
            abort(400)

    @expose("/")
    def index(self):
        latest = year_close.latest(context.school_id(), actor=context.actor())
        running = self._draft()
        if running.status == year_close.APPLYING:
            return redirect(url_for(".close_view", close_id=running.id))
        return self.render("admin/roster/year_close.html", step="start", close=running, latest=latest,
                           blockers=year_close_undo.blockers(latest) if latest else [])

    @expose("/map", methods=("GET", "POST"))
    def map_view(self):
        close = self._draft()
        if close.status != year_close.DRAFT:
            return redirect(url_for(".close_view", close_id=close.id))
        sections = list(db.session.scalars(select(Section).where(Section.year_id == close.from_year_id)
                                           .order_by(Section.name)))
        if request.method == "POST" and "top_grades" in request.form:  # the grades that graduate: suggest again
            self._checked_post()
            try:
                year_close.save_top_grades(close.id, context.school_id(), request.form["top_grades"],
                                           actor=context.actor())
            except ValidationFailed as exc:
                _errors(exc)
            else:
                flash(_("The top grades are saved; every section's next year is suggested again."), "success")
            return redirect(url_for(".map_view"))
        if request.method == "POST":
            self._checked_post()
            chosen = {s.id: (request.form.get(f"action-{s.id}", ""), request.form.get(f"to-{s.id}", ""),
                             bool(request.form.get(f"teachers-{s.id}")))
                      for s in sections if f"action-{s.id}" in request.form}
            try:
                year_close.save_map(close.id, context.school_id(), chosen, actor=context.actor())
            except ValidationFailed as exc:
                _errors(exc)
            else:
                flash(_("The map is saved."), "success")
                return redirect(url_for(".exceptions_view"))
        counts = dict(db.session.execute(select(student_section.c.section_id, db.func.count()).where(
            student_section.c.section_id.in_([s.id for s in sections])).group_by(student_section.c.section_id)).all())
        return self.render("admin/roster/year_close.html", step="map", close=close, sections=sections,
                           counts=counts)

    @expose("/exceptions", methods=("GET", "POST"))
    def exceptions_view(self):
        close = self._draft()
        if close.status != year_close.DRAFT:
            return redirect(url_for(".close_view", close_id=close.id))
        if request.method == "POST":
            self._checked_post()
            student_id = record_id(request.form.get("student_id"))
            if student_id is None:
                abort(404)
            try:
                year_close.save_exception(close.id, context.school_id(), student_id, request.form.get("action", ""),
                                          to=request.form.get("to", ""), reason=request.form.get("reason", ""),
                                          actor=context.actor())
            except ValidationFailed as exc:
                _errors(exc)
            except NotFound:
                abort(404)
            else:
                flash(_("The exception is saved."), "success")
            return redirect(url_for(".exceptions_view", q=request.args.get("q", "")))
        query = " ".join(request.args.get("q", "").split())[:100]
        found = self._find(close, query) if query else []
        excepted = [(s, close.exceptions[str(s.id)]) for s in db.session.scalars(
            select(Student).where(Student.id.in_([int(i) for i in close.exceptions or {}]))
            .order_by(Student.search_key))]
        return self.render("admin/roster/year_close.html", step="exceptions", close=close, query=query, found=found,
                           excepted=excepted, reasons=movements.reasons(context.school_id()),
                           reason_label=movements.reason_label)

    @staticmethod
    def _find(close, query: str) -> list[Student]:
        """The year's children whose name (any word's start) or file number the search names."""
        words = [w.lower() for w in query.split()]
        linked = select(student_section.c.student_id).join(Section, Section.id == student_section.c.section_id) \
            .where(Section.year_id == close.from_year_id)
        candidates = db.session.scalars(select(Student).where(Student.id.in_(linked),
                                                              Student.school_id == close.school_id)
                                        .order_by(Student.search_key).limit(5000))
        return [s for s in candidates if all(any(p.lower().startswith(w) for p in s.full_name.split())
                                             or (s.personal_file_number or "").lower() == w for w in words)][:20]

    @expose("/preview", methods=("GET", "POST"))
    def preview_view(self):
        close = self._draft()
        if close.status != year_close.DRAFT:
            return redirect(url_for(".close_view", close_id=close.id))
        if request.method == "POST":  # the "is individual" review
            self._checked_post()
            try:
                year_close.save_flags(close.id, context.school_id(),
                                      [i for i in (record_id(v) for v in request.form.getlist("clear")) if i],
                                      actor=context.actor())
            except ValidationFailed as exc:
                _errors(exc)
            return redirect(url_for(".preview_view"))
        plan = year_close.plan(close)
        page = max(record_id(request.args.get("page", "0")) or 0, 0)
        shown = plan.steps[page * SHOWN:(page + 1) * SHOWN]
        names = {s.id: s for s in db.session.scalars(select(Student).where(
            Student.id.in_([s.student_id for s in shown])))}
        section_names = {s.id: s.name for s in db.session.scalars(select(Section).where(
            Section.year_id == close.from_year_id))}
        linked = select(student_section.c.student_id).join(Section, Section.id == student_section.c.section_id) \
            .where(Section.year_id == close.from_year_id)  # the year's children, as SQL: never 100,000 values
        individual = list(db.session.scalars(select(Student).where(
            Student.id.in_(linked), Student.is_individual.is_(True)).order_by(Student.search_key).limit(500)))
        return self.render("admin/roster/year_close.html", step="preview", close=close, plan=plan, shown=shown,
                           names=names, section_names=section_names, page=page, pages=-(-len(plan.steps) // SHOWN),
                           page_link=lambda page: url_for(".preview_view", page=page), individual=individual,
                           form=YearApplyForm())

    @expose("/apply", methods=("POST",))
    def apply_view(self):
        """Apply the close the preview showed (its id is in the form: a second submit finds it applied)."""
        form = YearApplyForm()
        close = self._close(record_id(request.form.get("close_id")) or 0)
        if not form.validate_on_submit():
            for messages in form.errors.values():
                for message in messages:
                    flash(message, "danger")
            return redirect(url_for(".preview_view"))
        try:
            year_close.start(close.id, context.school_id(),
                             movements.OrderGiven(form.order_number.data or "", form.order_date.data),
                             actor=context.actor())
        except ValidationFailed as exc:
            _errors(exc)
            if close.status != year_close.DRAFT:  # a second Apply: the close's own page says where it stands
                return redirect(url_for(".close_view", close_id=close.id))
            return redirect(url_for(".preview_view"))
        tasks.start_year_close(close.id)
        return redirect(url_for(".close_view", close_id=close.id))

    @expose("/<int:close_id>")
    def close_view(self, close_id):
        close = self._close(close_id)
        page = max(record_id(request.args.get("page", "0")) or 0, 0)
        entries = year_close_undo.entries(close.id, page=page, size=SHOWN) if close.status != year_close.DRAFT else []
        section_names = {s.id: s.name for s in db.session.scalars(select(Section).where(
            Section.school_id == close.school_id, Section.year_id.in_(
                [i for i in (close.from_year_id, close.to_year_id) if i])))}
        return self.render("admin/roster/year_close.html", step="close", close=close, entries=entries, page=page,
                           pages=-(-year_close_undo.entry_count(close.id) // SHOWN),
                           page_link=lambda page: url_for(".close_view", close_id=close.id, page=page),
                           section_names=section_names, blockers=year_close_undo.blockers(close))

    @expose("/<int:close_id>/progress")
    def progress_view(self, close_id):
        close = self._close(close_id)
        return jsonify(status=close.status, done=close.done, total=close.total,
                       working=close.status == year_close.APPLYING)

    @expose("/<int:close_id>/undo", methods=("POST",))
    def undo_view(self, close_id):
        self._checked_post()
        close = self._close(close_id)
        student_id = record_id(request.form.get("student_id")) if request.form.get("student_id") else None
        if request.form.get("student_id") and student_id is None:
            abort(404)
        try:
            count = year_close_undo.undo(close.id, context.school_id(), actor=context.actor(), student_id=student_id)
        except ValidationFailed as exc:
            _errors(exc)
        except NotFound:
            abort(404)
        else:
            flash(_("Undone: %(count)s children are back where they were.", count=count) if student_id is None
                  else _("Undone for this child: they are back where they were."), "success")
        return redirect(url_for(".close_view", close_id=close.id))
