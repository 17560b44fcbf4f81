"""Contacts: GET/PUT/POST, and how documents find (or create) their contact."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from typing import Any

from xero_sandbox.accounting.batch import batch_result, list_result
from xero_sandbox.accounting.context import ApiRequest, Outcome, Result
from xero_sandbox.accounting.serialize import contact_json, dec, envelope
from xero_sandbox.formats import money

# xero-facts.md §4: the OpenAPI spec's 400 example (XeroAPI/Xero-OpenAPI).
CONTACT_IDENTIFIERS_MESSAGE = (
    "The Contact must contain at least 1 of the following elements to identify the contact: "
    "Name, ContactID, ContactNumber"
)
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TEXT_LIMITS = {
    "Name": 255,
    "ContactNumber": 50,
    "AccountNumber": 50,
    "FirstName": 255,
    "LastName": 255,
    "EmailAddress": 255,
    "CompanyNumber": 50,
    "TaxNumber": 50,
}
WRITABLE = (
    *TEXT_LIMITS,
    "ContactStatus",
    "IsSupplier",
    "IsCustomer",
    "DefaultCurrency",
    "ContactPersons",
    "Addresses",
    "Phones",
    "BankAccountDetails",
)


def _by(ctx: ApiRequest, key: str, value: str, *, active_only: bool = False) -> dict | None:
    """A contact whose ``key`` matches (case-insensitive), preferring active contacts."""
    found = ctx.find("contact", key, value)
    active = [c for c in found if c.get("ContactStatus") == "ACTIVE"]
    if active or active_only:
        return active[0] if active else None
    return found[0] if found else None


def find_contact(ctx: ApiRequest, key: str) -> dict[str, Any] | None:
    """A contact by ContactID or ContactNumber."""
    return ctx.get_by_uuid("contact", key) or _by(ctx, "ContactNumber", key)


def resolve_contact(ctx: ApiRequest, given: Any) -> tuple[dict[str, Any] | None, str | None]:
    """The contact a document names: by ContactID, ContactNumber, or Name.

    A Name that matches no active contact makes a new one (saved with the
    document, flagged ``_new``), as Xero does. An unknown ContactID is an error.
    """
    if not isinstance(given, dict):
        return None, CONTACT_IDENTIFIERS_MESSAGE
    contact_id = str(given.get("ContactID") or "").strip()
    number = str(given.get("ContactNumber") or "").strip()
    name = str(given.get("Name") or "").strip()
    if not (contact_id or number or name):
        return None, CONTACT_IDENTIFIERS_MESSAGE
    contact = None
    if contact_id:
        contact = find_contact(ctx, contact_id) if _is_guid(contact_id) else None
        if contact is None:
            # sandbox guess: xero-facts.md §4 has no string for an unknown ContactID.
            return None, "Contact could not be found"
    elif number:
        contact = _by(ctx, "ContactNumber", number)
    if contact is None and name:
        contact = _by(ctx, "Name", name)
    if contact is None:
        if not name:
            return None, "Contact could not be found"  # sandbox guess (§4: not found)
        contact = {
            "ContactID": str(uuid.uuid4()),
            "Name": name,
            "ContactStatus": "ACTIVE",
            "IsCustomer": False,
            "IsSupplier": False,
            "ContactPersons": [],
            "_new": True,
        }
        for key in ("ContactNumber", "AccountNumber", "FirstName", "LastName", "EmailAddress"):
            if given.get(key):
                contact[key] = str(given[key])
    if contact.get("ContactStatus") == "ARCHIVED":
        # xero-facts.md §4 (a C# integration's constant, checked against ValidationErrors[0]).
        return contact, (
            "The contact with the specified contact details has been archived. The contact "
            "must be un-archived before creating new invoices or credit notes."
        )
    return contact, None


def _is_guid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def save_contact(ctx: ApiRequest, contact: dict[str, Any]) -> None:
    """Persist a contact, stamping UpdatedDateUTC."""
    contact["UpdatedDateUTC"] = ctx.stamp()
    ctx.put("contact", contact["ContactID"], contact)


def _save_element(ctx: ApiRequest, element: Any, forced_id: str | None) -> Outcome:
    if not isinstance(element, dict):
        return Outcome({}, ["The contact could not be read."])
    existing = None
    raw_id = forced_id or element.get("ContactID")
    if raw_id:
        existing = find_contact(ctx, str(raw_id))
        if existing is None:
            return Outcome(dict(element), ["Contact could not be found"])
    elif element.get("ContactNumber") and ctx.method == "POST":
        existing = _by(ctx, "ContactNumber", str(element["ContactNumber"]))
    contact = (
        dict(existing)
        if existing
        else {
            "ContactID": str(uuid.uuid4()),
            "ContactStatus": "ACTIVE",
            "IsCustomer": False,
            "IsSupplier": False,
            "ContactPersons": [],
        }
    )
    outcome = Outcome(contact)
    for key in WRITABLE:
        if key in element:
            contact[key] = element[key]
    for key, limit in TEXT_LIMITS.items():
        if contact.get(key) is not None and len(str(contact[key])) > limit:
            outcome.errors.append(f"{key} must not be more than {limit} characters long.")  # guess
    name = str(contact.get("Name") or "").strip()
    if not name:
        # xero-facts.md §4 (waynerobinson/xeroizer PR#380, comment by rjaus).
        outcome.errors.append("Contact Name cannot be empty.")
    else:
        clash = _by(ctx, "Name", name, active_only=True)
        if clash and clash["ContactID"] != contact["ContactID"]:
            # xero-facts.md §4: the OpenAPI spec's 400 example.
            outcome.errors.append(
                f"The contact name {name} is already assigned to another contact. "
                "The contact name must be unique across all active contacts."
            )
    if contact.get("EmailAddress") and not EMAIL_RE.match(str(contact["EmailAddress"])):
        # xero-facts.md §4 (developer.xero.com/documentation/api/http-response-codes).
        outcome.errors.append("Email address must be valid.")
    if contact.get("ContactStatus") not in ("ACTIVE", "ARCHIVED"):
        # sandbox guess
        outcome.errors.append(f"'{contact.get('ContactStatus')}' is not a valid contact status.")
    currency = contact.get("DefaultCurrency")
    if currency and currency not in ctx.organisation["Currencies"]:
        # xero-facts.md §5 (Invoiced and GoHighLevel help docs; several integrations' tests).
        outcome.errors.append(f"Organisation is not subscribed to currency {currency}")
    if not outcome.errors:
        save_contact(ctx, contact)
        outcome.saved = True
    return outcome


def save_contacts(ctx: ApiRequest) -> Result:
    """PUT/POST /Contacts and POST /Contacts/{id}."""
    forced_id = ctx.path_params.get("id")
    elements = ctx.elements("Contacts")
    outcomes = [_save_element(ctx, element, forced_id) for element in elements]
    return batch_result(
        ctx,
        "Contacts",
        outcomes,
        contact_json,
        id_field="ContactID",
        error_flag="HasValidationErrors",
    )


def get_contacts(ctx: ApiRequest) -> Result:
    """GET /Contacts with where, order, page, IDs, includeArchived, If-Modified-Since."""
    records = ctx.records("contact")
    ids = {value.lower() for value in ctx.list_arg("IDs")}
    if ids:
        records = [c for c in records if c["ContactID"] in ids]
    if not ctx.flag("includeArchived", default=False) and not ids:
        records = [c for c in records if c.get("ContactStatus") != "ARCHIVED"]
    search = (ctx.arg("searchTerm") or "").strip().lower()
    if search:
        records = [
            c
            for c in records
            if search
            in " ".join(
                str(c.get(k) or "")
                for k in (
                    "Name",
                    "FirstName",
                    "LastName",
                    "ContactNumber",
                    "EmailAddress",
                    "AccountNumber",
                )
            ).lower()
        ]
    return list_result(ctx, "Contacts", "Contact", records, contact_json, pageable=True)


def balances(ctx: ApiRequest, contact: dict[str, Any]) -> dict[str, Any]:
    """Outstanding and overdue amounts (base currency), overdue by the sandbox clock."""
    today = ctx.today().isoformat()
    totals = {"ACCREC": [Decimal(0), Decimal(0)], "ACCPAY": [Decimal(0), Decimal(0)]}
    for invoice in ctx.records("invoice"):
        if invoice.get("ContactID") != contact["ContactID"] or invoice["Status"] != "AUTHORISED":
            continue
        due = dec(invoice.get("AmountDue")) / dec(invoice.get("CurrencyRate") or 1)
        bucket = totals.get(invoice.get("Type", "ACCREC"))
        if bucket is None:
            continue
        bucket[0] += due
        if invoice.get("DueDate") and invoice["DueDate"] < today:
            bucket[1] += due
    return {
        side: {"Outstanding": money(values[0]), "Overdue": money(values[1])}
        for side, values in (
            ("AccountsReceivable", totals["ACCREC"]),
            ("AccountsPayable", totals["ACCPAY"]),
        )
    }


def get_contact(ctx: ApiRequest) -> Result:
    """GET /Contacts/{ContactID or ContactNumber}, with Balances as Xero adds for one contact."""
    contact = find_contact(ctx, ctx.path_params["id"])
    if contact is None:
        return Result(404, None)
    body = contact_json(contact)
    body["Balances"] = balances(ctx, contact)
    return Result(200, envelope(ctx, "Contacts", [body]))
