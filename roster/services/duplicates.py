"""Who in this school may be this child? One answer for Add and Edit, the import's preview, sign-ups and the
Duplicates page: a score with its reasons ("same name and date of birth", "same phone and first name").

No record is compared with every other: each student's blocking keys are stored in `duplicate_key` as 64-bit
hashes (the date of birth with the names' initials, each phone of theirs or their guardians', the name alone
where a date is missing), and a candidate is compared only with the students that share a key: on a school's
whole list the pairs that share one are few, and most of them matches. Names are compared on
`roster.name_keys.name_key` (Ё/Е, Kazakh letters, Latin transliterations folded), in either order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from hashlib import blake2b

from flask_babel import gettext as _
from rapidfuzz.distance import Levenshtein
from sqlalchemy import and_, delete, func, or_, select

from roster import permissions
from roster.errors import NotFound, ValidationFailed
from roster.extensions import db
from roster.i18n import N_
from roster.models import Guardian, School, Status, Student
from roster.name_keys import name_key, phone_digits
from roster.records import DuplicateDismissal, duplicate_key
from roster.services import audit
from roster.sql import id_in, insert_plain, pairs_in

# Reasons, strongest first, each with its score; a pair's score is its best reason's plus 5 for each other one.
SAME_ID = {"KZ": N_("same IIN"), "RU": N_("same SNILS"), "": N_("same national number")}
REASONS = {
    "id": 100,
    "email": 90,
    "name_date": 90,
    "similar_name_date": 75,
    "phone_first": 70,
    "name": 60,
    "guardian_last": 60,
}
REASON_TEXTS = {
    "email": N_("same email"),
    "name_date": N_("same name and date of birth"),
    "similar_name_date": N_("similar name and same date of birth"),
    "phone_first": N_("same phone and first name"),
    "name": N_("same name (a date of birth is missing)"),
    "guardian_last": N_("same guardian phone and last name"),
}
THRESHOLD = 60  # a pair scored lower is not shown
MAX_CANDIDATES = 200  # students one candidate is compared with, at most
MAX_BLOCK = 50  # a key shared by more students than this (a common name) says little: the page skips it
LAST_NAME_EDITS = 2  # letters that may differ in a last name when the first name and the date of birth agree


@dataclass(slots=True)
class Person:
    """What comparing needs of a student or a candidate, folded once."""

    id: int | None
    name: str  # as written, for the page
    last: str
    first: str
    birth_date: date | None
    phones: tuple[str, ...]  # the child's own (tuples: a hundred thousand of them are held at once)
    guardian_phones: tuple[str, ...]
    email: str = ""
    national_id: str = ""
    status: str = Status.STUDYING.value


@dataclass(slots=True)
class Match:
    student_id: int
    name: str
    score: int
    reasons: list[str] = field(default_factory=list)  # codes of REASONS
    status: str = Status.STUDYING.value

    def texts(self, country: str | None = None) -> list[str]:
        """The reasons in the page's language."""
        return [reason_text(code, country) for code in self.reasons]


def reason_text(code: str, country: str | None = None) -> str:
    """A reason's words in the page's language (the national number named as the school's country names it)."""
    if code == "id":
        return _(SAME_ID.get((country or "").upper(), SAME_ID[""]))
    return _(REASON_TEXTS[code])


def person(values: dict, guardians: Iterable[dict] = (), student_id: int | None = None) -> Person:
    """A Person from cleaned student values (as the services and the import hold them)."""
    last, first = values.get("last_name") or "", values.get("first_name") or ""
    own = phone_digits(values.get("phone_normalized") or values.get("phone"))
    return Person(
        id=student_id, name=" ".join(filter(None, (last, first, values.get("middle_name")))),
        last=name_key(last), first=name_key(first), birth_date=values.get("birth_date"),
        phones=(own,) if own else (),
        guardian_phones=tuple({p for p in (phone_digits(g.get("phone")) for g in guardians) if p}),
        email=values.get("email") or "", national_id=values.get("national_id") or "",
        status=values.get("status") or Status.STUDYING.value)


def _hash(*parts) -> int:
    """A key as a signed 64-bit integer: small to store and index; a rare collision only adds a candidate, which
    the comparison then turns down. Well mixed in all 64 bits: PostgreSQL hashes a bigint by folding its halves
    together, and two CRC-32s of one text fold to nearly one value for every text of a length (a hash join of
    300,000 keys then took a minute)."""
    return int.from_bytes(blake2b("\x1f".join(parts).encode(), digest_size=8).digest(), "big", signed=True)


def keys(p: Person) -> dict[int, bool]:
    """A person's blocking keys, each standing for one reason, so that who shares a key is nearly always a
    match: {key: wide}. The name alone is a wide key of a child whose birth date is known (it is there only to be
    found by a child whose date is missing: two children with one name and two dates are two children)."""
    found: dict[int, bool] = {}
    born = p.birth_date.isoformat() if p.birth_date else None
    if p.last and p.first:
        name = sorted((p.last, p.first))  # either order: swapped names meet
        found[_hash("n", *name)] = born is not None
        if born:  # the date and the initials: the same name, or one with a letter wrong (not the first)
            found[_hash("d", born, *sorted((p.last[0], p.first[0])))] = False
    found.update((_hash("p", phone), False) for phone in {*p.phones, *p.guardian_phones})
    return found


def _similar(one: str, other: str) -> bool:
    return Levenshtein.distance(one, other, score_cutoff=LAST_NAME_EDITS) <= LAST_NAME_EDITS


def compare(a: Person, b: Person) -> Match | None:
    """Score two people; None when they are not likely one child."""
    reasons = []
    if a.national_id and b.national_id:
        if a.national_id != b.national_id:
            return None  # two numbers: two children
        reasons.append("id")
    if a.email and a.email == b.email:
        reasons.append("email")
    if not (a.birth_date and b.birth_date and a.birth_date != b.birth_date):  # two dates: two children, unless ↑
        same_name = bool(a.last and a.first) and sorted((a.last, a.first)) == sorted((b.last, b.first))
        same_date = a.birth_date is not None and a.birth_date == b.birth_date
        if same_name and same_date:
            reasons.append("name_date")
        elif same_date and a.first and a.last and b.first and b.last and (
                (a.first == b.first and _similar(a.last, b.last)) or (a.last == b.last and _similar(a.first, b.first))):
            reasons.append("similar_name_date")
        elif same_name:
            reasons.append("name")
        if set(a.phones).intersection(b.phones) and a.first and a.first == b.first:
            reasons.append("phone_first")
        elif (set(a.phones + a.guardian_phones).intersection(b.phones + b.guardian_phones) and a.last
              and a.last == b.last and _similar(a.first, b.first)):
            reasons.append("guardian_last")
    if not reasons:
        return None
    scores = sorted((REASONS[r] for r in reasons), reverse=True)
    score = min(100, scores[0] + 5 * (len(scores) - 1))
    if score < THRESHOLD:
        return None
    reasons.sort(key=lambda r: -REASONS[r])
    return Match(b.id, b.name, score, reasons, b.status)


# ---- stored keys ---------------------------------------------------------------------------------------------

def load(ids: Iterable[int]) -> dict[int, Person]:
    """The people of these student ids, with their guardians' phones: two queries a thousand ids."""
    ids = list(ids)
    people: dict[int, Person] = {}
    phones: dict[int, set[str]] = defaultdict(set)
    for chunk in _chunks(ids):
        for sid, phone in db.session.execute(
                select(Guardian.student_id, Guardian.phone).where(id_in(Guardian.student_id, chunk),
                                                                  Guardian.phone != "")):
            if digits := phone_digits(phone):
                phones[sid].add(digits)
        for row in db.session.execute(
                select(Student.id, Student.last_name, Student.first_name, Student.middle_name, Student.birth_date,
                       Student.phone_normalized, Student.email, Student.national_id, Student.status)
                .where(id_in(Student.id, chunk))):
            values = row._asdict()
            people[row.id] = person(values, (), row.id)
            people[row.id].guardian_phones = tuple(phones[row.id])
    return people


def index(student_ids: Iterable[int], school_id: int) -> None:
    """Bring the blocking keys of these students up to date (every service that writes a student's names, birth
    date, phones or guardians calls this in its own transaction): only the keys that changed are written. A
    merged record keeps none."""
    for chunk in _chunks(list(student_ids)):
        people = load(chunk)
        stored: dict[int, dict[int, bool]] = defaultdict(dict)
        for sid, key, wide in db.session.execute(select(duplicate_key.c.student_id, duplicate_key.c.key,
                                                        duplicate_key.c.wide)
                                                 .where(id_in(duplicate_key.c.student_id, chunk))):
            stored[sid][key] = wide
        gone, new = [], []
        for sid in chunk:
            p = people.get(sid)
            wanted = keys(p) if p is not None and p.status != Status.MERGED.value else {}
            gone += [(sid, key) for key, wide in stored[sid].items() if wanted.get(key) != wide]
            new += [(sid, key, wide) for key, wide in wanted.items() if stored[sid].get(key) != wide]
        if gone:  # one statement for the chunk's keys that went, found through the students' ids (the primary key)
            db.session.execute(delete(duplicate_key).where(
                id_in(duplicate_key.c.student_id, sorted({sid for sid, _key in gone})),
                pairs_in(duplicate_key.c.student_id, duplicate_key.c.key, gone)))
        write_keys(new, school_id)


def write_keys(rows: Iterable[tuple[int, int, bool]], school_id: int) -> None:
    """Insert keys: (student id, key, wide) each (the import calls this with the keys it made for its rows)."""
    insert_plain(duplicate_key, ("student_id", "school_id", "key", "wide"),
                 [(sid, school_id, key, wide) for sid, key, wide in rows])


def _chunks(items: list, size: int = 1000):
    for start in range(0, len(items), size):
        yield items[start:start + size]


# ---- questions -----------------------------------------------------------------------------------------------

def candidates_of(people: list[Person], school_id: int, people_keys: list[dict] | None = None
                  ) -> dict[int, set[int]]:
    """For each person (by position), the ids of the school's students that share a key or an exact identifier.
    people_keys: each person's keys where the caller made them already."""
    found: dict[int, set[int]] = defaultdict(set)
    if db.session.scalar(select(duplicate_key.c.student_id).where(duplicate_key.c.school_id == school_id)
                         .limit(1)) is None:
        return found  # an empty school (an import's first file): nobody to find
    # A key wide for the person (its name, its birth date known) finds only students whose key is narrow.
    by_key: dict[tuple[int, bool], list[int]] = defaultdict(list)
    for position, p in enumerate(people):
        for key, wide in (people_keys[position] if people_keys else keys(p)).items():
            by_key[key, wide].append(position)
    for narrow_only in (False, True):
        wanted = [key for key, wide in by_key if wide == narrow_only]
        for chunk in _chunks(wanted, 900):
            query = select(duplicate_key.c.key, duplicate_key.c.student_id).where(
                duplicate_key.c.school_id == school_id, duplicate_key.c.key.in_(chunk))
            if narrow_only:
                query = query.where(duplicate_key.c.wide.is_(False))
            for key, sid in db.session.execute(query):
                for position in by_key[key, narrow_only]:
                    found[position].add(sid)
    exact = {("email", p.email): i for i, p in enumerate(people) if p.email}
    exact |= {("national_id", p.national_id): i for i, p in enumerate(people) if p.national_id}
    for column in ("email", "national_id"):
        values = [v for (c, v) in exact if c == column]
        for chunk in _chunks(values, 900):
            for sid, value in db.session.execute(
                    select(Student.id, getattr(Student, column))
                    .where(Student.school_id == school_id, getattr(Student, column).in_(chunk))):
                found[exact[(column, value)]].add(sid)
    for position, p in enumerate(people):
        found[position].discard(p.id)
    return found


def matches(people: list[Person], school_id: int, people_keys: list[dict] | None = None
            ) -> dict[int, list[Match]]:
    """For each person (by position), the school's students who may be them, best first."""
    found = candidates_of(people, school_id, people_keys)
    loaded = load({sid for ids in found.values() for sid in list(ids)[:MAX_CANDIDATES]})
    dismissed = _dismissed([p.id for p in people if p.id], school_id)
    out: dict[int, list[Match]] = {}
    for position, ids in found.items():
        p = people[position]
        scored = [m for sid in ids if sid in loaded and loaded[sid].status != Status.MERGED.value
                  and (p.id, sid) not in dismissed and (m := compare(p, loaded[sid]))]
        if scored:
            out[position] = sorted(scored, key=lambda m: (-m.score, m.name))
    return out


def find(school_id: int, values: dict, guardians: Iterable[dict] = (), *, student_id: int | None = None) -> list[Match]:
    """Who in this school may be the child these cleaned values describe (the one being edited excluded)."""
    return matches([person(values, guardians, student_id)], school_id).get(0, [])


def within(people: list[Person], people_keys: list[dict] | None = None) -> dict[int, Match]:
    """For each person of a list (an import's new rows, by position), the earlier one they may be; no
    all-pairs comparison: only those sharing a key are compared."""
    seen: dict[int, list[int]] = defaultdict(list)  # key -> positions; a wide key's as -1 - position
    out: dict[int, Match] = {}
    for position, p in enumerate(people):
        best = None
        compared = set()
        for key, wide in (people_keys[position] if people_keys else keys(p)).items():
            for entry in seen[key][:MAX_BLOCK]:
                other = entry if entry >= 0 else -1 - entry
                if other in compared or (wide and entry < 0):
                    continue
                compared.add(other)
                match = compare(p, people[other])
                if match and (best is None or match.score > best.score):
                    best, best.student_id = match, other
            seen[key].append(-1 - position if wide else position)
        if best is not None:
            out[position] = best
    return out


@dataclass
class Pair:
    first: Person
    second: Person
    match: Match


def pairs(school_id: int, *, actor) -> list[Pair]:
    """The school's likely pairs, best score first: students sharing a key (keys shared by more than MAX_BLOCK
    students skipped), scored, less the pairs dismissed."""
    permissions.require(actor, school_id, "students.merge")
    small = (select(duplicate_key.c.key).where(duplicate_key.c.school_id == school_id)
             .group_by(duplicate_key.c.key).having(func.count() > 1).having(func.count() <= MAX_BLOCK).subquery())
    a, b = duplicate_key.alias("a"), duplicate_key.alias("b")
    found = db.session.execute(
        select(a.c.student_id, b.c.student_id).distinct()
        .join(small, small.c.key == a.c.key)
        .join(b, and_(b.c.school_id == a.c.school_id, b.c.key == a.c.key, b.c.student_id > a.c.student_id))
        .where(a.c.school_id == school_id, or_(a.c.wide.is_(False), b.c.wide.is_(False)))).all()
    people = load({sid for pair in found for sid in pair})
    dismissed = _dismissed(list(people), school_id)
    out = []
    for one, other in found:
        if (one, other) in dismissed or one not in people or other not in people:
            continue
        match = compare(people[one], people[other])
        if match:
            out.append(Pair(people[one], people[other], match))
    return sorted(out, key=lambda p: (-p.match.score, p.first.name, p.first.id))


def _dismissed(ids: list[int], school_id: int) -> set[tuple[int, int]]:
    """Pairs an admin said are not one child, both ways round."""
    out = set()
    for chunk in _chunks(ids):
        for one, other in db.session.execute(
                select(DuplicateDismissal.first_id, DuplicateDismissal.second_id)
                .where(DuplicateDismissal.school_id == school_id,
                       or_(id_in(DuplicateDismissal.first_id, chunk), id_in(DuplicateDismissal.second_id, chunk)))):
            out |= {(one, other), (other, one)}
    return out


def dismiss(school_id: int, first_id: int, second_id: int, *, actor) -> None:
    """Remember that two students are not one child: the pair is not shown again."""
    permissions.require(actor, school_id, "students.merge")
    one, other = sorted((int(first_id), int(second_id)))
    found = db.session.scalars(select(Student).where(Student.school_id == school_id, Student.id.in_((one, other)),
                                                     Student.status != Status.MERGED.value)).all()
    if one == other or len(found) != 2:
        raise NotFound(_("No such pair of students in this school."))
    exists = db.session.scalar(select(DuplicateDismissal.id).where(DuplicateDismissal.first_id == one,
                                                                   DuplicateDismissal.second_id == other))
    if exists:
        raise ValidationFailed({"": [_("This pair was already marked as two children.")]})
    db.session.add(DuplicateDismissal(school_id=school_id, first_id=one, second_id=other,
                                      by_id=getattr(actor, "id", None)))
    names = {s.id: s.full_name for s in found}
    audit.record("duplicate dismissed", actor=actor, school_id=school_id,
                 details={"students": [one, other], "names": [names[one], names[other]]})
    db.session.commit()


def country_of(school_id: int) -> str:
    return db.session.scalar(select(School.country).where(School.id == school_id)) or ""
