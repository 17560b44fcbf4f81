"""Small value types shared by the tables and the services."""

from enum import StrEnum


class SyncState(StrEnum):
    """Where a shipment stands with Xero."""

    NOT_SENT = "Not sent"
    QUEUED = "Queued"
    SENDING = "Sending"
    PROCESSED = "Processed"
    REJECTED = "Rejected"
    CHANGED = "Changed since sent"


class WorkflowStatus(StrEnum):
    """The shipment's own life cycle, set by operations staff."""

    DRAFT = "Draft"
    BOOKED = "Booked"
    PACKED = "Packed"
    SHIPPED = "Shipped"
    DELIVERED = "Delivered"
    CANCELLED = "Cancelled"
    RETURNED = "Returned"  # goods came back: asks what to do in Xero, as Cancelled does


class DocumentType(StrEnum):
    """Stored kinds of Xero document; services.document_kinds says how each is sent."""

    INVOICE = "invoice"
    QUOTE = "quote"
    CREDIT_NOTE = "creditnote"


class Trigger(StrEnum):
    """What started a send."""

    BULK = "bulk"
    SYNC_NOW = "sync now"
    STATUS = "status"
    PUSH_REMAINING = "push remaining"
    RETRY = "retry"
    CLI = "cli"
    CANCEL = "cancel"  # a cancelled shipment's void, delete or credit note (services.cancellation)


class Outcome(StrEnum):
    PROCESSED = "Processed"
    REJECTED = "Rejected"
    FAILED = "Failed"  # transient; the shipment is still queued
    HELD = "Held"  # connection needs reconnecting; the shipment waits


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    HELD = "held"
    # Retried `sync_max_attempts` times without an outcome: a person must look and Retry.
    NEEDS_ATTENTION = "attention"


class JobKind(StrEnum):
    """What a queued job does: send the shipment, or cancel its invoice in Xero."""

    SEND = "send"
    CANCEL = "cancel"  # void, delete or credit (services.cancel_jobs)


class ConnectionStatus(StrEnum):
    ACTIVE = "Connected"
    NEEDS_RECONNECT = "Needs reconnecting"
    DISCONNECTED = "Disconnected"


class Role(StrEnum):
    ADMIN = "admin"
    OPERATIONS = "operations"
    FINANCE = "finance"
