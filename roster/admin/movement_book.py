"""The movement book page: a period, the school or a section, the figures with their children, the alphabetical
book, a chart by month (SVG drawn here, with its numbers in a table), and the book as CSV or XLSX."""

from datetime import date

from flask import Response, request, stream_with_context, url_for
from flask_admin import expose
from flask_babel import gettext as _

from roster.admin import context
from roster.admin.base import SecuredView
from roster.admin.forms import can_see_private
from roster.errors import ValidationFailed
from roster.extensions import db
from roster.models import Section
from roster.services import exporting, movement_book, movements
from roster.urls import attachment, record_id


def _date(name: str):
    try:
        return date.fromisoformat(request.args.get(name, "").strip()) if request.args.get(name) else None
    except ValueError:
        return None


CHILDREN_SHOWN = 1000  # a figure's children on the page; the book's download holds every one


class MovementBookView(SecuredView):
    permission = "students.view"  # teachers: the book of their sections, read-only

    def _book(self):
        """The book the page's arguments name, or (None, the reason it cannot be made)."""
        sections = db.session.execute(db.select(Section.id, Section.name).where(
            *Section.of_school(context.school_id())).order_by(Section.name)).all()
        section_id = record_id(request.args.get("section")) if request.args.get("section") else None
        if section_id is not None and section_id not in {s.id for s in sections}:
            section_id = None
        try:
            start, end = movement_book.period(request.args.get("period"), _date("start"), _date("end"),
                                              year=context.current_year())
        except ValidationFailed as exc:
            return None, sections, section_id, " ".join(exc.field_errors["start"])
        book = movement_book.compute(context.school_id(), start, end, actor=context.actor(), section_id=section_id)
        return book, sections, section_id, None

    @expose("/")
    def index(self):
        book, sections, section_id, problem = self._book()
        figure = request.args.get("figure")
        children, children_total = None, 0
        if book is not None and figure in ("at_start", "arrived", "returned", "left", "at_end"):
            ids = book.children(figure, request.args.get("reason"))
            order = {sid: n for n, sid in enumerate(e.student_id for e in book.entries)}  # the book's name order
            ids.sort(key=lambda i: order.get(i, len(order)))
            shown = ids[:CHILDREN_SHOWN]
            names = movement_book.names_of(shown)
            children = [(names.get(i, movement_book.ERASED), i) for i in shown]
            children_total = len(ids)
        args = {k: v for k, v in request.args.items() if k in ("period", "start", "end", "section")}
        number = max(0, min(record_id(request.args.get("page")) or 0, 10_000))
        pages = (len(book.entries) + movement_book.PAGE_SIZE - 1) // movement_book.PAGE_SIZE if book else 0
        return self.render("admin/roster/movement_book.html", book=book, sections=sections, section_id=section_id,
                           problem=problem, children=children, figure=figure, args=args,
                           reason_label=movements.reason_label, chart=_chart(book) if book else None,
                           show_reasons=can_see_private(), entries=book.page(number) if book else [],
                           page_number=number, pages=pages, children_total=children_total,
                           link=lambda **more: url_for(".index", **args, **more))

    @expose("/export")
    def export(self):
        fmt = request.args.get("format", "csv")
        book, _sections, _section_id, problem = self._book()
        if book is None or fmt not in exporting.MIMETYPES:
            return self.index()
        movement_book.record_export(context.school_id(), book, fmt, actor=context.actor())
        private = can_see_private()
        header = [_("Full name"), _("Arrived"), _("Order"), _("Left"), _("Reason"), _("Order")]
        rows = ([e.name, "; ".join(d.isoformat() for d, _n in e.arrived), "; ".join(n for _d, n in e.arrived if n),
                 "; ".join(d.isoformat() for d, _r, _n in e.left),
                 "; ".join(movements.reason_label(r) for _d, r, _n in e.left if r and private),
                 "; ".join(n for _d, _r, n in e.left if n)] for e in book.rows())
        name = f"movement-book-{book.start.isoformat()}-{book.end.isoformat()}.{fmt}"
        return Response(stream_with_context(exporting.stream(fmt, header, rows)), mimetype=exporting.MIMETYPES[fmt],
                        headers=attachment(name))


def _chart(book) -> dict:
    """Bars of arrivals and departures by month, as SVG coordinates: drawn on the server, no script."""
    width, height, gap = 40, 120, 8
    top = max([1] + [max(a, b) for _m, a, b in book.months])
    bars = []
    for n, (month, came, went) in enumerate(book.months):
        x = n * (2 * width + gap)
        bars.append({"month": month, "came": came, "went": went, "x": x,
                     "came_h": round(height * came / top), "went_h": round(height * went / top)})
    return {"bars": bars, "width": max(1, len(bars)) * (2 * width + gap), "height": height, "bar": width}
