"""Orders: the school's orders with their children and kinds, and each order's printable page."""

from flask import abort
from flask_admin import expose

from roster.admin import context
from roster.admin.base import SecuredView
from roster.errors import NotFound
from roster.services import movements, orders


class OrderView(SecuredView):
    permission = "students.edit"

    @expose("/")
    def index(self):
        return self.render("admin/roster/orders.html",
                           orders=orders.of_school(context.school_id(), actor=context.actor()))

    @expose("/<int:order_id>")
    def order(self, order_id: int):
        try:
            school, order, named = orders.printable(order_id, context.school_id(), actor=context.actor())
        except NotFound:
            abort(404)
        return self.render("admin/roster/order.html", school=school, order=order, named=named,
                           reason_label=movements.reason_label)
