"""A user agent for HTTP tests: WebTest opens pages and submits the forms they render, as a browser would.

Only what the user types or picks is set by a test; the form's action, method, hidden fields (its CSRF token)
and field names are the page's own. A form the page does not render, a field it names differently, a value it
does not offer: each fails here as it would fail for a person.
"""

from __future__ import annotations

import re
import urllib.parse

import webtest

from tests import factories


class Agent:
    def __init__(self, app, *, url=None, address=None):
        """An agent of app; with url, of the live server there (a real HTTP connection, through WSGIProxy2);
        with address, a person at that client address."""
        self.app = app
        if url:  # cookies are kept for the server's own host, as a browser keeps them
            self.web = webtest.TestApp(url, extra_environ={"HTTP_HOST": urllib.parse.urlsplit(url).netloc})
        else:
            self.web = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": address} if address else None)

    def get(self, url, **kw):
        """GET a page; a URL as typed ("?flt0_0=алена") is percent-encoded as a browser sends it."""
        kw.setdefault("expect_errors", True)
        return self.web.get(urllib.parse.quote(url, safe="/?&=%:+,;@#"), **kw)

    def open(self, url):
        """Open a link as a browser does, following its redirects (a mail's link moves to a URL without its
        token); the page it ends on."""
        response = self.get(url)
        while response.status_int in (301, 302, 303) and response.location:
            response = self.get(response.location)
        return response

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
               inline=None, **values):
        """Fill the page's form (found by id, action or one of its fields) with values and submit it.

        values may hold names with dashes as a dict (`**{"guardians-0-position": "Engineer"}`); inline adds new
        entries to an inline list ({"guardians": [{...}]}) as its Add button does, from the template the page
        carries for it.
        """
        form = find_form(page, action=action, field=field, id=id)
        for name, value in values.items():
            set_field(form, name, value)
        if upload is not None:
            set_field(form, upload[0], webtest.Upload(*upload[1:]))
        for prefix, entries in (inline or {}).items():
            for name, value in inline_entries(page, form, prefix, entries):
                added = webtest.forms.Hidden(form, "input", name, len(form.field_order), value=value)
                form.fields.setdefault(name, []).append(added)
                form.field_order.append((name, added))
        response = form.submit(button, expect_errors=True) if button else form.submit(expect_errors=True)
        assert response.status_int in expect, f"{response.status}: {response.text[:2000]}"
        return response

    def upload_import(self, name: str, data: bytes):
        """Students → Import → Add: the file in the page's File field, Upload and preview. Returns the job page
        once its preview (a background task) has ended."""
        page = self.get("/admin/imports/").click(href="/admin/imports/new")
        response = self.submit(page, id="upload-form", upload=("file", name, data), expect=(302,))
        return self._after_background_work(response)

    def confirm_import(self, job_page):
        """The job page's Confirm import button; returns the job page once the run has ended."""
        return self._after_background_work(self.submit(job_page, action="/confirm", expect=(302,)))

    def _after_background_work(self, response):
        from roster import tasks

        tasks.wait_for_background_work(self.app)
        return self.get(response.location)

    def choose_columns(self, columns):
        """Students → Columns: tick exactly these (each must be offered), Save columns."""
        form = find_form(self.get("/admin/students/"), id="columns-form")
        offered = {checkbox._value for checkbox in form.fields["column"]}
        assert set(columns) <= offered, f"not offered: {set(columns) - offered}"
        for checkbox in form.fields["column"]:
            checkbox.checked = checkbox._value in columns
        response = form.submit()
        assert response.status_int == 302
        return response

    def bulk_action(self, page, name, ids, *, expect=(200, 302), matching=False):
        """Run a list's bulk action the way its JavaScript does: the action form the page rendered, the action
        named in its With selected menu, the rows ticked among the checkboxes the page shows; with matching,
        after "Select all N matching" (the page offers it), which puts the page's filters in the form."""
        assert f'data-model-action="{name}"' in page.text, f"the page offers no action {name!r}"
        offered = set(re.findall(r'name="rowid" class="action-checkbox" value="([^"]+)"', page.text))
        missing = {str(i) for i in ids} - offered
        assert not missing, f"the page shows no rows {missing}"
        form = page.forms["action_form"]
        fields = [(k, v) for k, v in form.submit_fields() if k not in ("action", "rowid", "matching")]
        if matching:
            assert page.html.select_one("[data-select-matching]"), "the page offers no Select all matching"
            fields.append(("matching", page.request.query_string or "all=1"))
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


def inline_entries(page, form, prefix: str, entries: list[dict]) -> list[tuple[str, str]]:
    """The fields Flask-Admin's "Add <thing>" button adds: its template's fields, renamed <prefix>-<n>-<name>."""
    import html

    template = re.search(rf'<div class="inline-field" id="{prefix}">.*?<div class="inline-field-template d-none">'
                         r"(.*?)</div>\s*<a", page.text, re.S)
    assert template, f"the page has no Add button for {prefix}"
    markup = html.unescape(template.group(1))
    names = dict.fromkeys(re.findall(r'name="([^"]+)"', markup))
    hidden = {}  # the hidden fields (the sub-form's CSRF token, an empty id) keep the template's values
    for tag in re.findall(r"<input[^>]*>", markup):
        attributes = dict(re.findall(r'(\w+)="([^"]*)"', tag))
        if attributes.get("type") == "hidden" and "name" in attributes:
            hidden[attributes["name"]] = attributes.get("value", "")
    taken = {int(m) for m in re.findall(rf"^{prefix}-(\d+)-", "\n".join(k for k in form.fields if k), re.M)}
    fields = []
    for number, entry in enumerate(entries, start=max(taken, default=-1) + 1):
        unknown = set(entry) - set(names)
        assert not unknown, f"the {prefix} template has no field {unknown}: {list(names)}"
        for name in names:
            value = entry.get(name, hidden.get(name, ""))
            fields.append((f"{prefix}-{number}-{name}", value))
    return fields


def row_form(page, action: str, record_id) -> webtest.Form:
    """The button form of one row of a list (Delete, Activate, Remove): the one whose id is the record's."""
    forms = [f for key, f in page.forms.items() if isinstance(key, int) and action in (f.action or "")
             and "id" in f.fields and f["id"].value == str(record_id)]
    assert len(forms) == 1, f"{len(forms)} {action} forms for row {record_id} on {page.request.url}"
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
