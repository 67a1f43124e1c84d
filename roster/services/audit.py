"""The audit trail: one AuditEvent per state change, written in the change's own transaction."""

from contextvars import ContextVar

from roster.extensions import db
from roster.records import AuditEvent

# The web layer sets the client's address once per request; CLI commands and tasks leave it empty.
client_address: ContextVar[str | None] = ContextVar("client_address", default=None)


def record(action: str, *, actor, school_id: int | None, target=None, details: dict | None = None) -> AuditEvent:
    """Add an event to the current transaction (the caller commits). Never put a password or token in details."""
    event = AuditEvent(
        action=action,
        actor_id=getattr(actor, "id", None),
        school_id=school_id,
        target_type=type(target).__name__.lower() if target is not None else "",
        target_id=getattr(target, "id", None),
        details=details or {},
        ip_address=client_address.get(),
    )
    db.session.add(event)
    return event


def history(target_type: str, target_id: int, school_id: int, limit: int = 100) -> list[AuditEvent]:
    """The latest events about one record of a school, newest first."""
    from sqlalchemy import select

    return list(db.session.scalars(
        select(AuditEvent).where(AuditEvent.target_type == target_type, AuditEvent.target_id == target_id,
                                 AuditEvent.school_id == school_id)
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()).limit(limit)))
