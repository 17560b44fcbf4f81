"""SQLModel tables. Importing this package registers every table on SQLModel.metadata."""

from models.enums import (
    ConnectionStatus,
    DocumentType,
    JobStatus,
    Outcome,
    Role,
    SyncState,
    Trigger,
    WorkflowStatus,
)
from models.shipment import Shipment, ShipmentFields, ShipmentLine, ShipmentLineFields, utcnow
from models.sync import (
    AppUser,
    AuditEvent,
    IntegrationLog,
    OAuthState,
    SyncJob,
    SyncSettings,
    SyncSettingsFields,
)
from models.xero import (
    CustomerMapping,
    ProductMapping,
    XeroAccount,
    XeroConnection,
    XeroContact,
    XeroCurrency,
    XeroItem,
    XeroTaxRate,
)

__all__ = [
    "AppUser",
    "AuditEvent",
    "ConnectionStatus",
    "CustomerMapping",
    "DocumentType",
    "IntegrationLog",
    "JobStatus",
    "OAuthState",
    "Outcome",
    "ProductMapping",
    "Role",
    "Shipment",
    "ShipmentFields",
    "ShipmentLine",
    "ShipmentLineFields",
    "SyncJob",
    "SyncSettings",
    "SyncSettingsFields",
    "SyncState",
    "Trigger",
    "WorkflowStatus",
    "XeroAccount",
    "XeroConnection",
    "XeroContact",
    "XeroCurrency",
    "XeroItem",
    "XeroTaxRate",
    "utcnow",
]
