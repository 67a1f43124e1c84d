"""A service's ValidationFailed shown on the form that asked: each message beside its field, the rest flashed.

Admin views and the public pages both call `attach`, so that a message never goes missing on one of them.
"""

from flask import flash


def attach(form, exc) -> None:
    """Put each of exc.field_errors beside its field of the form: "guardians-0-email" on the first guardian
    still on the form, "tag_ids" on "tags"; a message for no field of the form becomes a flash."""
    for key, messages in exc.field_errors.items():
        field = _field(form, key)
        if field is None:
            flash(" ".join(messages), "error")
        else:
            field.errors = list(field.errors) + list(messages)


def _field(form, key: str):
    if key.startswith("guardians-") and "guardians" in form:
        _prefix, number, name = key.split("-", 2)
        inline = form.guardians
        entries = [e for e in inline.entries if not getattr(inline, "should_delete", lambda e: False)(e)]
        return entries[int(number)].form[name] if int(number) < len(entries) else None
    if key.endswith("_ids") and key[:-4] + "s" in form:
        return form[key[:-4] + "s"]
    return form[key] if key in form else None
