"""1EdTech OneRoster 1.2 as Roster writes it: each CSV file's columns in their order, its required columns, the
enumerations used, and how values are written (dates, booleans, sourcedIds).

Roster's records have no sourcedIds of their own (a student's External ID aside), so each is a UUID made from the
record's kind and id (uuid5): the same record has the same sourcedId in every export and every API answer.
"""

from __future__ import annotations

import re
import uuid
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


def sourced_id(kind: str, record_id) -> str:
    """A stable UUID for one of Roster's records ("student", 12): the same in every export and API answer."""
    namespace = uuid.UUID(current_app.config["ONEROSTER_NAMESPACE"])
    return str(uuid.uuid5(namespace, f"{kind}:{record_id}"))


def student_id(external_id: str | None, record_id: int) -> str:
    """A student's sourcedId: the External ID another system gave them where it is GUID-safe (letters, digits,
    . _ : -), else Roster's own UUID for them."""
    if external_id and _SAFE_ID.fullmatch(external_id):
        return external_id
    return sourced_id("student", record_id)


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


def sex(gender: str | None) -> str:
    return gender if gender in ("male", "female") else ""
