"""Closing the school year: every section moves up a grade, the top grades graduate, exceptions per child, a
preview, one order, Apply in the background — and undo, of the whole close or of one child.

The wizard's choices live in a draft YearClose until Apply: each section of the current year maps to next year's
section (suggested from the grade in its name: 5А → 6А, "10 Б" → "11 Б"), to Graduates (the school's top grades,
9 and 11 unless set) or is dissolved (its children then need a section one by one); a child may repeat the grade,
leave, or go to another section. Apply makes next year and its sections (teachers carried over), then, a chunk of
children a transaction, moves each child's links of this year's sections to the archive (past_section_member),
links them to next year's section, writes their movement of the order (promoted, repeated; graduated and left
are Left movements with their reason) and a YearCloseEntry that undo reads; at the end next year becomes current.
A close whose process died is taken up where it stopped: the children still linked to this year's sections are
the ones left to do. Undo is roster.services.year_close_undo.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from roster import permissions
from roster.errors import NotFound, RosterError, ValidationFailed
from roster.extensions import db
from roster.i18n import N_
from roster.models import (
    MovementKind,
    School,
    SchoolYear,
    Section,
    Status,
    Student,
    Transfer,
    past_section_member,
    section_teacher,
    student_section,
    utcnow,
)
from roster.records import YearClose, YearCloseEntry
from roster.services import audit, movements, refusals_roll_back, years
from roster.sql import id_in, pairs_in

DRAFT, APPLYING, APPLIED, UNDONE = "draft", "applying", "applied", "undone"
PROMOTE, GRADUATE, DISSOLVE = "promote", "graduate", "dissolve"
REPEAT, LEAVE, MOVE = "repeat", "leave", "move"
PROMOTED, REPEATED, GRADUATED, LEFT, ARCHIVED = "promoted", "repeated", "graduated", "left", "archived"
CHUNK = 2000
GRADE = re.compile(r"^\s*(\d{1,2})(\s*-?\s*)(.*?)\s*$")

WARNINGS = {
    "unmapped": N_("Section %(section)s is mapped nowhere: choose its next-year section, Graduates or Dissolve."),
    "dissolved": N_("%(name)s is in %(section)s, which is dissolved: give them a section (an exception)."),
    "no target": N_("%(name)s has no next-year section: give one in the exception."),
    "two sections": N_("%(name)s is in two sections of the year (%(sections)s): the first decides."),
    "transfer": N_("%(name)s has an open transfer: it is decided separately."),
    "pending": N_("%(name)s has a sign-up waiting for activation."),
}
BLOCKING = {"unmapped", "dissolved", "no target"}


def top_grades(school: School) -> set[int]:
    return {int(n) for n in re.findall(r"\d{1,2}", school.top_grades or "")}


def suggest(name: str, top: set[int]) -> dict:
    """A section's next-year section by the grade in its name: "5А" → 6А, "10 Б" → "11 Б", a top grade →
    Graduates; a name without a grade is mapped nowhere (the admin chooses)."""
    match = GRADE.match(name or "")
    if not match:
        return {"action": "", "to": ""}
    grade = int(match.group(1))
    if grade in top:
        return {"action": GRADUATE, "to": ""}
    return {"action": PROMOTE, "to": f"{grade + 1}{match.group(2)}{match.group(3)}".strip()}


def _require(school_id: int, actor) -> None:
    permissions.require(actor, school_id, "year.close")


def _sections(year_id: int) -> list[Section]:
    return list(db.session.scalars(select(Section).where(Section.year_id == year_id).order_by(Section.name)))


@refusals_roll_back
def draft(school_id: int, *, actor) -> YearClose:
    """The school's close of its current year: the one being prepared or applied, else a new draft with every
    section's suggestion."""
    _require(school_id, actor)
    year = years.current(school_id)
    close = db.session.scalar(select(YearClose).where(YearClose.school_id == school_id,
                                                      YearClose.from_year_id == year.id,
                                                      YearClose.status.in_((DRAFT, APPLYING)))
                              .order_by(YearClose.id.desc()))
    if close is None:
        top = top_grades(db.session.get(School, school_id))
        close = YearClose(school_id=school_id, from_year_id=year.id, status=DRAFT, created_by_id=actor.id,
                          mapping={str(s.id): suggest(s.name, top) for s in _sections(year.id)})
        db.session.add(close)
        db.session.commit()
    return close


def latest(school_id: int, *, actor) -> YearClose | None:
    """The school's last applied close (the one undo is for), if any."""
    _require(school_id, actor)
    return db.session.scalar(select(YearClose).where(YearClose.school_id == school_id,
                                                     YearClose.status == APPLIED).order_by(YearClose.id.desc()))


def get(close_id: int, school_id: int, *, actor) -> YearClose:
    _require(school_id, actor)
    close = db.session.scalar(select(YearClose).where(YearClose.id == close_id, YearClose.school_id == school_id))
    if close is None:
        raise NotFound(_("No such close of a school year in this school."))
    return close


def _editable(close_id: int, school_id: int, actor) -> YearClose:
    close = get(close_id, school_id, actor=actor)
    if close.status != DRAFT:
        raise ValidationFailed({"close": [_("This close has been applied: its choices can no longer change.")]})
    return close


def _clean_name(name: str) -> str:
    return " ".join((name or "").split())[:120]


@refusals_roll_back
def save_map(close_id: int, school_id: int, mapping: dict[int, tuple], *, actor) -> None:
    """Each section's choice: promote to a named section (its teachers carried over, unless unticked), graduate,
    or dissolve. A value is (action, next year's name) or (action, name, carry teachers)."""
    close = _editable(close_id, school_id, actor)
    known = {str(s.id) for s in _sections(close.from_year_id)}
    errors: dict[str, list[str]] = {}
    saved = dict(close.mapping or {})
    for section_id, (action, to, *carry) in mapping.items():
        key = str(section_id)
        if key not in known:
            raise NotFound(_("No such section in this school."))
        to = _clean_name(to)
        if action not in (PROMOTE, GRADUATE, DISSOLVE, ""):
            errors.setdefault(f"action-{key}", []).append(_("Choose from the list."))
        elif action == PROMOTE and not to:
            errors.setdefault(f"to-{key}", []).append(_("Enter next year's section."))
        saved[key] = {"action": action, "to": to if action == PROMOTE else "",
                      "teachers": bool(carry[0]) if carry else True}
    if errors:
        raise ValidationFailed(errors)
    close.mapping = saved
    db.session.commit()


@refusals_roll_back
def save_top_grades(close_id: int, school_id: int, text: str, *, actor) -> None:
    """The school's top grades (those that graduate), and every section's suggestion made again from them."""
    close = _editable(close_id, school_id, actor)
    grades = sorted({int(n) for n in re.findall(r"\d+", text or "") if 1 <= int(n) <= 12})
    if not grades:
        raise ValidationFailed({"top_grades": [_("Enter the grades that graduate, such as 9, 11.")]})
    school = db.session.get(School, school_id)
    school.top_grades = ", ".join(map(str, grades))
    close.mapping = {str(s.id): suggest(s.name, set(grades)) for s in _sections(close.from_year_id)}
    audit.record("top grades changed", actor=actor, school_id=school_id, details={"grades": school.top_grades})
    db.session.commit()


@refusals_roll_back
def save_exception(close_id: int, school_id: int, student_id: int, action: str, *, to: str = "", reason: str = "",
                   actor) -> None:
    """One child's exception: repeats the grade, leaves (with a reason), or goes to another section; an empty
    action removes it."""
    close = _editable(close_id, school_id, actor)
    linked = db.session.scalar(select(student_section.c.student_id).join(
        Section, Section.id == student_section.c.section_id).where(
        student_section.c.student_id == student_id, Section.year_id == close.from_year_id).limit(1))
    if linked is None:
        raise NotFound(_("No such student in this year's sections."))
    exceptions = dict(close.exceptions or {})
    if not action:
        exceptions.pop(str(student_id), None)
    else:
        to = _clean_name(to)
        if action not in (REPEAT, LEAVE, MOVE):
            raise ValidationFailed({"action": [_("Choose from the list.")]})
        if action == MOVE and not to:
            raise ValidationFailed({"to": [_("Enter next year's section.")]})
        if action == LEAVE and reason not in dict(movements.reasons(school_id)):
            raise ValidationFailed({"reason": [_("Choose from this school's list.")]})
        exceptions[str(student_id)] = {"action": action, "to": to if action == MOVE else "",
                                       "reason": reason if action == LEAVE else ""}
    close.exceptions = exceptions
    db.session.commit()


@refusals_roll_back
def save_flags(close_id: int, school_id: int, clear_individual: list[int], *, actor) -> None:
    """The children whose "is individual" is not carried into next year."""
    close = _editable(close_id, school_id, actor)
    close.clear_individual = sorted({int(i) for i in clear_individual})
    db.session.commit()


# The plan: every child of the year's sections and where they go.

@dataclass
class Step:
    student_id: int
    kind: str  # promoted, repeated, graduated, left, archived (not studying: their links go to the archive only)
    from_ids: list[int]
    to: str = ""  # next year's section name
    reason: str = ""


@dataclass
class Plan:
    steps: list[Step] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (code, message)

    @property
    def blocked(self) -> bool:
        return any(code in BLOCKING for code, _m in self.warnings)

    def counts(self) -> dict[str, int]:
        return dict(sorted(Counter(s.to for s in self.steps if s.kind in (PROMOTED, REPEATED)).items()))

    def kinds(self) -> dict[str, int]:
        return dict(Counter(s.kind for s in self.steps))


def _section_names(year_id: int) -> dict[int, str]:
    return dict(db.session.execute(select(Section.id, Section.name).where(Section.year_id == year_id)).all())


def _linked(year_id: int) -> list[int]:
    """The children linked to a section of the year (those a close has still to move)."""
    return list(db.session.scalars(select(student_section.c.student_id).where(
        student_section.c.section_id.in_(select(Section.id).where(Section.year_id == year_id)))
        .distinct().order_by(student_section.c.student_id)))


def _links(year_id: int, names: dict[int, str], student_ids: list[int] | None = None) -> dict[int, list[int]]:
    """Each child linked to a section of the year (of `student_ids` when given): their sections of it, by name."""
    query = select(student_section.c.student_id, student_section.c.section_id)
    if student_ids is None:
        query = query.where(student_section.c.section_id.in_(select(Section.id).where(Section.year_id == year_id)))
    else:
        query = query.where(id_in(student_section.c.student_id, student_ids))
    links: dict[int, list[int]] = defaultdict(list)
    for student_id, section_id in db.session.execute(query):
        if section_id in names:
            links[student_id].append(section_id)
    for section_ids in links.values():
        section_ids.sort(key=lambda i: (names[i], i))
    return dict(sorted(links.items()))


def plan(close: YearClose, *, student_ids: list[int] | None = None, names: dict[int, str] | None = None,
         warn: bool = True) -> Plan:
    """Where each child of the year's sections goes (of `student_ids` when given), with warnings."""
    sections = names if names is not None else _section_names(close.from_year_id)
    links = _links(close.from_year_id, sections, student_ids)
    info = {sid: (status, account, " ".join(p for p in (last, first, middle) if p))
            for sid, status, account, last, first, middle in db.session.execute(
                select(Student.id, Student.status, Student.account_status, Student.last_name, Student.first_name,
                       Student.middle_name).where(id_in(Student.id, list(links))))} if links else {}
    result = Plan()
    mapping, exceptions = close.mapping or {}, close.exceptions or {}
    if warn:
        for section_id, name in sections.items():
            if not (mapping.get(str(section_id)) or {}).get("action"):
                result.warnings.append(("unmapped", _(WARNINGS["unmapped"], section=name)))
    for student_id, section_ids in links.items():
        status, account, name = info.get(student_id, (Status.LEFT.value, "", ""))
        if status != Status.STUDYING.value:
            result.steps.append(Step(student_id, ARCHIVED, section_ids))
            continue
        primary = section_ids[0]
        if warn and len(section_ids) > 1:
            result.warnings.append(("two sections", _(WARNINGS["two sections"], name=name, sections=", ".join(
                sections[i] for i in section_ids))))
        if warn and account == "pending":
            result.warnings.append(("pending", _(WARNINGS["pending"], name=name)))
        exception = exceptions.get(str(student_id))
        choice = mapping.get(str(primary)) or {}
        if exception and exception["action"] == REPEAT:
            step = Step(student_id, REPEATED, section_ids, to=sections[primary])
        elif exception and exception["action"] == LEAVE:
            step = Step(student_id, LEFT, section_ids, reason=exception["reason"])
        elif exception and exception["action"] == MOVE:
            step = Step(student_id, PROMOTED, section_ids, to=exception["to"])
        elif choice.get("action") == GRADUATE:
            step = Step(student_id, GRADUATED, section_ids, reason="graduated")
        elif choice.get("action") == PROMOTE and choice.get("to"):
            step = Step(student_id, PROMOTED, section_ids, to=choice["to"])
        else:
            if not warn:  # Apply is running (a section made since the preview): the archive keeps their link
                result.steps.append(Step(student_id, ARCHIVED, section_ids))
            elif choice.get("action") == DISSOLVE:
                result.warnings.append(("dissolved", _(WARNINGS["dissolved"], name=name, section=sections[primary])))
            else:
                result.warnings.append(("no target", _(WARNINGS["no target"], name=name)))
            continue
        result.steps.append(step)
    if warn and links:
        open_transfers = set(db.session.scalars(select(Transfer.student_id).where(
            Transfer.state == "open", id_in(Transfer.student_id, list(links)))))
        for student_id in sorted(open_transfers):
            result.warnings.append(("transfer", _(WARNINGS["transfer"], name=info[student_id][2])))
    return result


# Apply.

@refusals_roll_back
def start(close_id: int, school_id: int, order: movements.OrderGiven, *, actor) -> None:
    """Check the plan and the order, make next year and its sections, and mark the close Applying (its children
    are moved in the background: run). Applying twice, or while another close runs, is refused."""
    close = get(close_id, school_id, actor=actor)
    if close.status != DRAFT:
        raise ValidationFailed({"close": [_("This close has already been applied.")]})
    if db.session.scalar(select(YearClose.id).where(YearClose.school_id == school_id, YearClose.status == APPLYING,
                                                    YearClose.id != close.id)):
        raise ValidationFailed({"close": [_("Another close of this school's year is running.")]})
    errors: dict[str, list[str]] = {}
    if not order.number or order.on is None:
        errors["order_number"] = [_("Enter the order's number and date: every move of the close is by that order.")]
    else:
        the_order = movements.order_for(school_id, order)
    if errors:
        raise ValidationFailed(errors)
    the_plan = plan(close)
    if the_plan.blocked:
        raise ValidationFailed({"close": [m for code, m in the_plan.warnings if code in BLOCKING][:20]})
    title, first, last = years.next_span(close.from_year)
    to_year = db.session.scalar(select(SchoolYear).where(SchoolYear.school_id == school_id,
                                                         SchoolYear.title == title))
    if to_year is None:
        to_year = SchoolYear(school_id=school_id, title=title, start=first, end=last, is_current=False)
        db.session.add(to_year)
        db.session.flush()
    _make_sections(close, to_year, the_plan)
    moved = db.session.execute(update(YearClose).where(YearClose.id == close.id, YearClose.status == DRAFT).values(
        status=APPLYING, to_year_id=to_year.id, order_id=the_order.id, total=len(the_plan.steps), done=0,
        progress_at=utcnow()).execution_options(synchronize_session=False))
    if moved.rowcount != 1:
        db.session.rollback()
        raise ValidationFailed({"close": [_("This close has already been applied.")]})
    audit.record("year close started", actor=actor, school_id=school_id,
                 details={"from": close.from_year.title, "to": title, "order": the_order.number,
                          "children": len(the_plan.steps)})
    db.session.commit()


def _make_sections(close: YearClose, to_year: SchoolYear, the_plan: Plan) -> None:
    """Next year's sections the plan names, made where missing, with the teachers of the sections mapped to them."""
    existing = {s.name: s for s in _sections(to_year.id)}
    teachers_of: dict[str, set[int]] = defaultdict(set)
    by_id = {s.id: s for s in _sections(close.from_year_id)}
    for key, choice in (close.mapping or {}).items():
        if choice.get("action") == PROMOTE and choice.get("to") and int(key) in by_id:
            carried = {t.id for t in by_id[int(key)].teachers} if choice.get("teachers", True) else set()
            teachers_of[choice["to"]] |= carried
    for name in sorted({s.to for s in the_plan.steps if s.to} | set(teachers_of)):
        if name not in existing:
            existing[name] = Section(school_id=close.school_id, year_id=to_year.id, name=name)
            db.session.add(existing[name])
    db.session.flush()
    rows = [{"section_id": existing[name].id, "user_id": uid} for name, ids in teachers_of.items() for uid in ids
            if not any(t.id == uid for t in existing[name].teachers)]
    if rows:
        db.session.execute(insert(section_teacher), rows)


def run(close_id: int, *, runner: str | None = None) -> None:
    """Move the close's children, a chunk a transaction, from where it stands; then next year becomes current."""
    close = db.session.get(YearClose, close_id)
    if close is None or close.status != APPLYING:
        return
    close.runner, close.progress_at = runner or close.runner, utcnow()
    from_year, to_year = close.from_year_id, close.to_year_id
    db.session.commit()
    names, next_sections = _section_names(from_year), {n: i for i, n in _section_names(to_year).items()}
    remaining = _linked(from_year)  # a run taken up again finds only who is left to move
    for begin in range(0, len(remaining), CHUNK):
        close = db.session.get(YearClose, close_id)
        if close is None or close.status != APPLYING:
            return
        the_plan = plan(close, student_ids=remaining[begin:begin + CHUNK], names=names, warn=False)
        try:
            _apply_chunk(close, the_plan, close.created_by or permissions.SYSTEM, names, next_sections)
        except IntegrityError:  # another process took this close up meanwhile: it goes on there
            db.session.rollback()
            return
        except RosterError as exc:
            db.session.rollback()
            close = db.session.get(YearClose, close_id)
            close.message = str(exc)
            db.session.commit()
            return
    close = db.session.get(YearClose, close_id)
    if close is not None and close.status == APPLYING and not _linked(from_year):
        _finish(close, close.created_by or permissions.SYSTEM)


def _apply_chunk(close: YearClose, the_plan: Plan, actor, names: dict[int, str], sections: dict[str, int]) -> None:
    steps = the_plan.steps
    if not steps:
        return
    ids = [s.student_id for s in steps]
    state = {sid: (status, individual) for sid, status, individual in db.session.execute(
        select(Student.id, Student.status, Student.is_individual).where(id_in(Student.id, ids)))}
    on, order = close.order.date, close.order
    db.session.execute(insert(YearCloseEntry), [{
        "close_id": close.id, "student_id": s.student_id, "kind": s.kind,
        "from_section_ids": ",".join(map(str, s.from_ids)), "to_section_id": sections.get(s.to),
        "previous_status": state[s.student_id][0], "was_individual": bool(state[s.student_id][1])} for s in steps])
    db.session.execute(insert(past_section_member), [{"student_id": s.student_id, "section_id": i}
                                                     for s in steps for i in s.from_ids])
    db.session.execute(delete(student_section).where(_pairs(student_section, [
        (s.student_id, i) for s in steps for i in s.from_ids])))
    links = [{"student_id": s.student_id, "section_id": sections[s.to]} for s in steps if s.to]
    if links:
        db.session.execute(insert(student_section), links)
    now = utcnow()
    for kind, status in ((GRADUATED, Status.GRADUATED.value), (LEFT, Status.LEFT.value)):
        for step_reason, group in _by_reason([s for s in steps if s.kind == kind]).items():
            db.session.execute(update(Student).where(id_in(Student.id, group)).values(
                status=status, dropout_date=on, dropout_reason=step_reason, dropout_note="", updated_at=now)
                .execution_options(synchronize_session=False))
            movements.record_many(close.school_id, group, MovementKind.LEFT, on, order, actor, reason=step_reason)
    cleared = set(close.clear_individual or [])
    if cleared & set(ids):
        db.session.execute(update(Student).where(id_in(Student.id, sorted(cleared & set(ids))))
                           .values(is_individual=False).execution_options(synchronize_session=False))
    for kind, movement in ((PROMOTED, MovementKind.PROMOTED), (REPEATED, MovementKind.REPEATED)):
        group = [s for s in steps if s.kind == kind]
        if group:
            movements.record_many(close.school_id, [s.student_id for s in group], movement, on, order, actor,
                                  moves={s.student_id: (", ".join(names[i] for i in s.from_ids), s.to)
                                         for s in group})
    gone = [s.student_id for s in steps if s.kind in (GRADUATED, LEFT)]
    if gone:
        movements.end_sessions_of(gone)
    close.done += len(steps)
    close.progress_at = now
    db.session.commit()


def _pairs(links, pairs: list[tuple[int, int]]):
    """(student, section) IN pairs: the links' primary key, looked up pair by pair."""
    return pairs_in(links.c.student_id, links.c.section_id, pairs)


def _by_reason(steps: list[Step]) -> dict[str, list[int]]:
    grouped: dict[str, list[int]] = defaultdict(list)
    for step in steps:
        grouped[step.reason].append(step.student_id)
    return grouped


def _finish(close: YearClose, actor) -> None:
    db.session.execute(update(SchoolYear).where(SchoolYear.school_id == close.school_id)
                       .values(is_current=False).execution_options(synchronize_session=False))
    db.session.flush()
    db.session.execute(update(SchoolYear).where(SchoolYear.id == close.to_year_id).values(is_current=True)
                       .execution_options(synchronize_session=False))
    close.status, close.applied_at, close.message = APPLIED, utcnow(), ""
    audit.record("year closed", actor=actor, school_id=close.school_id,
                 details={"from": close.from_year.title, "to": close.to_year.title, "children": close.done,
                          "order": close.order.number if close.order else ""})
    db.session.commit()


def stalled(runner: str) -> list[int]:
    """Applying closes silent for IMPORT_STALLED_AFTER: now this runner's, to go on where they stopped."""
    silent = utcnow() - timedelta(seconds=current_app.config["IMPORT_STALLED_AFTER"])
    ids = list(db.session.scalars(select(YearClose.id).where(
        YearClose.status == APPLYING, or_(YearClose.progress_at.is_(None), YearClose.progress_at < silent))))
    taken = []
    for close_id in ids:
        moved = db.session.execute(update(YearClose).where(
            YearClose.id == close_id, YearClose.status == APPLYING,
            or_(YearClose.progress_at.is_(None), YearClose.progress_at < silent))
            .values(runner=runner, progress_at=utcnow()).execution_options(synchronize_session=False))
        if moved.rowcount == 1:
            taken.append(close_id)
    db.session.commit()
    return taken


def beat(runner: str) -> None:
    db.session.execute(update(YearClose).where(YearClose.runner == runner, YearClose.status == APPLYING)
                       .values(progress_at=utcnow()).execution_options(synchronize_session=False))
    db.session.commit()

