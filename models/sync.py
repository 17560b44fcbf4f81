"""Sync settings, the integration log, the job queue and the audit trail."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Column, Index, Text
from sqlmodel import Field, SQLModel

from models.clock import utcnow
from models.enums import DocumentType, JobKind, JobStatus, WorkflowStatus


class SyncSettingsFields(SQLModel):
    document_type: str = Field(default=DocumentType.INVOICE, max_length=10)
    invoice_status: str = Field(default="DRAFT", max_length=20)
    quote_status: str = Field(default="DRAFT", max_length=20)
    trigger_status: str = Field(default=WorkflowStatus.SHIPPED, max_length=30)
    queue_on_trigger: bool = False
    customer_code_source: str = Field(default="buyer_code", max_length=30)
    reference_source: str = Field(default="shipment_number", max_length=30)
    # What Xero's Reference field holds ("incoterms_shipment": "FOB · SHP-1001" on an invoice,
    # the shipment number on a quote); reference_source above sets the Xero number.
    xero_reference_source: str = Field(default="incoterms_shipment", max_length=30)
    date_source: str = Field(default="invoice_date", max_length=30)
    sales_account_code: str = Field(default="210", max_length=10)
    freight_account_code: str = Field(default="265", max_length=10)
    tax_type: str = Field(default="ZERORATED", max_length=50)
    line_amount_types: str = Field(default="Exclusive", max_length=10)


class SyncSettings(SyncSettingsFields, table=True):
    """Mapping settings. The row with tenant_id NULL is the default for every organisation."""

    __tablename__ = "sync_settings"

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str | None = Field(default=None, unique=True, max_length=64)
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by: str | None = None


class IntegrationLog(SQLModel, table=True):
    """One attempt to send one shipment."""

    __tablename__ = "integration_log"
    # Attempts per day counted from the index alone (services.integration_log).
    __table_args__ = (Index("ix_integration_log_created_outcome", "created_at", "outcome"),)

    id: int | None = Field(default=None, primary_key=True)
    shipment_id: int | None = Field(default=None, foreign_key="shipment.id", index=True)
    shipment_number: str | None = Field(default=None, max_length=60)
    batch_id: str | None = Field(default=None, index=True, max_length=64)
    tenant_id: str | None = Field(default=None, max_length=64)
    trigger: str = Field(max_length=20)
    triggered_by: str | None = Field(default=None, max_length=100)
    document_type: str | None = Field(default=None, max_length=10)
    action: str | None = Field(default=None, max_length=10)  # create / update
    outcome: str = Field(index=True, max_length=20)
    document_number: str | None = Field(default=None, max_length=255)
    document_id: str | None = Field(default=None, max_length=64)
    payload: str | None = None  # JSON sent to Xero
    response: str | None = None  # JSON Xero answered for this element
    errors_xero: str | None = None  # JSON list, Xero's words
    errors_plain: str | None = None  # JSON list, what to fix
    note: str | None = None
    api_calls: int = 0
    duration_ms: int = 0
    created_at: datetime = Field(default_factory=utcnow, index=True)


class SyncJob(SQLModel, table=True):
    """A shipment waiting in the queue for the worker."""

    __tablename__ = "sync_job"
    # The queue's lease looks for each organisation's due jobs.
    __table_args__ = (Index("ix_sync_job_tenant_status_due", "tenant_id", "status", "not_before"),)

    id: int | None = Field(default=None, primary_key=True)
    shipment_id: int = Field(foreign_key="shipment.id", index=True)
    tenant_id: str | None = Field(default=None, max_length=64)
    trigger: str = Field(max_length=20)
    requested_by: str | None = Field(default=None, max_length=100)
    status: str = Field(default=JobStatus.QUEUED, index=True, max_length=10)
    attempts: int = 0
    not_before: datetime = Field(default_factory=utcnow, index=True)
    leased_by: str | None = Field(default=None, max_length=64)
    lease_expires_at: datetime | None = None
    last_error: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    # A "cancel" job voids, deletes or credits the shipment's invoice (services.cancel_jobs):
    # the chosen action and, for a credit note, the invoice lines (JSON list; none: whole).
    kind: str = Field(default=JobKind.SEND, max_length=10)
    cancel_action: str | None = Field(default=None, max_length=10)
    cancel_lines: str | None = Field(default=None, max_length=400)


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    actor: str | None = Field(default=None, max_length=100)
    action: str = Field(max_length=60)
    entity: str = Field(max_length=60)
    entity_id: str | None = Field(default=None, max_length=64)
    before: str | None = None
    after: str | None = None
    at: datetime = Field(default_factory=utcnow, index=True)


class OAuthState(SQLModel, table=True):
    """An authorization request in flight: the browser leaves the app and comes back."""

    __tablename__ = "oauth_state"

    state: str = Field(primary_key=True, max_length=64)
    code_verifier: str = Field(max_length=128)
    requested_by: str | None = Field(default=None, max_length=100)
    # The login session (browser) that began it: only that one may finish it.
    login_session_id: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


class AppUser(SQLModel, table=True):
    __tablename__ = "app_user"

    username: str = Field(primary_key=True, max_length=60)
    name: str = Field(max_length=120)
    email: str = Field(max_length=255)
    role: str = Field(max_length=20)
    password_hash: str = Field(max_length=100)
    # A deactivated user cannot log in, and their sessions end at once.
    active: bool = True


class AppSetup(SQLModel, table=True):
    """One row per one-time setup step ("first_admin"): its primary key makes the step happen
    once, however many people submit it at the same moment (services/users.py)."""

    __tablename__ = "app_setup"

    step: str = Field(primary_key=True, max_length=30)
    done_by: str = Field(max_length=60)
    done_at: datetime = Field(default_factory=utcnow)


class ApiCallSlot(SQLModel, table=True):
    """One call to Xero, for the rate limiter that holds across processes."""

    __tablename__ = "api_call_slot"
    # Every count the limiter makes is "this organisation's calls since then".
    __table_args__ = (Index("ix_api_call_slot_tenant_started", "tenant_id", "started_at"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(index=True, max_length=64)
    started_at: datetime = Field(default_factory=utcnow, index=True)
    finished_at: datetime | None = None


class XeroUsage(SQLModel, table=True):
    """Calls made to Xero and bytes Xero sent back, per organisation, UTC day and kind of call
    ("invoices.save", "payments.read", "identity"...): Xero prices apps by data downloaded
    and limits calls a day. One row is bumped per call."""

    __tablename__ = "xero_usage"

    # "" for calls that belong to no organisation (sign-in, token refresh, connections).
    tenant_id: str = Field(primary_key=True, max_length=64)
    day: date = Field(primary_key=True)
    kind: str = Field(primary_key=True, max_length=40)
    calls: int = 0
    bytes: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    # The X-DayLimit-Remaining Xero sent with the latest of these calls, when it sent one.
    day_remaining: int | None = None
    last_call_at: datetime = Field(default_factory=utcnow)


class WorkerHeartbeat(SQLModel, table=True):
    """A running worker says it is alive; none fresh means queued shipments are not sent."""

    __tablename__ = "worker_heartbeat"

    worker_id: str = Field(primary_key=True, max_length=100)
    started_at: datetime = Field(default_factory=utcnow)
    seen_at: datetime = Field(default_factory=utcnow, index=True)


class RateLimitState(SQLModel, table=True):
    """One organisation's use of Xero's limits, one row each (services/rate_limit.py), and its
    turn in the queue's round-robin. The row "*" is the app's, across organisations."""

    __tablename__ = "rate_limit_state"

    tenant_id: str = Field(primary_key=True, max_length=64)
    # Start times of the last calls (a minute's worth), oldest first: fixed-width epoch ms.
    recent: str = Field(default="", sa_column=Column(Text, nullable=False))
    in_flight: int = 0
    last_call_at: datetime | None = None
    day_start: datetime | None = None
    day_calls: int = 0
    # When the queue last handed out this organisation's jobs (least recent goes next).
    leased_at: datetime | None = None


class RateLimitBlock(SQLModel, table=True):
    """Xero told us to wait (429 Retry-After, or no calls left this minute)."""

    __tablename__ = "rate_limit_block"

    tenant_id: str = Field(primary_key=True, max_length=64)
    blocked_until: datetime
    reason: str | None = Field(default=None, max_length=30)
