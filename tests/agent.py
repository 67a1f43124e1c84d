"""A user agent for HTTP tests: WebTest opens pages and submits the forms they render, as a browser would.

Only what the user types or picks is set by a test; the form's action, method, hidden fields (its CSRF token)
and field names are the page's own. A form the page does not render, a field it names differently, a value it
does not offer: each fails here as it would fail for a person.
"""

from __future__ import annotations

import re

import webtest

from tests import factories


class Agent:
    def __init__(self, app):
        self.app = app
        self.web = webtest.TestApp(app)

    def get(self, url, **kw):
        kw.setdefault("expect_errors", True)
        return self.web.get(url, **kw)

    def sign_in(self, login, password=factories.PASSWORD):
        page = self.get("/login")
        form = find_form(page, field="password")
        form["login"], form["password"] = login, password
        response = form.submit()
        assert response.status_int == 302, response.text
        return response

    def sign_out(self):
        page = self.get("/account")
        return find_form(page, action="/logout").submit()

    def submit(self, page, *, action=None, field=None, id=None, button=None, expect=(200, 302), upload=None,
               **values):
        """Fill the page's form (found by id, action or one of its fields) with values and submit it."""
        form = find_form(page, action=action, field=field, id=id)
        for name, value in values.items():
            set_field(form, name, value)
        if upload is not None:
            set_field(form, upload[0], webtest.Upload(*upload[1:]))
        response = form.submit(button, expect_errors=True) if button else form.submit(expect_errors=True)
        assert response.status_int in expect, f"{response.status}: {response.text[:2000]}"
        return response

    def bulk_action(self, page, name, ids, *, expect=(200, 302)):
        """Run a list's bulk action the way its JavaScript does: the action form the page rendered, the action
        named in its With selected menu, the rows ticked among the checkboxes the page shows."""
        assert f"modelActions.execute('{name}')" in page.text, f"the page offers no action {name!r}"
        offered = set(re.findall(r'name="rowid" class="action-checkbox" value="([^"]+)"', page.text))
        missing = {str(i) for i in ids} - offered
        assert not missing, f"the page shows no rows {missing}"
        form = page.forms["action_form"]
        fields = [(k, v) for k, v in form.submit_fields() if k not in ("action", "rowid")]
        fields += [("action", name)] + [("rowid", str(i)) for i in ids]
        response = self.web.post(form.action or page.request.path, params=fields, expect_errors=True)
        assert response.status_int in expect, f"{response.status}: {response.text[:2000]}"
        return response


def find_form(page, *, action=None, field=None, id=None) -> webtest.Form:
    """The one form of the page with this id, action (a part of it) or field."""
    forms = [f for key, f in page.forms.items() if isinstance(key, int)]
    if id is not None:
        forms = [f for f in forms if f.id == id]
    if action is not None:
        forms = [f for f in forms if action in (f.action or "")]
    if field is not None:
        forms = [f for f in forms if field in f.fields]
    assert len(forms) == 1, f"{len(forms)} forms match {id=} {action=} {field=} on {page.request.url}"
    return forms[0]


def set_field(form: webtest.Form, name: str, value) -> None:
    assert name in form.fields, f"the form has no field {name!r}: {sorted(k for k in form.fields if k)}"
    field = form.fields[name][0]
    if isinstance(field, webtest.forms.MultipleSelect | webtest.forms.Select):
        offered = [option[0] for option in field.options]
        wanted = value if isinstance(value, list | tuple) else [value]
        assert all(str(v) in offered for v in wanted), f"{name}: {value!r} is not among {offered}"
    form[name] = value


def follow(response):
    while response.status_int in (301, 302, 303):
        response = response.follow(expect_errors=True)
    return response
