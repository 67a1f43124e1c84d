"""What Roster records about what happened: the mail log (and outbox), import jobs, bulk changes, closes of the
school year (what each did to each child, for its undo), merges of two records (for theirs), pairs dismissed as
two children, the audit log, each user's list columns; and the duplicate-detection keys. Tables
like those of roster.models, kept apart from the school's own data."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from roster.extensions import db
from roster.models import Order, School, SchoolYear, User, utcnow

SECRET_PLACEHOLDER = "[password hidden]"
LINK_PLACEHOLDER = "[link hidden]"  # a live reset or set-password link: whoever opens it sets the password


class MailStatus(enum.StrEnum):
    QUEUED = "queued"  # waiting for its next attempt, at next_attempt_at
    SENDING = "sending"  # an attempt has it; taken back when its lease (next_attempt_at) runs out
    SENT = "sent"
    FAILED = "failed"
    NOT_SENT = "not sent"  # no mail server configured: kept in the log only


class MailMessage(db.Model):
    """The mail log and outbox: every mail is written here in its cause's transaction, then delivered."""

    __tablename__ = "mail_message"
    __table_args__ = (Index("ix_mail_message_school_id_created_at", "school_id", "created_at"),
                      Index("ix_mail_message_status_next_attempt_at", "status", "next_attempt_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(40))
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default=MailStatus.QUEUED.value, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Queued: when the outbox sweep may take it (its next retry, or a first attempt its dispatcher never made);
    # sending: when the attempt's lease runs out.
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    # A password the mail carries, sealed (roster.sealing): the bodies hold a placeholder in its place, and this
    # is erased once the mail is sent, has finally failed or cannot be sent.
    secret: Mapped[str | None] = mapped_column(Text)

    school: Mapped[School | None] = relationship()

    @property
    def secret_erased(self) -> bool:
        return (SECRET_PLACEHOLDER in self.body_text or LINK_PLACEHOLDER in self.body_text) and self.secret is None


class ImportStatus(enum.StrEnum):
    UPLOADED = "uploaded"  # stored; the preview (a dry run) is being made
    VALIDATED = "validated"  # the preview is ready: Confirm or Cancel
    RUNNING = "running"
    COMPLETED = "completed"
    COMPLETED_WITH_ERRORS = "completed with errors"
    FAILED = "failed"

    @property
    def label(self) -> str:
        """In the page's language ("Ready to confirm" in English)."""
        from roster import labels

        return labels.import_status(self.value)


class ImportJob(db.Model):
    """One uploaded file and what became of it. The bytes live here so that a worker on another machine can
    read them; they are deleted when the job ends."""

    __tablename__ = "import_job"
    __table_args__ = (Index("ix_import_job_school_id_created_at", "school_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    file_name: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(30), default=ImportStatus.UPLOADED.value)
    message: Mapped[str] = mapped_column(Text, default="")  # why it failed
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    done_rows: Mapped[int] = mapped_column(Integer, default=0)
    created_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_count: Mapped[int] = mapped_column(Integer, default=0)
    unchanged_count: Mapped[int] = mapped_column(Integer, default=0)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    # The last run's (preview's or import's) report: unknown columns, new names, first rows, first errors.
    report: Mapped[dict] = mapped_column(JSON, default=dict)
    # Every failed row as it was in the file, with an Error column (plain UTF-8 CSV), for the download.
    failed_rows_csv: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    progress_at: Mapped[datetime | None] = mapped_column(DateTime)  # its worker's last sign of life
    # The language of the page it was uploaded from: its report and messages are in it.
    language: Mapped[str | None] = mapped_column(String(5))
    # The process that has it ("host:pid"): a restarted process fails its own unfinished jobs at once.
    runner: Mapped[str | None] = mapped_column(String(120))
    # The order of the new students' arrival, for the whole file (none: the arrivals name no order).
    order_number: Mapped[str] = mapped_column(String(50), default="")
    order_date: Mapped[date | None] = mapped_column(Date)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The admin's choice for each possible duplicate of the preview, by row number: new, update or skip.
    duplicate_choices: Mapped[dict | None] = mapped_column(JSON)
    # Where a OneRoster file's identifier goes (roster.services.importing.oneroster.IDENTIFIER_FIELDS); None:
    # the personal file number.
    identifier_field: Mapped[str | None] = mapped_column(String(30))

    school: Mapped[School] = relationship()
    uploaded_by: Mapped[User | None] = relationship()

    @property
    def status_label(self) -> str:
        return ImportStatus(self.status).label

    @property
    def is_working(self) -> bool:
        return self.status in (ImportStatus.UPLOADED.value, ImportStatus.RUNNING.value)


class BulkStatus(enum.StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


class BulkJob(db.Model):
    """A bulk change of more students than one request should hold (Leave, Move to section, a tag or program,
    Send credentials, Activate for everyone a filter matches): the chosen ids, fixed when it was asked, and how far
    it got. Each chunk's change and its `done` are committed together, so a job whose process died is resumed
    where it stopped (roster.services.bulk)."""

    __tablename__ = "bulk_job"
    __table_args__ = (Index("ix_bulk_job_school_id_created_at", "school_id", "created_at"),
                      Index("ix_bulk_job_status", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(30))
    params: Mapped[dict] = mapped_column(JSON, default=dict)  # the form's values (date, reason, order, section…)
    student_ids: Mapped[list] = mapped_column(JSON, default=list)
    # What the list's filters were when the students were chosen, in words (the page repeats it).
    described: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default=BulkStatus.RUNNING.value)
    message: Mapped[str] = mapped_column(Text, default="")  # why it failed
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)  # how many of student_ids were handled (changed or not)
    changed: Mapped[int] = mapped_column(Integer, default=0)
    # Who was skipped, by reason: {reason: {"count": n, "names": [the first 50]}}.
    skipped: Mapped[dict] = mapped_column(JSON, default=dict)
    language: Mapped[str | None] = mapped_column(String(5))
    runner: Mapped[str | None] = mapped_column(String(120))  # the process that has it ("host:pid")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    progress_at: Mapped[datetime | None] = mapped_column(DateTime)  # its runner's last sign of life
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)

    created_by: Mapped[User | None] = relationship()

    @property
    def is_working(self) -> bool:
        return self.status == BulkStatus.RUNNING.value

    @property
    def skipped_count(self) -> int:
        return sum(entry["count"] for entry in (self.skipped or {}).values())


class ListPreference(db.Model):
    """The columns a user chose to see in one list view of one school."""

    __tablename__ = "list_preference"
    __table_args__ = (UniqueConstraint("user_id", "school_id", "view"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"))
    view: Mapped[str] = mapped_column(String(50))
    columns: Mapped[list] = mapped_column(JSON, default=list)


class AuditEvent(db.Model):
    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_school_id_created_at", "school_id", "created_at"),
        Index("ix_audit_event_target_type_target_id", "target_type", "target_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id", ondelete="SET NULL"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(50), index=True)
    target_type: Mapped[str] = mapped_column(String(50), default="")
    target_id: Mapped[int | None] = mapped_column(Integer)
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    ip_address: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    actor: Mapped[User | None] = relationship()
    school: Mapped[School | None] = relationship()


class YearClose(db.Model):
    """Closing a school year: the wizard's choices kept between visits (each section's next-year section, the
    exceptions per child), then its Apply (in the background, a chunk of children a transaction) and its undo."""

    __tablename__ = "year_close"
    __table_args__ = (Index("ix_year_close_school_id_status", "school_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"))
    from_year_id: Mapped[int] = mapped_column(ForeignKey("school_year.id", ondelete="CASCADE"))
    to_year_id: Mapped[int | None] = mapped_column(ForeignKey("school_year.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20), default="draft")  # draft, applying, applied, undone
    # {section id: {"action": "promote" | "graduate" | "dissolve" | "", "to": next year's section name}}
    mapping: Mapped[dict] = mapped_column(JSON, default=dict)
    # {student id: {"action": "repeat" | "leave" | "move", "to": a section name, "reason": a leave reason}}
    exceptions: Mapped[dict] = mapped_column(JSON, default=dict)
    clear_individual: Mapped[list] = mapped_column(JSON, default=list)  # "is individual" not carried for these
    order_id: Mapped[int | None] = mapped_column(ForeignKey("school_order.id", ondelete="SET NULL"))
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(Text, default="")
    runner: Mapped[str | None] = mapped_column(String(120))
    progress_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    applied_at: Mapped[datetime | None] = mapped_column(DateTime)
    undone_at: Mapped[datetime | None] = mapped_column(DateTime)

    from_year: Mapped[SchoolYear] = relationship(foreign_keys=[from_year_id])
    to_year: Mapped[SchoolYear | None] = relationship(foreign_keys=[to_year_id])
    order: Mapped[Order | None] = relationship()
    created_by: Mapped[User | None] = relationship()


class YearCloseEntry(db.Model):
    """What a close did to one child: where they were, where they went, how (its undo puts them back)."""

    __tablename__ = "year_close_entry"
    __table_args__ = (UniqueConstraint("close_id", "student_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    close_id: Mapped[int] = mapped_column(ForeignKey("year_close.id", ondelete="CASCADE"))
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # promoted, repeated, graduated, left
    from_section_ids: Mapped[str] = mapped_column(String(200), default="")  # "12,15"
    to_section_id: Mapped[int | None] = mapped_column(ForeignKey("section.id", ondelete="SET NULL"), index=True)
    previous_status: Mapped[str] = mapped_column(String(20))
    was_individual: Mapped[bool] = mapped_column(Boolean, default=False)
    undone_at: Mapped[datetime | None] = mapped_column(DateTime)


# Duplicate detection's blocking keys (roster.services.duplicates): a student shares a key with whoever may be them.
# No foreign key: checking one per key row was 45% of writing an import's 300,000 keys on PostgreSQL. Erasure
# deletes a child's keys; a key left without its student would only name a candidate no one can load.
duplicate_key = db.Table(
    "duplicate_key",
    Column("student_id", Integer, primary_key=True),
    Column("key", BigInteger, primary_key=True),
    Column("school_id", Integer, nullable=False),
    # A wide key (a name whose child's birth date is known) is found only by a narrow one (roster.services.duplicates).
    Column("wide", Boolean, nullable=False, default=False),
    Index("ix_duplicate_key_school_id_key", "school_id", "key", "wide", "student_id"),
    sqlite_with_rowid=False,  # the primary key is the table: one B-tree less to write per key
)


class DuplicateDismissal(db.Model):
    """Two students an admin said are not one child (the smaller id first): the pair is not offered again."""

    __tablename__ = "duplicate_dismissal"
    __table_args__ = (UniqueConstraint("first_id", "second_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"), index=True)
    first_id: Mapped[int] = mapped_column(ForeignKey("student.id", ondelete="CASCADE"))
    second_id: Mapped[int] = mapped_column(ForeignKey("student.id", ondelete="CASCADE"), index=True)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class StudentMerge(db.Model):
    """Two records of one child made one: what the merge took and moved, so that its undo puts both back."""

    __tablename__ = "student_merge"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"), index=True)
    survivor_id: Mapped[int] = mapped_column(ForeignKey("student.id", ondelete="CASCADE"), index=True)
    merged_id: Mapped[int] = mapped_column(ForeignKey("student.id", ondelete="CASCADE"), index=True)
    # The survivor's fields the merge replaced: {field: [its value before, the value taken]}.
    taken: Mapped[dict] = mapped_column(JSON, default=dict)
    # The merged record's own values it gave up (its email, file number, national id, account, status).
    merged_values: Mapped[dict] = mapped_column(JSON, default=dict)
    # Links and guardians the survivor gained, the merged record's links, and the rows moved to the survivor.
    added: Mapped[dict] = mapped_column(JSON, default=dict)
    moved: Mapped[dict] = mapped_column(JSON, default=dict)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    undone_at: Mapped[datetime | None] = mapped_column(DateTime)


api_client_school = db.Table(
    "api_client_school",
    db.metadata,
    Column("api_client_id", ForeignKey("api_client.id", ondelete="CASCADE"), primary_key=True),
    Column("school_id", ForeignKey("school.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class ApiClient(db.Model):
    """A system that reads schools' lists through the OneRoster REST API (Integrations): OAuth 2 client
    credentials, its secret kept as a digest only (shown once, when made); a revoked client gets no token and
    its tokens stop working."""

    __tablename__ = "api_client"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    secret_digest: Mapped[str] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)

    schools: Mapped[list[School]] = relationship(secondary=api_client_school, order_by="School.name")
    created_by: Mapped[User | None] = relationship()


class ApiToken(db.Model):
    """An access token an API client was given: its digest (the token itself is never stored), scope, expiry."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("api_client.id", ondelete="CASCADE"), index=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(Text, default="")
    issued_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)

    client: Mapped[ApiClient] = relationship()
