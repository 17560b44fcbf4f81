"""The kinds of Xero document a shipment can become (invoice, quote, credit note): one record
per kind of everything that differs between them, so no other module asks "is it a quote?"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from models import DocumentType

if TYPE_CHECKING:
    from models import SyncSettings
    from services.xero.adapter import XeroAdapter
    from services.xero.convert import ElementResult


@dataclass(frozen=True)
class DocumentKind:
    """One kind of Xero document and how Shipbridge sends, finds and links to it."""

    document_type: DocumentType
    label: str  # as users say it: "invoice", "quote", "credit note"
    number_field: str  # Xero's field for the document number, e.g. "InvoiceNumber"
    id_field: str  # Xero's field for its ID, e.g. "InvoiceID"
    list_key: str  # the list in Xero's answer, e.g. "Invoices"
    statuses: tuple[str, ...]  # the statuses a user may send it with
    status_setting: str  # the SyncSettings field holding the chosen status
    save_method: str  # the XeroAdapter method creating or updating a batch in one call
    find_method: str  # the XeroAdapter method finding documents by number
    xero_path: str  # its page in Xero's web app, with {id} for the document's ID
    takes_payments: bool  # Xero records payments against it
    xero_type: str | None = None  # Xero's Type field, for kinds that have one

    @property
    def plural(self) -> str:
        return f"{self.label}s"

    def status_in(self, sync_settings: SyncSettings) -> str:
        """The status the mapping sends this kind with."""
        return getattr(sync_settings, self.status_setting)

    def save(
        self, adapter: XeroAdapter, tenant_id: str, documents: list[dict], *, idempotency_key: str
    ) -> list[ElementResult]:
        """Create or update `documents` in ONE call; one answer per document, in order."""
        save = getattr(adapter, self.save_method)
        return save(tenant_id, documents, idempotency_key=idempotency_key)

    def find(self, adapter: XeroAdapter, tenant_id: str, numbers: list[str]) -> list[ElementResult]:
        """The documents of this kind with these numbers (those Xero has)."""
        return getattr(adapter, self.find_method)(tenant_id, numbers)

    def link_path(self, document_id: str) -> str:
        return self.xero_path.format(id=document_id)


INVOICE = DocumentKind(
    document_type=DocumentType.INVOICE,
    label="invoice",
    number_field="InvoiceNumber",
    id_field="InvoiceID",
    list_key="Invoices",
    statuses=("DRAFT", "SUBMITTED", "AUTHORISED"),
    status_setting="invoice_status",
    save_method="save_invoices",
    find_method="find_invoices",
    xero_path="/AccountsReceivable/View.aspx?InvoiceID={id}",
    takes_payments=True,
    xero_type="ACCREC",
)
QUOTE = DocumentKind(
    document_type=DocumentType.QUOTE,
    label="quote",
    number_field="QuoteNumber",
    id_field="QuoteID",
    list_key="Quotes",
    statuses=("DRAFT", "SENT"),
    status_setting="quote_status",
    save_method="save_quotes",
    find_method="find_quotes",
    xero_path="/app/quotes/view/{id}",
    takes_payments=False,
)
CREDIT_NOTE = DocumentKind(
    document_type=DocumentType.CREDIT_NOTE,
    label="credit note",
    number_field="CreditNoteNumber",
    id_field="CreditNoteID",
    list_key="CreditNotes",
    statuses=("DRAFT", "SUBMITTED", "AUTHORISED"),
    # Until the mapping has a credit-note status of its own, it follows the invoice's.
    status_setting="invoice_status",
    save_method="save_credit_notes",
    find_method="find_credit_notes",
    xero_path="/AccountsReceivable/ViewCreditNote.aspx?creditNoteID={id}",
    # Credit is allocated to invoices, not paid.
    takes_payments=False,
    xero_type="ACCRECCREDIT",
)

KINDS: dict[str, DocumentKind] = {k.document_type: k for k in (INVOICE, QUOTE, CREDIT_NOTE)}
# What the mapping's "Send as" offers: credit notes are raised against an invoice, not
# chosen as the way every shipment is sent.
SEND_AS: tuple[DocumentKind, ...] = (INVOICE, QUOTE)


def kind_of(document_type: str | None) -> DocumentKind:
    """The kind of a stored document type. None is an invoice: rows sent before the type was
    recorded were all invoices."""
    if document_type is None:
        return INVOICE
    try:
        return KINDS[document_type]
    except KeyError:
        raise ValueError(f"{document_type!r} is not a kind of Xero document") from None
