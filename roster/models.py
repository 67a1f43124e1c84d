"""The data model of design.md. Models hold data and derived keys; they never commit."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime

from flask_login import UserMixin
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    select,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.expression import ScalarSelect

from roster import search_index
from roster.extensions import db
from roster.text import DEFAULT_COUNTRY, name_search_key


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Role(enum.StrEnum):
    ADMIN = "admin"
    TEACHER = "teacher"


class AccountStatus(enum.StrEnum):
    NO_ACCOUNT = "no_account"
    PENDING = "pending"
    ACTIVE = "active"

    @property
    def label(self) -> str:
        """In the page's language ("no account" in English)."""
        from roster import labels

        return labels.account_status(self.value)


class Source(enum.StrEnum):
    MANUAL = "manual"
    IMPORT = "import"
    INVITE = "invite"
    SIGN_UP = "sign-up"


class Gender(enum.StrEnum):
    MALE = "male"
    FEMALE = "female"


class Status(enum.StrEnum):
    """Where a student of a school is on their way through it: only a studying student is on today's list."""

    STUDYING = "studying"
    LEFT = "left"
    GRADUATED = "graduated"
    TRANSFERRED = "transferred"
    MERGED = "merged"  # joined into another record of the school (roster.services.merging): on no list


class School(db.Model):
    __tablename__ = "school"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    signup_token: Mapped[str] = mapped_column(String(64), unique=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # ISO 3166 code: the region its phones are read in and shown as (roster.text.normalize_phone).
    country: Mapped[str] = mapped_column(String(2), default=DEFAULT_COUNTRY, server_default=DEFAULT_COUNTRY)
    # The language of its mails to students who have chosen none (invitations, credentials): en, ru or kk;
    # None: the platform's default (roster.i18n).
    language: Mapped[str | None] = mapped_column(String(5))
    # Its personal-data notice, which a student accepts at sign-up (None: Roster's default text, in the page's
    # language); its version goes up with each change, and a consent records the version accepted.
    notice_text: Mapped[str | None] = mapped_column(Text)
    notice_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # The grades whose sections graduate when the year closes (their children become Graduated), as typed.
    top_grades: Mapped[str] = mapped_column(String(40), default="9, 11", server_default="9, 11")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    def __str__(self) -> str:
        return self.name


class User(UserMixin, db.Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(254), unique=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    last_name: Mapped[str] = mapped_column(String(100), default="")
    first_name: Mapped[str] = mapped_column(String(100), default="")
    middle_name: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    is_platform_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Two-factor sign-in (TOTP): the secret sealed under SECRET_KEY; on once enabled_at is set (a secret without
    # it is a set-up not yet confirmed). The last time step accepted: a code works once.
    totp_secret: Mapped[str | None] = mapped_column(Text)
    totp_enabled_at: Mapped[datetime | None] = mapped_column(DateTime)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    # The user's own language (Settings → Language), for their pages and mails; None: not chosen.
    language: Mapped[str | None] = mapped_column(String(5))

    memberships: Mapped[list[Membership]] = relationship(back_populates="user", cascade="all, delete-orphan")

    # Set by the session loader: Flask-Login keeps this token, not the user id, in the cookie.
    session_token = None

    def get_id(self) -> str | None:
        return self.session_token

    @property
    def is_active(self) -> bool:
        return self.is_enabled

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.middle_name) if p) or self.email

    def __str__(self) -> str:
        return self.full_name


class RecoveryCode(db.Model):
    """One of a staff member's ten single-use codes for signing in without their authenticator; only its digest
    is kept."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    code_digest: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(DateTime)


class SignUpClaim(db.Model):
    """A sign-up whose email is a roster student's of the school: the account waits, unlinked, until the address
    proves itself (the link mailed to it), so that nobody claims a child's record by typing their email."""

    __tablename__ = "sign_up_claim"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id", ondelete="CASCADE"), index=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)

    user: Mapped[User] = relationship()
    student: Mapped[Student] = relationship()


class UserSession(db.Model):
    """A signed-in browser session, kept on the server so that signing out really ends it."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    ip_address: Mapped[str | None] = mapped_column(String(64))

    user: Mapped[User] = relationship()


class PasswordReset(db.Model):
    """A "Forgot password?" link: single-use, expiring; only a digest of its token is kept."""

    __tablename__ = "password_reset"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)

    user: Mapped[User] = relationship()


section_teacher = Table(
    "section_teacher",
    db.metadata,
    Column("section_id", ForeignKey("section.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Membership(db.Model):
    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("user_id", "school_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    school: Mapped[School] = relationship()


class _Named:
    """A per-school name (program, tag, section)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))

    def __str__(self) -> str:
        return self.name

    @classmethod
    def of_school(cls, school_id) -> list:
        """SQL conditions for the school's items (its programs, tags; its sections of the current year)."""
        return [cls.school_id == school_id]


class Program(_Named, db.Model):
    __tablename__ = "program"
    __table_args__ = (UniqueConstraint("school_id", "name"),)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"))


class Tag(_Named, db.Model):
    __tablename__ = "tag"
    __table_args__ = (UniqueConstraint("school_id", "name"),)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"))


class SchoolYear(db.Model):
    """A school's year (2025/2026, 1 September to 31 August unless set otherwise); one is current. Sections belong
    to a year; student_section links students to the current year's, past_section_member keeps the past years'."""

    __tablename__ = "school_year"
    __table_args__ = (UniqueConstraint("school_id", "title"),
                      Index("uq_school_year_current", "school_id", unique=True,
                            sqlite_where=text("is_current"), postgresql_where=text("is_current")))

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(20))
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    is_current: Mapped[bool] = mapped_column(Boolean, default=False)

    def __str__(self) -> str:
        return self.title


def current_year_of(school_id) -> ScalarSelect:
    """The id of the school's current year, as SQL (school_id a value or a column: correlated)."""
    return (select(SchoolYear.id).where(SchoolYear.school_id == school_id, SchoolYear.is_current.is_(True))
            .scalar_subquery())


class Section(_Named, db.Model):
    __tablename__ = "section"
    __table_args__ = (UniqueConstraint("year_id", "name"),)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"))
    year_id: Mapped[int] = mapped_column(ForeignKey("school_year.id", ondelete="CASCADE"), index=True)

    teachers: Mapped[list[User]] = relationship(secondary=section_teacher)
    year: Mapped[SchoolYear] = relationship()

    @classmethod
    def of_school(cls, school_id) -> list:
        """The school's sections of its current year (a past year's are its archive)."""
        return [cls.school_id == school_id, cls.year_id == current_year_of(school_id)]


class LeaveReason(_Named, db.Model):
    """A school's own reason for a leaving, beside Roster's (roster.services.movements.REASONS)."""

    __tablename__ = "leave_reason"
    __table_args__ = (UniqueConstraint("school_id", "name"),)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"))


def _link_table(name: str, other: str) -> Table:
    # The reverse index (other_id, student_id) serves "students with tag X" filters.
    return Table(
        name,
        db.metadata,
        Column("student_id", ForeignKey("student.id", ondelete="CASCADE"), primary_key=True),
        Column(f"{other}_id", ForeignKey(f"{other}.id", ondelete="CASCADE"), primary_key=True),
        Index(f"ix_{name}_{other}_id_student_id", f"{other}_id", "student_id"),
    )


student_program = _link_table("student_program", "program")
student_tag = _link_table("student_tag", "tag")
student_section = _link_table("student_section", "section")  # the current year's sections only
# Who was in a past year's section: the current year's links move here when the year closes (the archive).
past_section_member = _link_table("past_section_member", "section")
# A student's links by the field that holds them: (the items' model, the link table). The one map the form,
# list, filters, export and import read.
LINKS = {"programs": (Program, student_program), "tags": (Tag, student_tag), "sections": (Section, student_section)}


# Bytewise order on PostgreSQL too, so that a prefix is a plain index range whatever the server's locale.
NamePartType = String(100).with_variant(String(100, collation="C"), "postgresql")

# Each word of each student's name, so that "иван петр" is two index range scans, not a scan of the school.
# school_id is the student's own, copied for the index: it needs no foreign key of its own (a school's students
# go with it, and their words with them), and one would be checked for each of ~3 rows a student at every import.
student_name_part = Table(
    "student_name_part",
    db.metadata,
    Column("school_id", Integer, primary_key=True),
    Column("part", NamePartType, primary_key=True),
    Column("student_id", ForeignKey("student.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Student(db.Model):
    __tablename__ = "student"
    __table_args__ = (
        UniqueConstraint("school_id", "email"),
        UniqueConstraint("school_id", "personal_file_number"),
        # The list is sorted by name within a school. Name, phone and email searches are substring scans:
        # with their columns in the sort index they read only the index, in page order, never the table.
        Index("ix_student_school_id_search_key", "school_id", "search_key", "id", "phone_normalized", "email"),
        Index("ix_student_school_id_phone_normalized", "school_id", "phone_normalized"),
        Index("ix_student_school_id_account_status", "school_id", "account_status"),
        Index("ix_student_school_id_status", "school_id", "status"),
        # One IIN / SNILS a school (an index, not a constraint: SQLite adds it without rebuilding the table); the
        # number first, as "does a child of another school have it?" asks by the number alone.
        Index("uq_student_national_id_school_id", "national_id", "school_id", unique=True),
        Index("uq_student_external_id_school_id", "school_id", "external_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), index=True)

    last_name: Mapped[str] = mapped_column(String(100))
    first_name: Mapped[str] = mapped_column(String(100))
    middle_name: Mapped[str] = mapped_column(String(100), default="")
    search_key: Mapped[str] = mapped_column(String(320), default="")

    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str] = mapped_column(String(40), default="")
    phone_normalized: Mapped[str] = mapped_column(String(20), default="")
    personal_file_number: Mapped[str | None] = mapped_column(String(50))
    gender: Mapped[str | None] = mapped_column(String(10))
    birth_date: Mapped[date | None] = mapped_column(Date)
    citizenship: Mapped[str] = mapped_column(String(100), default="")
    # The IIN (Kazakhstan) or SNILS (Russia) as its digits, by the school's country (roster.national_id).
    national_id: Mapped[str | None] = mapped_column(String(12))
    # What another system calls the child (OneRoster's sourcedId), unique in a school.
    external_id: Mapped[str | None] = mapped_column(String(100))
    username: Mapped[str | None] = mapped_column(String(150))  # the login Credentials offers (OneRoster's)
    is_inclusive: Mapped[bool] = mapped_column(Boolean, default=False)
    is_individual: Mapped[bool] = mapped_column(Boolean, default=False)

    address: Mapped[str] = mapped_column(Text, default="")
    extra_phone: Mapped[str] = mapped_column(String(40), default="")
    extra_email: Mapped[str] = mapped_column(String(254), default="")

    dropout_date: Mapped[date | None] = mapped_column(Date)
    dropout_reason: Mapped[str] = mapped_column(String(200), default="")
    dropout_note: Mapped[str] = mapped_column(Text, default="")

    account_status: Mapped[str] = mapped_column(String(20), default=AccountStatus.NO_ACCOUNT.value)
    status: Mapped[str] = mapped_column(String(20), default=Status.STUDYING.value)
    source: Mapped[str] = mapped_column(String(20), default=Source.MANUAL.value)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    # When credentials were last mailed: a second request within CREDENTIALS_REPEAT_AFTER (a double click)
    # sends nothing, instead of a second mail whose password undoes the first.
    credentials_sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Consent on record: the school's notice version the student accepted at sign-up, when; withdrawn when.
    consent_version: Mapped[int | None] = mapped_column(Integer)
    consent_at: Mapped[datetime | None] = mapped_column(DateTime)
    consent_withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime)

    school: Mapped[School] = relationship()
    user: Mapped[User | None] = relationship()
    programs: Mapped[list[Program]] = relationship(secondary=student_program, order_by="Program.name")
    tags: Mapped[list[Tag]] = relationship(secondary=student_tag, order_by="Tag.name")
    sections: Mapped[list[Section]] = relationship(secondary=student_section, order_by="Section.name")
    guardians: Mapped[list[Guardian]] = relationship(
        back_populates="student", cascade="all, delete-orphan", order_by="Guardian.id"
    )

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.middle_name) if p)

    def refresh_search_key(self) -> None:
        self.search_key = name_search_key(self.last_name, self.first_name, self.middle_name)

    def __str__(self) -> str:
        return self.full_name


class Guardian(db.Model):
    """A parent or guardian, with their job (workplace and position)."""

    __tablename__ = "guardian"

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id", ondelete="CASCADE"), index=True)
    full_name: Mapped[str] = mapped_column(String(200))
    relation: Mapped[str] = mapped_column(String(50), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    workplace: Mapped[str] = mapped_column(String(200), default="")
    position: Mapped[str] = mapped_column(String(200), default="")

    student: Mapped[Student] = relationship(back_populates="guardians")

    def __str__(self) -> str:
        return self.full_name


class Order(db.Model):
    """An order (приказ, бұйрық): a number and a date for one or many movements; a number is unique in a school
    and the year of its date."""

    __tablename__ = "school_order"
    __table_args__ = (UniqueConstraint("school_id", "year", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(50))
    year: Mapped[int] = mapped_column(Integer)
    date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class MovementKind(enum.StrEnum):
    ARRIVED = "arrived"
    LEFT = "left"
    RETURNED = "returned"
    MOVED = "moved"  # between sections of the school: the book's counts do not change
    PROMOTED = "promoted"  # the year closed: up to the next grade's section (counts do not change either)
    REPEATED = "repeated"  # the year closed: the same grade again


class Movement(db.Model):
    """One step of a child's way through a school: arrived, left (with its reason), returned. The movement book
    counts these. An erased child's movements stay without them (no student, no note): closed periods keep
    their numbers."""

    __tablename__ = "movement"
    __table_args__ = (Index("ix_movement_school_id_date", "school_id", "date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"))
    student_id: Mapped[int | None] = mapped_column(ForeignKey("student.id", ondelete="SET NULL"), index=True)
    # An erased child's movements keep only the number their record had, which names no one once it is gone:
    # enough for the book to count each child once.
    former_student: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    # A move's sections, as they were named then: "5А" -> "6А".
    from_sections: Mapped[str] = mapped_column(String(500), default="")
    to_sections: Mapped[str] = mapped_column(String(500), default="")
    order_id: Mapped[int | None] = mapped_column(ForeignKey("school_order.id", ondelete="SET NULL"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    order: Mapped[Order | None] = relationship()


class Transfer(db.Model):
    """A child's transfer between two schools of the platform: asked by one school, accepted or declined by the
    other (or withdrawn by its asker). A child has one open transfer at most."""

    __tablename__ = "transfer"
    __table_args__ = (Index("ix_transfer_to_school_id_state", "to_school_id", "state"),
                      Index("ix_transfer_from_school_id_state", "from_school_id", "state"))

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int | None] = mapped_column(ForeignKey("student.id", ondelete="SET NULL"), index=True)
    from_school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"))
    to_school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"))
    asked_by_school_id: Mapped[int] = mapped_column(Integer)  # the sending or the receiving school
    asked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    state: Mapped[str] = mapped_column(String(20), default="open")  # open, accepted, declined, withdrawn
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    new_student_id: Mapped[int | None] = mapped_column(ForeignKey("student.id", ondelete="SET NULL"))

    student: Mapped[Student | None] = relationship(foreign_keys=[student_id])
    from_school: Mapped[School] = relationship(foreign_keys=[from_school_id])
    to_school: Mapped[School] = relationship(foreign_keys=[to_school_id])


class Invitation(db.Model):
    """An emailed invitation to sign up as a student of one school; only a digest of its token is kept."""

    __tablename__ = "invitation"
    __table_args__ = (Index("ix_invitation_school_id_email", "school_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254))
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    sent_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)

    school: Mapped[School] = relationship()
    invited_by: Mapped[User | None] = relationship()

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        return "expired" if self.expires_at <= utcnow() else "pending"


search_index.listen(Student.__table__)
