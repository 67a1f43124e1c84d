"""Students on a school's roster: the checks every way in shares, and create, update, delete."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import delete as sql_delete
from sqlalchemy import insert, select
from sqlalchemy import update as sql_update
from sqlalchemy.exc import IntegrityError

from roster import fields, national_id, permissions
from roster.errors import NotFound, PossibleDuplicate, ValidationFailed, too_long
from roster.extensions import db
from roster.i18n import N_
from roster.models import LINKS as MODEL_LINKS
from roster.models import (
    AccountStatus,
    Guardian,
    School,
    Source,
    Status,
    Student,
    student_name_part,
    utcnow,
)
from roster.services import accounts, audit, duplicates, emails, movements, refusals_roll_back
from roster.text import (
    DEFAULT_COUNTRY,
    name_parts,
    normalize_email,
    normalize_phone,
)

# What each check reads, by the kinds of roster.fields.
SCALAR_FIELDS = fields.STORED
TEXT_FIELDS = fields.of_kind(fields.TEXT, fields.LONG_TEXT)
ONE_LINE = set(fields.of_kind(fields.TEXT))
EMAIL_FIELDS = fields.of_kind(fields.EMAIL)
PHONE_FIELDS = fields.of_kind(fields.PHONE)
DATE_FIELDS = fields.of_kind(fields.DATE)
FLAG_FIELDS = fields.of_kind(fields.FLAG)
CHOICE_FIELDS = fields.of_kind(fields.CHOICE)
# The form and services name a student's links by their ids: "tag_ids" -> ("tags", Tag).
LINKS = {f"{name[:-1]}_ids": (name, MODEL_LINKS[name][0]) for name in fields.LINK_FIELDS}
GUARDIAN_FIELDS = fields.GUARDIAN_FIELDS
REQUIRED = fields.REQUIRED
NAME_FIELDS = {"last_name", "first_name", "middle_name"}
# What duplicates are found by (roster.services.duplicates.keys, compare): a change to one re-indexes the student.
KEYED_FIELDS = {"last_name", "first_name", "birth_date", "phone", "email", "national_id", "guardians"}
# What is kept when left empty: text columns hold "", optional identifiers hold NULL (so uniqueness ignores them).
NULLABLE = {name for name in SCALAR_FIELDS if fields.STUDENT[name].empty is None}
# A phone whose table keeps its E.164 form beside it: "phone" -> "phone_normalized".
NORMALIZED = {name: f"{name}_normalized" for name in PHONE_FIELDS if f"{name}_normalized" in Student.__table__.c}
CHOICES = {name: {value: value for value, _label in fields.STUDENT[name].choices} for name in CHOICE_FIELDS}


def school_country(school_id: int) -> str:
    """The region a school's phones are read in (its country)."""
    school = db.session.get(School, school_id)
    return school.country if school is not None else DEFAULT_COUNTRY


def _clean_text(value, *, one_line: bool) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    if one_line:
        # A name or number never spans lines: CR/LF here would end up in mail headers and exports.
        joined = " ".join(text.split())
        if joined != text:  # else keep the very same string (an import holds 100,000 of them)
            text = joined
    return text


def clean(school_id: int, data: dict, *, student_id: int | None = None) -> dict:
    """Check and normalise a student's fields; raise ValidationFailed with a message per field."""
    out, errors = clean_fields(data, region=school_country(school_id))

    def fail(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    for key, (_attr, model) in LINKS.items():
        if key in data:
            ids = sorted({int(i) for i in data[key] or []})
            known = set(db.session.scalars(select(model.id).where(*model.of_school(school_id), model.id.in_(ids))))
            if set(ids) - known:
                fail(key, _("Choose from this school's list."))
            out[key] = ids
    _check_unique(school_id, out, student_id, fail)
    if errors:
        raise ValidationFailed(errors)
    return out


def clean_fields(data: dict, *, region: str) -> tuple[dict, dict[str, list[str]]]:
    """Check and normalise the fields given, without the database: (cleaned values, messages per field).

    The manual form and the import share it, so a value one accepts the other accepts too. Phones are read
    as written in region, the school's country. Each step below reads its fields of `data` into `out`.
    """
    errors: dict[str, list[str]] = {}
    out: dict = {}

    def fail(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    _clean_texts(data, out, fail)
    _clean_emails(data, out, fail)
    _clean_phones(data, out, fail, region)
    _clean_choices(data, out, fail)
    _clean_dates(data, out, fail)
    _clean_national_id(data, out, fail, region)
    for field in FLAG_FIELDS:
        if field in data:
            out[field] = bool(data[field])
    _check_lengths(out, errors, fail)
    for field in NULLABLE:
        if field in out and out[field] in ("", None):
            out[field] = None
    if "guardians" in data:
        out["guardians"] = _clean_guardians(data["guardians"] or [], fail, region)
    return out, errors


def _clean_texts(data: dict, out: dict, fail) -> None:
    for field in TEXT_FIELDS:
        if field in data:
            out[field] = _clean_text(data[field], one_line=field in ONE_LINE)
    for field in REQUIRED:
        if field in data and not out.get(field):
            fail(field, _("This field is required."))


def _clean_emails(data: dict, out: dict, fail) -> None:
    for field in EMAIL_FIELDS:
        if field in data:
            try:
                out[field] = normalize_email(data[field] or "")
            except ValueError as exc:
                fail(field, str(exc))


def _clean_phones(data: dict, out: dict, fail, region: str) -> None:
    """The phone as written (one line), and its E.164 form beside it (where the table keeps one) for search and
    matching."""
    for field in PHONE_FIELDS:
        if field in data:
            out[field] = _clean_text(data[field], one_line=True)
            try:
                normalised = normalize_phone(out[field], region)
            except ValueError as exc:
                fail(field, str(exc))
            else:
                if field in NORMALIZED:
                    out[NORMALIZED[field]] = normalised


NATIONAL_ID_NAMES = {national_id.IIN: N_("IIN"), national_id.SNILS: N_("SNILS")}


def _clean_national_id(data: dict, out: dict, fail, region: str) -> None:
    """The IIN or SNILS by the school's country: its digits, checked by the official rule; an IIN's birth date and
    sex must be the record's (an empty birth date or gender is filled from it)."""
    if "national_id" not in data or not (out.get("national_id") or "").strip():
        return
    kind = national_id.kind_for(region)
    if kind is None:
        fail("national_id", _("Schools of this country keep no national identifier: leave it empty."))
        return
    name = _(NATIONAL_ID_NAMES[kind])
    try:
        number, decoded = national_id.check(kind, out["national_id"])
    except national_id.Invalid as exc:
        fail("national_id", {
            "not digits": _("An %(name)s is digits only (spaces and dashes may separate them).", name=name),
            "length": _("An %(name)s has %(count)s digits.", name=name, count=exc.values.get("length", "")),
            "check digit": _("This is no valid %(name)s: its check digit is wrong (a typing error?).", name=name),
            "century": _("This is no person's IIN: its 7th digit must be 1 to 6."),
            "birth date": _("This is no valid IIN: its first six digits are no date of birth."),
        }[exc.code])
        return
    out["national_id"] = number
    if decoded is None:
        return
    if "birth_date" in data and out.get("birth_date") and out["birth_date"] != decoded.birth_date:
        fail("national_id", _("The IIN says born %(iin)s; the date of birth says %(record)s.",
                              iin=decoded.birth_date.isoformat(), record=out["birth_date"].isoformat()))
    elif "birth_date" in data and not out.get("birth_date"):
        out["birth_date"] = decoded.birth_date
    if "gender" in data and out.get("gender") and out["gender"] != decoded.gender:
        fail("national_id", _("The IIN says %(iin)s; the gender says %(record)s.",
                              iin=fields.choice_label(decoded.gender), record=fields.choice_label(out["gender"])))
    elif "gender" in data and not out.get("gender"):
        out["gender"] = decoded.gender


def _clean_choices(data: dict, out: dict, fail) -> None:
    for field in CHOICE_FIELDS:
        if field in data:
            value = (data[field] or "").strip().lower()
            if value and value not in CHOICES[field]:
                fail(field, _(fields.STUDENT[field].invalid, value=value[:40]))
                out[field] = value
            else:
                out[field] = CHOICES[field].get(value, "")  # the one shared string, not a copy a row


def _clean_dates(data: dict, out: dict, fail) -> None:
    for field in DATE_FIELDS:
        if field in data:
            value = data[field]
            if value is not None and not isinstance(value, date):
                fail(field, _("Enter a date as YYYY-MM-DD."))
            elif value is not None and value > date.today():
                fail(field, _("The date cannot be in the future."))
            elif value is not None and value.year < 1900:
                fail(field, _("Enter a date after 1900."))
            out[field] = value


def _check_lengths(out: dict, errors: dict, fail) -> None:
    """Every text within its field's length (roster.fields), unless the field has already failed."""
    for field, value in out.items():
        limit = fields.LENGTHS.get(field) if isinstance(value, str) else None
        if limit and len(value) > limit and field not in errors:
            fail(field, too_long(limit))


def _clean_guardians(guardians: list[dict], fail, region: str) -> list[dict]:
    cleaned = []
    for number, guardian in enumerate(guardians):
        row = {f: _clean_text(guardian.get(f), one_line=True) for f in GUARDIAN_FIELDS}
        if not any(row.values()):
            continue
        prefix = f"guardians-{number}-"
        for field, value in row.items():
            limit = fields.GUARDIAN[field].length
            if limit and len(value) > limit:
                fail(prefix + field, too_long(limit))
        if not row["full_name"]:
            fail(prefix + "full_name", _("Enter the guardian's name."))
        try:
            row["email"] = normalize_email(row["email"])
        except ValueError as exc:
            fail(prefix + "email", str(exc))
        try:
            normalize_phone(row["phone"], region)
        except ValueError as exc:
            fail(prefix + "phone", str(exc))
        cleaned.append(row)
    return cleaned


def _check_unique(school_id: int, out: dict, student_id: int | None, fail) -> None:
    checks = (("email", _("A student of this school already has this email.")),
              ("personal_file_number", _("A student of this school already has this personal file number.")),
              ("national_id", _("A student of this school already has this national identifier.")),
              ("external_id", _("A student of this school already has this external ID.")))
    clash = set()
    for field, message in checks:
        if out.get(field):
            query = select(Student.id).where(Student.school_id == school_id, getattr(Student, field) == out[field])
            if student_id is not None:
                query = query.where(Student.id != student_id)
            if db.session.scalar(query.limit(1)) is not None:
                fail(field, message)
                clash.add(field)
    # A child of another school of the platform: a transfer, not a second record.
    if out.get("national_id") and "national_id" not in clash:
        elsewhere = db.session.scalar(
            select(School.name).join(Student, Student.school_id == School.id)
            .where(Student.national_id == out["national_id"], Student.school_id != school_id,
                   Student.status == Status.STUDYING.value, School.is_active).limit(1))
        if elsewhere is not None:
            fail("national_id", _("This child studies at %(school)s: ask for them on the Transfers page (find "
                                  "them by this number) instead of adding them again.", school=elsewhere))


def _apply(student: Student, cleaned: dict) -> list[str]:
    """Write cleaned values onto the student; return the names of the fields that changed."""
    changed = []
    for field, value in cleaned.items():
        if field in LINKS:
            attr, model = LINKS[field]
            current = sorted(x.id for x in getattr(student, attr))
            if current != value:
                setattr(student, attr, list(db.session.scalars(select(model).where(model.id.in_(value)))))
                changed.append(attr)
        elif field == "guardians":
            current = [{f: getattr(g, f) for f in GUARDIAN_FIELDS} for g in student.guardians]
            if current != value:
                student.guardians = [Guardian(**g) for g in value]
                changed.append("guardians")
        elif getattr(student, field) != value:
            setattr(student, field, value)
            if field != "phone_normalized":
                changed.append(field)
    student.refresh_search_key()
    return changed


def _commit_or_explain() -> None:
    """Commit; a race that slipped past the uniqueness check still gets a message, not a stack trace."""
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        text = str(exc.orig).lower()
        field = next((f for f in ("personal_file_number", "national_id", "external_id") if f in text), "email")
        raise ValidationFailed({field: [_("Another student of this school already has this value.")]}) from exc


def index_names(rows) -> None:
    """Rewrite the name-word index of the given students: rows of (id, school_id, search_key).

    Every path that writes names calls this in its own transaction (bulk for imports and demo data).
    """
    rows = list(rows)
    if not rows:
        return
    db.session.execute(sql_delete(student_name_part).where(student_name_part.c.student_id.in_([r[0] for r in rows])))
    parts = [{"student_id": sid, "school_id": school_id, "part": part}
             for sid, school_id, key in rows for part in name_parts(key)]
    if parts:
        db.session.execute(insert(student_name_part), parts)


def _check_duplicates(school_id: int, cleaned: dict, student: Student | None = None) -> None:
    """Refuse to save a child who looks like a student already on the list (PossibleDuplicate lists them); an
    edit is asked only when it changes what duplicates are found by."""
    if student is not None:
        current = {name: getattr(student, name) for name in KEYED_FIELDS - {"guardians"}}
        current["guardians"] = [{"phone": g.phone} for g in student.guardians]
        if all(current[name] == cleaned[name] if name != "guardians" else
               [g["phone"] for g in current[name]] == [g["phone"] for g in cleaned[name]]
               for name in KEYED_FIELDS if name in cleaned):
            return
    found = duplicates.find(school_id, cleaned, cleaned.get("guardians") or (),
                            student_id=student.id if student else None)
    if found:
        raise PossibleDuplicate(found)


def create(school_id: int, data: dict, *, actor, source: str = Source.MANUAL.value, order=None,
           allow_duplicate: bool = True) -> int:
    """Add a student to the school's roster (arrived today, by the order given) and return its id.

    allow_duplicate=False (Add's first submit): a child who looks like a student of the list is not saved
    (PossibleDuplicate) until the admin confirms."""
    permissions.require(actor, school_id, "students.edit")
    errors, cleaned, the_order = {}, {}, None
    try:
        cleaned = clean(school_id, data)
    except ValidationFailed as exc:
        errors = dict(exc.field_errors)
    try:
        the_order = movements.order_for(school_id, order)
    except ValidationFailed as exc:
        errors |= exc.field_errors
    if errors:  # the fields' and the order's messages at once; nothing stays (an order made new is undone)
        db.session.rollback()
        raise ValidationFailed(errors)
    if not allow_duplicate:
        try:
            _check_duplicates(school_id, cleaned)
        except PossibleDuplicate:
            db.session.rollback()
            raise
    student = Student(school_id=school_id, source=source, account_status=AccountStatus.NO_ACCOUNT.value)
    _apply(student, cleaned)
    db.session.add(student)
    db.session.flush()
    index_names([(student.id, school_id, student.search_key)])
    duplicates.index([student.id], school_id)
    movements.arrived(school_id, [student.id], order=the_order, actor=actor)
    audit.record("student created", actor=actor, school_id=school_id, target=student,
                 details={"name": student.full_name})
    _commit_or_explain()
    return student.id


def get(student_id: int, school_id: int, *, actor) -> Student:
    """Return a student the actor may see in this school, or raise NotFound."""
    role = permissions.require(actor, school_id, "students.view")
    student = db.session.scalar(
        select(Student).where(Student.id == student_id, Student.status != Status.MERGED.value,
                              *permissions.visible_students(school_id, actor, role))
    )
    if student is None:
        raise NotFound(_("No such student in this school."))
    return student


@refusals_roll_back
def update(student_id: int, school_id: int, data: dict, *, actor, allow_duplicate: bool = True) -> list[str]:
    """Change a student's fields; return the names of the fields that changed (allow_duplicate: as create)."""
    permissions.require(actor, school_id, "students.edit")
    student = get(student_id, school_id, actor=actor)
    movements.require_studying(student)
    cleaned = clean(school_id, data, student_id=student.id)
    if not allow_duplicate:
        _check_duplicates(school_id, cleaned, student)
    sections_before = [s.name for s in student.sections]
    changed = _apply(student, cleaned)
    if "sections" in changed:  # a move between sections is a movement too
        movements.moved(school_id, {student.id: (sections_before, [s.name for s in student.sections])}, actor=actor)
    if NAME_FIELDS & set(changed):
        index_names([(student.id, school_id, student.search_key)])
    if KEYED_FIELDS & set(changed):
        duplicates.index([student.id], school_id)
    if changed:
        audit.record("student updated", actor=actor, school_id=school_id, target=student,
                     details={"fields": changed})
    _commit_or_explain()
    return changed


def activate(student_ids: list[int], school_id: int, *, actor) -> list[int]:
    """Activate the given pending students of the school; return the ids that this call activated.

    A conditional UPDATE (pending -> active): a double submit or two admins at once activate each student
    once, with one mail and one audit event.
    """
    role = permissions.require(actor, school_id, "students.activate")
    visible = select(Student.id).where(Student.id.in_([int(i) for i in student_ids]),
                                       *permissions.visible_students(school_id, actor, role))
    activated = db.session.scalars(
        sql_update(Student)
        .where(Student.id.in_(visible), Student.account_status == AccountStatus.PENDING.value,
               Student.status == Status.STUDYING.value)
        .values(account_status=AccountStatus.ACTIVE.value, updated_at=utcnow())
        .returning(Student.id)
        .execution_options(synchronize_session=False)
    ).all()
    if activated:
        movements.arrived(school_id, list(activated), actor=actor)
        school = db.session.get(School, school_id)
        for student in db.session.scalars(select(Student).where(Student.id.in_(activated))):
            audit.record("student activated", actor=actor, school_id=school_id, target=student)
            if student.email:
                emails.account_activated(school, student)
    db.session.commit()
    return list(activated)


@refusals_roll_back
def change_email(student_id: int, school_id: int, new: str, confirm: str, *, actor) -> str:
    """Give a student a new email; their login follows when it was their email. Both addresses are told."""
    permissions.require(actor, school_id, "students.change_email")
    student = get(student_id, school_id, actor=actor)
    movements.require_studying(student)
    if student.user_id is not None and not accounts.changeable_accounts([student.user_id], school_id):
        raise ValidationFailed({"new_email": [_(accounts.NOT_THEIRS)]})
    errors: dict[str, list[str]] = {}
    address = accounts.required_address(new, field="new_email", missing=_("Enter the new email address."))
    if (confirm or "").strip().lower() != address:
        errors["confirm_email"] = [_("The two addresses differ.")]
    elif address == student.email:
        errors["new_email"] = [_("This is already the student's email.")]
    else:
        taken_here = db.session.scalar(select(Student.id).where(
            Student.school_id == school_id, Student.email == address, Student.id != student.id).limit(1))
        if taken_here or accounts.address_taken(address, except_user_id=student.user_id):
            errors["new_email"] = [_("Another student of this school or another account already uses this address.")]
    if errors:
        raise ValidationFailed(errors)
    old = student.email
    student.email = address
    if student.user is not None:
        if student.user.login == student.user.email:
            student.user.login = address
        student.user.email = address
    school = db.session.get(School, school_id)
    audit.record("email changed", actor=actor, school_id=school_id, target=student,
                 details={"from": old or "", "to": address})
    emails.email_changed(school, student, old)
    _commit_or_explain()
    return address
