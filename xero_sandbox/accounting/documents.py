"""Saving invoices, quotes and credit notes: matching, status rules, validation, totals.

One element of a PUT/POST batch goes through :func:`save_document`, which
returns the document (saved, or as it would have been) with its errors and
warnings. Nothing is written for an element that has errors.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from xero_sandbox.accounting.contacts import resolve_contact, save_contact
from xero_sandbox.accounting.context import ApiRequest, Outcome
from xero_sandbox.accounting.lines import LineContext, Reference, build_lines, totals
from xero_sandbox.accounting.serialize import dec
from xero_sandbox.formats import FormatError, parse_date, to_decimal
from xero_sandbox.seed import day_rate

LINE_AMOUNT_TYPES = {"exclusive": "Exclusive", "inclusive": "Inclusive", "notax": "NoTax"}
# xero-facts.md §9 (xeroizer PR#211 comment; Fooman Connect; a CiviCRM Xero connector).
PAYMENT_LOCK_MESSAGE = (
    "This document cannot be edited as it has a payment or credit note allocated to it."
)


@dataclass(frozen=True)
class DocKind:
    """What differs between invoices, quotes and credit notes."""

    kind: str
    label: str
    id_field: str
    number_field: str
    number_prefix: str
    types: tuple[str, ...]
    create_statuses: tuple[str, ...]
    transitions: dict[str, tuple[str, ...]]
    editable: tuple[str, ...]
    text_limits: dict[str, int]
    line_amount_types: tuple[str, ...] = ("Exclusive", "Inclusive", "NoTax")
    date_fields: tuple[str, ...] = ("Date", "DueDate")
    extra_fields: tuple[str, ...] = ()


def find_document(ctx: ApiRequest, spec: DocKind, key: str) -> dict[str, Any] | None:
    """A document by ID, or by number (case-insensitive)."""
    found = ctx.get_by_uuid(spec.kind, key)
    if found:
        return found
    matches = ctx.find(spec.kind, spec.number_field, key)
    return matches[0] if matches else None


def _match(ctx: ApiRequest, spec: DocKind, element: dict, forced_id: str | None) -> tuple:
    """Return (existing document or None, error or None) for an element."""
    raw_id = forced_id or element.get(spec.id_field)
    if raw_id:
        existing = ctx.get_by_uuid(spec.kind, raw_id)
        if existing is None:
            return None, "The document with the supplied id was not found for this endpoint."
        return existing, None
    number = str(element.get(spec.number_field) or "").strip()
    if number:
        existing = _numbered(ctx, spec, number, element.get("Type", spec.types[0]))
        if existing is not None:
            if ctx.method == "PUT":
                return None, f"{spec.label} # must be unique."
            return existing, None
    return None, None


def _numbered(ctx: ApiRequest, spec: DocKind, number: str, doc_type: str) -> dict | None:
    """The document of this Type with this number (ignoring case), if any."""
    # Sandbox guess (xero-facts.md §8: whether Xero matches InvoiceNumber ignoring case is "not
    # found"; only searchTerm is documented as case-insensitive, in the OpenAPI spec). Matching
    # ignoring case is the harsher of the two possible rules for a client: CASE-7 and case-7
    # land on one document, so a client that lets both exist is caught here, not in production.
    for document in ctx.find(spec.kind, spec.number_field, number):
        if document.get("Type", spec.types[0]) == doc_type:
            return document
    return None


def save_document(
    ctx: ApiRequest, spec: DocKind, element: Any, ref: Reference, forced_id: str | None = None
) -> Outcome:
    """Create or update one document from a batch element."""
    if not isinstance(element, dict):
        return Outcome({}, [f"The {spec.label.lower()} could not be read."])
    existing, match_error = _match(ctx, spec, element, forced_id)
    document: dict[str, Any] = (
        dict(existing)
        if existing
        else {
            "Type": spec.types[0],
            "Status": spec.create_statuses[0],
            "LineAmountTypes": spec.line_amount_types[0],
            "LineItems": [],
            "AmountPaid": "0",
            "AmountCredited": "0",
            "PaymentIDs": [],
            "Allocations": [],
        }
    )
    outcome = Outcome(document)
    if match_error:
        outcome.errors.append(match_error)
        _echo(spec, element, document)
        return outcome
    errors = outcome.errors
    old_status = existing["Status"] if existing else None
    if existing and old_status not in spec.editable:
        locked = (
            old_status == "PAID"
            or dec(existing.get("AmountPaid"))
            or dec(existing.get("AmountCredited"))
        )
        # xero-facts.md §9 (stackoverflow q/52517629; Fooman; Clouddepot KB) for invoices;
        # sandbox guess for the "Quote"/"Credit Note" labels.
        errors.append(
            PAYMENT_LOCK_MESSAGE if locked else f"{spec.label} not of valid status for modification"
        )
        return outcome
    if existing and (dec(existing.get("AmountPaid")) or dec(existing.get("AmountCredited"))):
        errors.append(PAYMENT_LOCK_MESSAGE)
        return outcome
    _apply_fields(ctx, spec, element, document, errors)
    if existing and document.get(spec.number_field):
        clash = _numbered(ctx, spec, document[spec.number_field], document["Type"])
        if clash is not None and clash[spec.id_field] != existing[spec.id_field]:
            # xero-facts.md §8: the OpenAPI spec's example for invoices; sandbox guess for quotes
            # and credit notes (§10: not found).
            errors.append(f"{spec.label} # must be unique.")
    _apply_status(spec, element, document, old_status, errors)
    contact = _apply_contact(ctx, spec, element, document, errors)
    _apply_currency(ctx, element, document, errors)
    existing_lines = existing["LineItems"] if existing else []
    if "LineItems" in element or not existing:
        incoming = element.get("LineItems") or []
        if not isinstance(incoming, list):
            errors.append("LineItems must be a list.")  # sandbox guess
            incoming = []
    else:
        incoming = [{"LineItemID": line["LineItemID"]} for line in existing_lines]
    lc = LineContext(
        line_amount_types=LINE_AMOUNT_TYPES[document["LineAmountTypes"].lower()],
        require_account=spec.kind != "quote" and document["Status"] in ("SUBMITTED", "AUTHORISED"),
        sales=document["Type"] in ("ACCREC", "ACCRECCREDIT"),
    )
    # xero-facts.md §7/§10 (developer.xero.com/documentation/api/quotes): a quote's UnitAmount
    # "By default… will be rounded to four decimal places"; other documents need unitdp=4.
    unitdp = 4 if spec.kind == "quote" else ctx.unitdp
    document["LineItems"] = build_lines(incoming, existing_lines, ref, lc, unitdp)
    errors.extend(lc.errors)
    _check_required(spec, document, errors)
    document.update(totals(document["LineItems"], lc.line_amount_types))
    paid = dec(document.get("AmountPaid")) + dec(document.get("AmountCredited"))
    document["AmountDue"] = document["Total"] - paid
    if errors:
        _echo(spec, element, document)
        return outcome
    if contact is not None and contact.get("_new"):
        contact.pop("_new")
        save_contact(ctx, contact)
    if contact is not None:
        document["ContactID"] = contact["ContactID"]
        _mark_customer(ctx, contact, document)
    if not existing:
        document[spec.id_field] = str(uuid.uuid4())
        document["CreatedDateUTC"] = ctx.stamp()
    if not document.get(spec.number_field) and document["Type"] == spec.types[0]:
        document[spec.number_field] = next_number(ctx, spec)
    document["UpdatedDateUTC"] = ctx.stamp()
    ctx.put(spec.kind, document[spec.id_field], document)
    outcome.saved = True
    return outcome


def _echo(spec: DocKind, element: dict, document: dict) -> None:
    """Keep what the client sent that the response should show for a failed element."""
    for key in (spec.number_field, "Reference"):
        if isinstance(element.get(key), str):
            document[key] = element[key]
    if isinstance(element.get("Contact"), dict) and not document.get("ContactID"):
        document["ContactEcho"] = element["Contact"]


def _apply_fields(
    ctx: ApiRequest, spec: DocKind, element: dict, document: dict, errors: list[str]
) -> None:
    if "Type" in element:
        if element["Type"] not in spec.types:
            errors.append(f"'{element['Type']}' is not a valid {spec.label.lower()} type.")  # guess
        else:
            document["Type"] = element["Type"]
    for key, limit in spec.text_limits.items():
        if key in element and element[key] is not None:
            value = str(element[key])
            if len(value) > limit:
                label = {
                    "InvoiceNumber": "Invoice Number",
                    "QuoteNumber": "Quote Number",
                    "CreditNoteNumber": "Credit Note Number",
                }.get(key, key)
                errors.append(f"{label} must not be more than {limit} characters long.")  # guess
            document[key] = value.strip() if key == spec.number_field else value
    for key in spec.extra_fields:
        if key in element:
            document[key] = element[key]
    for key in spec.date_fields:
        if key in element and element[key] not in (None, ""):
            try:
                document[key] = parse_date(element[key]).isoformat()
            except FormatError:
                errors.append(f"{key} '{element[key]}' is not a valid date.")  # sandbox guess
    if not document.get("Date"):
        document["Date"] = ctx.today().isoformat()
    if "LineAmountTypes" in element:
        wanted = str(element["LineAmountTypes"])
        allowed = {value.lower(): value for value in spec.line_amount_types}
        if wanted.lower() not in allowed:
            errors.append(f"'{wanted}' is not a valid value for LineAmountTypes.")  # guess
        else:
            document["LineAmountTypes"] = allowed[wanted.lower()]


def _apply_status(
    spec: DocKind, element: dict, document: dict, old_status: str | None, errors: list[str]
) -> None:
    wanted = str(element.get("Status") or old_status or spec.create_statuses[0]).upper()
    known = set(spec.transitions) | set(spec.create_statuses)
    if wanted not in known:
        errors.append(f"'{wanted}' is not a valid {spec.label.lower()} status.")  # guess
        return
    if old_status is None:
        if wanted not in spec.create_statuses:
            errors.append(f"A new {spec.label.lower()} cannot have a status of {wanted}.")  # guess
            return
    elif wanted != old_status and wanted not in spec.transitions.get(old_status, ()):
        # xero-facts.md §9: for a status change the current status does not allow (delete
        # outside DRAFT/SUBMITTED, void outside AUTHORISED, AUTHORISED back to DRAFT) no string
        # is known "beyond `Invoice not of valid status for modification`" (stackoverflow
        # q/52517629; Fooman; Clouddepot KB). Sandbox guess for the quote/credit note labels.
        errors.append(f"{spec.label} not of valid status for modification")
        return
    document["Status"] = wanted


def _apply_contact(
    ctx: ApiRequest, spec: DocKind, element: dict, document: dict, errors: list[str]
) -> dict | None:
    if "Contact" not in element:
        if document.get("ContactID"):
            return ctx.get("contact", document["ContactID"])
        errors.append("A Contact must be specified with this type of transaction")  # guess
        return None
    contact, error = resolve_contact(ctx, element["Contact"])
    if error:
        errors.append(error)
    return contact


def _apply_currency(ctx: ApiRequest, element: dict, document: dict, errors: list[str]) -> None:
    base = ctx.organisation["BaseCurrency"]
    code = str(element.get("CurrencyCode") or document.get("CurrencyCode") or base).upper()
    if code not in ctx.organisation["Currencies"]:
        # xero-facts.md §5 (Invoiced and GoHighLevel help; integrations' tests and changelogs).
        errors.append(f"Organisation is not subscribed to currency {code}")
        return
    currency_changed = code != document.get("CurrencyCode")
    document["CurrencyCode"] = code
    if code == base:
        document["CurrencyRate"] = Decimal(1)
    elif element.get("CurrencyRate") is not None:
        try:
            rate = to_decimal(element["CurrencyRate"])
        except FormatError:
            rate = Decimal(0)
        if rate <= 0:
            errors.append("The currency rate must be greater than zero.")  # sandbox guess (§5)
        document["CurrencyRate"] = rate
    elif currency_changed or not document.get("CurrencyRate"):
        document["CurrencyRate"] = day_rate(base, code)


def _check_required(spec: DocKind, document: dict, errors: list[str]) -> None:
    active = document["Status"] in ("SUBMITTED", "AUTHORISED")
    is_sales_invoice = spec.kind == "invoice" and document["Type"] == "ACCREC"
    if is_sales_invoice and active and not document.get("DueDate"):
        # xero-facts.md §6 (xeroizer#290; the rule: rjaus in xeroizer#395, xero-python#78).
        errors.append("The document DueDate field must be specified.")
    if active and spec.kind != "quote" and not document["LineItems"]:
        errors.append(f"A {spec.label.lower()} must have at least one line item.")  # guess


def _mark_customer(ctx: ApiRequest, contact: dict, document: dict) -> None:
    flag = "IsCustomer" if document["Type"] in ("ACCREC", "ACCRECCREDIT") else "IsSupplier"
    if not contact.get(flag):
        contact[flag] = True
        contact["UpdatedDateUTC"] = ctx.stamp()
        ctx.put("contact", contact["ContactID"], contact)


def next_number(ctx: ApiRequest, spec: DocKind) -> str:
    """The next free auto-number (INV-0001, QU-0001, CN-0001) for the organisation."""
    while True:
        number = f"{spec.number_prefix}{ctx.store.next_counter(ctx.tenant_id, spec.kind):04d}"
        if not ctx.find(spec.kind, spec.number_field, number):
            return number
