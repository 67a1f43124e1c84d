"""OneRoster files read as a student list: a users.csv alone (OneRoster 1.1, with its `role` column) or a
OneRoster zip (1.1 or 1.2: manifest.csv, users.csv; 1.2's roles.csv; demographics.csv, classes.csv and
enrollments.csv where present), as 1EdTech's CSV binding describes them.

The reader turns them into rows of Roster's own columns, so that a OneRoster file goes through the one import
(its preview, errors, duplicates and job page): users whose role is student become rows (sourcedId as the
External ID, identifier as the personal file number, givenName, familyName, middleName, email, phone or sms,
birthDate and sex from demographics, the titles of their classes as sections, username as the login Credentials
offers, `metadata.*` columns naming a Roster field); everyone else, and a user marked tobedeleted, is a blank
row (the row numbers stay users.csv's own) and is named in the report's "not imported".
"""

from __future__ import annotations

import csv
import difflib
import io
import re
import zipfile
from collections import defaultdict

from flask_babel import gettext as _

from roster.i18n import N_
from roster.services.importing.columns import HEADER_ALIASES, column_label, header_key
from roster.services.importing.files import FileNotAccepted, text_encoding

USER_COLUMNS = ("sourcedId", "status", "dateLastModified", "enabledUser", "orgSourcedIds", "role", "username",
                "userIds", "givenName", "familyName", "middleName", "identifier", "email", "sms", "phone",
                "agentSourcedIds", "grades", "password", "userMasterIdentifier", "preferredGivenName",
                "preferredMiddleName", "preferredFamilyName", "primaryOrgSourcedId", "pronouns")
REQUIRED = ("sourcedId", "givenName", "familyName")
STUDENT = "student"
TO_BE_DELETED = "tobedeleted"
OTHER_SCHOOL = "other school"
DISABLED = "disabled"
# The Roster columns a OneRoster user becomes (labels the import reads), then the metadata columns it names.
COLUMNS = ("external_id", "last_name", "first_name", "middle_name", "email", "phone", "personal_file_number",
           "birth_date", "gender", "sections", "username")
# Where a school may put OneRoster's identifier (the upload form offers these): a field of the student, or nowhere.
IDENTIFIER_FIELDS = ("personal_file_number", "national_id", "none")
SEX = {"male": "male", "female": "female", "m": "male", "f": "female"}
MAX_MEMBER_BYTES = 20 * 1024 * 1024  # a zip's file, unpacked: a bomb stops here
# Why a OneRoster user was not imported, as the job's page says it: their role (1.1 and 1.2 roles), or status.
REASONS = {"teacher": N_("teachers"), "parent": N_("parents"), "guardian": N_("guardians"),
           "relative": N_("relatives"), "aide": N_("aides"), "proctor": N_("proctors"),
           "administrator": N_("administrators"), "siteAdministrator": N_("school administrators"),
           "districtAdministrator": N_("district administrators"), "systemAdministrator": N_("system administrators"),
           "principal": N_("principals"), TO_BE_DELETED: N_("marked to be deleted"), "no role": N_("with no role"),
           OTHER_SCHOOL: N_("of the file's other schools"), DISABLED: N_("disabled (enabledUser false)")}


def reason_text(reason: str) -> str:
    """A reason of "not imported" in the page's language (a role OneRoster does not name stays as written)."""
    return _(REASONS[reason]) if reason in REASONS else reason


def is_users_csv(header: list[str]) -> bool:
    """A header row of OneRoster's users.csv (its own column names, not a school's list): sourcedId and one more
    of the users' columns (a misspelt one among them is then named by _check_header)."""
    names = {str(h).strip() for h in header}
    return "sourcedId" in names and bool(names & {"givenName", "familyName", "role", "username", "enabledUser"})


class OneRosterRows:
    """The rows of a OneRoster file as Roster's columns (header first), and who was left out and why."""

    def __init__(self, users: list[dict], *, roles: dict[str, str], demographics: dict[str, dict],
                 sections: dict[str, list[str]], metadata: list[tuple[str, str]], elsewhere: frozenset = frozenset(),
                 identifier: str | None = None):
        self.users, self.roles, self.demographics = users, roles, demographics
        # The Roster columns of the rows: OneRoster's identifier in the field the school chose (none: left out).
        self.target = identifier if identifier in IDENTIFIER_FIELDS else "personal_file_number"
        self.columns = tuple(self.target if c == "personal_file_number" else c for c in COLUMNS
                             if c != "personal_file_number" or self.target != "none")
        self.sections, self.metadata = sections, metadata
        self.elsewhere = elsewhere  # users of the file's other schools (when the file names this school's org)
        self.not_imported: list[tuple[str, str]] = []  # (name, reason: the role, or "to be deleted")

    def __iter__(self):
        extra = [name for _header, name in self.metadata if name not in self.columns]
        yield [column_label(name) for name in (*self.columns, *extra)]
        for user in self.users:
            role = (self.roles.get(user.get("sourcedId", "")) or user.get("role") or "").strip()
            name = " ".join(filter(None, (user.get("familyName", "").strip(), user.get("givenName", "").strip())))
            if (user.get("status") or "").strip().lower() == TO_BE_DELETED:
                self.not_imported.append((name, TO_BE_DELETED))
                yield []
                continue
            if (user.get("enabledUser") or "").strip().lower() == "false":
                self.not_imported.append((name, DISABLED))
                yield []
                continue
            if user.get("sourcedId", "").strip() in self.elsewhere:
                self.not_imported.append((name, OTHER_SCHOOL))
                yield []
                continue
            if role.lower() != STUDENT:
                self.not_imported.append((name, role or "no role"))
                yield []
                continue
            sourced = user.get("sourcedId", "").strip()
            born = self.demographics.get(sourced, {})
            values = dict(zip(COLUMNS, (
                sourced, user.get("familyName", ""), user.get("givenName", ""), user.get("middleName", ""),
                user.get("email", ""), user.get("phone") or user.get("sms") or "", user.get("identifier", ""),
                born.get("birthDate", ""), SEX.get((born.get("sex") or "").strip().lower(), born.get("sex", "")),
                "; ".join(self.sections.get(sourced, ())), user.get("username", "")), strict=True))
            identifier = values.pop("personal_file_number")
            if self.target != "none":
                values[self.target] = identifier
            for header, name in self.metadata:  # a metadata column fills its field where OneRoster's own is empty
                if user.get(header) and not values.get(name):
                    values[name] = user[header]
            yield [values.get(name, "") for name in (*self.columns, *extra)]


def _metadata(header: list[str]) -> list[tuple[str, str]]:
    """The `metadata.*` columns naming a Roster field ("metadata.roster.birth_date", "metadata.is_inclusive")."""
    found = []
    for column in header:
        if not column.startswith("metadata."):
            continue
        name = HEADER_ALIASES.get(header_key(column.removeprefix("metadata.").removeprefix("roster.")))
        if name and name not in {n for _c, n in found}:
            found.append((column, name))
    return found


def _check_header(header: list[str], file_name: str, *, needs_role: bool) -> None:
    """A file missing a required OneRoster column (or with one misspelt) is refused with their names."""
    names = [h.strip() for h in header]
    missing = [c for c in (*REQUIRED, *(("role",) if needs_role else ())) if c not in names]
    if not missing:
        return
    guesses = []
    for column in missing:
        close = difflib.get_close_matches(column, [n for n in names if n not in USER_COLUMNS], n=1, cutoff=0.7)
        guesses.append(_("%(column)s (is “%(typed)s” it, misspelt?)", column=column, typed=close[0]) if close
                       else column)
    raise FileNotAccepted(_("This OneRoster %(file)s lacks the columns %(columns)s: a OneRoster users file names "
                            "them exactly so (sourcedId, givenName, familyName, and role in OneRoster 1.1).",
                            file=file_name, columns=", ".join(guesses)))


def _dicts(text: str) -> tuple[list[str], list[dict]]:
    reader = csv.reader(io.StringIO(text))
    rows = list(reader)
    if not rows:
        return [], []
    header = [h.strip() for h in rows[0]]
    return header, [dict(zip(header, row, strict=False)) for row in rows[1:]]


def users_rows(header: list[str], rows, identifier: str | None = None) -> OneRosterRows:
    """A lone users.csv (OneRoster 1.1: its role column says who is a student)."""
    header = [str(h).strip() for h in header]
    _check_header(header, "users.csv", needs_role=True)
    users = [dict(zip(header, ["" if v is None else str(v) for v in row], strict=False)) for row in rows]
    return OneRosterRows(users, roles={}, demographics={}, sections={}, metadata=_metadata(header),
                         identifier=identifier)


def _member(archive: zipfile.ZipFile, name: str) -> str | None:
    """A file of the zip as text (matched by its name in any case, in any folder), or None."""
    found = [info for info in archive.infolist() if info.filename.rsplit("/", 1)[-1].lower() == name.lower()]
    if not found:
        return None
    if found[0].file_size > MAX_MEMBER_BYTES:
        raise FileNotAccepted(_("The zip's %(file)s is too large to import.", file=name))
    data = archive.read(found[0])
    return data.decode(text_encoding(data))


_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def _iso_birth_date(demographic: dict) -> dict:
    """Microsoft School Data Sync's OneRoster-based files (SDS v2.1) key demographics by userSourcedId and write
    dates as M/D/YYYY; OneRoster writes YYYY-MM-DD. Either becomes the ISO date."""
    found = _US_DATE.fullmatch((demographic.get("birthDate") or "").strip())
    if found and "userSourcedId" in demographic:
        month, day, year = (int(part) for part in found.groups())
        return demographic | {"birthDate": f"{year:04d}-{month:02d}-{day:02d}"}
    return demographic


def _org_of(archive: zipfile.ZipFile, school) -> str | None:
    """The sourcedId of the file's org that is this school (an org of orgs.csv with its name, or its slug as the
    identifier); None (no such org): the whole file is taken as this school's."""
    text = _member(archive, "orgs.csv") if school is not None else None
    if text is None:
        return None
    for org in _dicts(text.lstrip("\ufeff"))[1]:
        if (org.get("name") or "").strip().casefold() == school.name.strip().casefold() or \
                (org.get("identifier") or "").strip() == school.slug:
            return (org.get("sourcedId") or "").strip() or None
    return None


def _orgs_of_users(users: list[dict], roles_rows: list[dict]) -> dict[str, set[str]]:
    """Each user's orgs: 1.2's and SDS's roles, 1.1's orgSourcedIds, 1.2's primaryOrgSourcedId."""
    orgs: dict[str, set[str]] = defaultdict(set)
    for role in roles_rows:
        orgs[(role.get("userSourcedId") or "").strip()].add((role.get("orgSourcedId") or "").strip())
    for user in users:
        found = orgs[(user.get("sourcedId") or "").strip()]
        found |= {o.strip() for o in (user.get("orgSourcedIds") or "").split(",") if o.strip()}
        if (user.get("primaryOrgSourcedId") or "").strip():
            found.add(user["primaryOrgSourcedId"].strip())
    return orgs


def zip_rows(data: bytes, school=None, identifier: str | None = None) -> OneRosterRows:
    """A OneRoster zip: its users (students by 1.1's role column or 1.2's roles.csv), their demographics, and
    the titles of the classes they are enrolled in as students. A zip of several schools whose orgs.csv names
    `school` (a School: its name, or its slug as the identifier) gives that school's users and classes only."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise FileNotAccepted(_("This zip file is damaged: it cannot be opened.")) from None
    with archive:
        users_text = _member(archive, "users.csv")
        if users_text is None:
            raise FileNotAccepted(_("This zip has no users.csv: upload a OneRoster export (a zip of CSV files "
                                    "with manifest.csv and users.csv), or the list itself as CSV or XLSX."))
        header, users = _dicts(users_text.lstrip("\ufeff"))
        roles_text = _member(archive, "roles.csv")
        _check_header(header, "users.csv", needs_role=roles_text is None)
        roles: dict[str, str] = {}
        roles_rows = _dicts(roles_text.lstrip("\ufeff"))[1] if roles_text is not None else []
        org = _org_of(archive, school)
        elsewhere = frozenset(user for user, orgs in _orgs_of_users(users, roles_rows).items()
                              if org is not None and orgs and org not in orgs)
        if roles_text is not None:  # 1.2 (and SDS v2.1): a user's primary role, else any role they hold
            for role in sorted(roles_rows,
                               key=lambda r: (r.get("roleType") or "").strip().lower() != "primary"
                               and (r.get("isPrimary") or "").strip().lower() != "true"):  # SDS: isPrimary
                if (role.get("status") or "").strip().lower() != TO_BE_DELETED:
                    roles.setdefault((role.get("userSourcedId") or "").strip(), (role.get("role") or "").strip())
        demographics = {}
        if (text := _member(archive, "demographics.csv")) is not None:
            demographics = {(d.get("sourcedId") or d.get("userSourcedId") or "").strip(): _iso_birth_date(d)
                            for d in _dicts(text.lstrip("\ufeff"))[1]}
        sections: dict[str, list[str]] = defaultdict(list)
        classes_text, enrollments_text = _member(archive, "classes.csv"), _member(archive, "enrollments.csv")
        if classes_text is not None and enrollments_text is not None:
            titles = {(c.get("sourcedId") or "").strip(): (c.get("title") or "").strip()
                      for c in _dicts(classes_text.lstrip("\ufeff"))[1]
                      if (c.get("status") or "").strip().lower() != TO_BE_DELETED and (
                          org is None or org == (c.get("schoolSourcedId") or c.get("orgSourcedId") or "").strip())}
            for enrollment in _dicts(enrollments_text.lstrip("\ufeff"))[1]:
                title = titles.get((enrollment.get("classSourcedId") or "").strip())
                user = (enrollment.get("userSourcedId") or "").strip()
                if (title and (enrollment.get("role") or "").strip().lower() == STUDENT
                        and (enrollment.get("status") or "").strip().lower() != TO_BE_DELETED
                        and title not in sections[user]):
                    sections[user].append(title)
    return OneRosterRows(users, roles=roles, demographics=demographics, sections=sections,
                         metadata=_metadata(header), elsewhere=elsewhere, identifier=identifier)
