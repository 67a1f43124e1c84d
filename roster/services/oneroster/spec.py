"""1EdTech OneRoster 1.2 as Roster writes it: each CSV file's columns in their order, its required columns, the
enumerations used, and how values are written (dates, booleans, sourcedIds).

Roster's records have no sourcedIds of their own (a student's External ID aside), so each is a UUID made from the
record's kind and id (`sourced_id`): the same record has the same sourcedId in every export and every API answer.
"""

from __future__ import annotations

import functools
import hashlib
import re
import uuid
from collections.abc import Callable
from datetime import date, datetime

from flask import current_app

VERSION = "1.2"
# The CSV binding's tables (OneRoster v1.2 CSV, section 3), their columns in the order the specification gives.
HEADERS: dict[str, tuple[str, ...]] = {
    "manifest.csv": ("propertyName", "value"),
    "orgs.csv": ("sourcedId", "status", "dateLastModified", "name", "type", "identifier", "parentSourcedId"),
    "academicSessions.csv": ("sourcedId", "status", "dateLastModified", "title", "type", "startDate", "endDate",
                             "parentSourcedId", "schoolYear"),
    "courses.csv": ("sourcedId", "status", "dateLastModified", "schoolYearSourcedId", "title", "courseCode",
                    "grades", "orgSourcedId", "subjects", "subjectCodes"),
    "classes.csv": ("sourcedId", "status", "dateLastModified", "title", "grades", "courseSourcedId", "classCode",
                    "classType", "location", "schoolSourcedId", "termSourcedIds", "subjects", "subjectCodes",
                    "periods"),
    "users.csv": ("sourcedId", "status", "dateLastModified", "enabledUser", "username", "userIds", "givenName",
                  "familyName", "middleName", "identifier", "email", "sms", "phone", "agentSourcedIds", "grades",
                  "password", "userMasterIdentifier", "resourceSourcedIds", "preferredGivenName",
                  "preferredMiddleName", "preferredFamilyName", "primaryOrgSourcedId", "pronouns"),
    "roles.csv": ("sourcedId", "status", "dateLastModified", "userSourcedId", "roleType", "role", "beginDate",
                  "endDate", "orgSourcedId", "userProfileSourcedId"),
    "enrollments.csv": ("sourcedId", "status", "dateLastModified", "classSourcedId", "schoolSourcedId",
                        "userSourcedId", "role", "primary", "beginDate", "endDate"),
    "demographics.csv": ("sourcedId", "status", "dateLastModified", "birthDate", "sex",
                         "americanIndianOrAlaskaNative", "asian", "blackOrAfricanAmerican",
                         "nativeHawaiianOrOtherPacificIslander", "white", "demographicRaceTwoOrMoreRaces",
                         "hispanicOrLatinoEthnicity", "countryOfBirthCode", "stateOfBirthAbbreviation",
                         "cityOfBirth", "publicSchoolResidenceStatus"),
}
# The manifest names every file of the binding: "bulk" for those written, "absent" for the rest.
MANIFEST_FILES = ("academicSessions", "categories", "classes", "classResources", "courses", "courseResources",
                  "demographics", "enrollments", "lineItemLearningObjectiveIds", "lineItems", "lineItemScoreScales",
                  "orgs", "resources", "resultLearningObjectiveIds", "results", "resultScoreScales", "roles",
                  "scoreScales", "userProfiles", "userResources", "users")

_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,99}")


def _tag(kind: str) -> bytes:
    return _tag_in(current_app.config["ONEROSTER_NAMESPACE"], kind)


@functools.lru_cache(maxsize=64)
def _tag_in(namespace: str, kind: str) -> bytes:
    return hashlib.blake2b(f"{namespace}:{kind}".encode(), digest_size=6).digest()


def sourced_id(kind: str, *ids: int) -> str:
    """A stable UUID for one of Roster's records ("section", 12), or of a pair ("enrollment", section, student):
    the same in every export and API answer, and read back by `parse` (an API asks for a record by it).

    An RFC 9562 version 8 (custom) UUID: six bytes name the kind (a hash of it and ONEROSTER_NAMESPACE), eight
    hold the ids (one of 64 bits, or two of 32).
    """
    return _uuid_text(_tag(kind), ids)


def sourced_ids(kind: str) -> Callable[..., str]:
    """sourced_id for many records of one kind (an export's 100,000 roles): the kind's tag is read once."""
    tag = _tag(kind)
    return lambda *ids: _uuid_text(tag, ids)


def _uuid_text(tag: bytes, ids: tuple[int, ...]) -> str:
    payload = ids[0].to_bytes(8, "big") if len(ids) == 1 else b"".join(i.to_bytes(4, "big") for i in ids)
    # str(uuid.UUID(bytes=...)) written out: an export makes 400,000 of them, and the object was half the cost.
    digits = (tag + bytes((0x80, payload[0], 0x80)) + payload[1:]).hex()
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


def parse(text: str, kind: str) -> tuple[int, ...] | None:
    """The ids a sourcedId of `sourced_id(kind, ...)` holds, or None when it is not one."""
    try:
        raw = uuid.UUID(text).bytes
    except (ValueError, TypeError, AttributeError):
        return None
    if raw[:6] != _tag(kind) or raw[6] != 0x80 or raw[8] != 0x80 or text.lower() != str(uuid.UUID(bytes=raw)):
        return None
    payload = raw[7:8] + raw[9:]
    if kind in PAIRS:
        return int.from_bytes(payload[:4], "big"), int.from_bytes(payload[4:], "big")
    return (int.from_bytes(payload, "big"),)


PAIRS = ("enrollment", "teacher enrollment", "teacher role")


def student_id(external_id: str | None, record_id: int, own: Callable[..., str] | None = None) -> str:
    """A student's sourcedId: the External ID another system gave them where it is GUID-safe (letters, digits,
    . _ : -), else Roster's own UUID for them (`own`: sourced_ids("student"), for many students)."""
    if external_id and _SAFE_ID.fullmatch(external_id):
        return external_id
    return own(record_id) if own is not None else sourced_id("student", record_id)


def boolean(value: bool) -> str:
    return "true" if value else "false"


def date_text(value: date | None) -> str:
    return value.isoformat() if value else ""


def datetime_text(value: datetime | None) -> str:
    """ISO 8601 in UTC with milliseconds, as the specification's examples write it."""
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z" if value else ""


def school_year(end: date) -> str:
    """OneRoster's schoolYear: the calendar year the school year ends in (2025/2026 → 2026)."""
    return str(end.year)


def term_title(year_title: str) -> str:
    """The one term of a school year (classes are taught in terms): the whole year."""
    return f"{year_title} (full year)"


def sex(gender: str | None) -> str:
    return gender if gender in ("male", "female") else ""
