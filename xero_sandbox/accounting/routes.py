"""The Accounting API's route table: method and path to handler and OAuth scope family."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from xero_sandbox.accounting import (
    allocations,
    contacts,
    credit_notes,
    invoices,
    items,
    payments,
    quotes,
    settings,
)
from xero_sandbox.accounting.context import ApiRequest, Result

Handler = Callable[[ApiRequest], Result]

# Scopes that allow reading each family, per xero-facts.md §14 (developer.xero.com/faq/
# granular-scopes; XeroAPI/xero-prompt-library javascript/SKILL.md): accounting.invoices covers
# Invoices, CreditNotes, Quotes and Items; accounting.payments covers Payments; the broad
# accounting.transactions (older apps, until September 2027) covers what both replaced.
# Items are also covered by accounting.settings (§14). A ".read" scope allows GET only.
READ_SCOPES = {
    "settings": {"accounting.settings", "accounting.settings.read"},
    "contacts": {"accounting.contacts", "accounting.contacts.read"},
    "invoices": {
        "accounting.transactions",
        "accounting.transactions.read",
        "accounting.invoices",
        "accounting.invoices.read",
    },
    "payments": {
        "accounting.transactions",
        "accounting.transactions.read",
        "accounting.payments",
        "accounting.payments.read",
    },
    # Sandbox guess: whether the broad accounting.transactions also reaches Items is not
    # stated in §14; before 2026 Items belonged to accounting.settings, so it does not here.
    "items": {
        "accounting.settings",
        "accounting.settings.read",
        "accounting.invoices",
        "accounting.invoices.read",
    },
}
WRITE_SCOPES = {
    family: {scope for scope in scopes if not scope.endswith(".read")}
    for family, scopes in READ_SCOPES.items()
}


@dataclass(frozen=True)
class Route:
    """One endpoint."""

    method: str
    pattern: re.Pattern[str]
    handler: Handler
    family: str


def _route(method: str, path: str, handler: Handler, family: str) -> Route:
    regex = "^" + path.replace("{id}", "(?P<id>[^/]+)") + "/?$"
    regex = regex.replace("{allocation}", "(?P<allocation>[^/]+)")
    return Route(method, re.compile(regex, re.IGNORECASE), handler, family)


def _document_routes(
    name: str, module: object, family: str, save: str, get_all: str, get_one: str
) -> list[Route]:
    return [
        _route("GET", name, getattr(module, get_all), family),
        _route("GET", name + "/{id}", getattr(module, get_one), family),
        _route("PUT", name, getattr(module, save), family),
        _route("POST", name, getattr(module, save), family),
        _route("POST", name + "/{id}", getattr(module, save), family),
    ]


ROUTES: list[Route] = [
    _route("GET", "Organisation", settings.get_organisation, "settings"),
    _route("GET", "Accounts", settings.get_accounts, "settings"),
    _route("GET", "Accounts/{id}", settings.get_account, "settings"),
    _route("GET", "TaxRates", settings.get_tax_rates, "settings"),
    _route("GET", "Currencies", settings.get_currencies, "settings"),
    *_document_routes("Items", items, "items", "save_items", "get_items", "get_item"),
    *_document_routes(
        "Contacts", contacts, "contacts", "save_contacts", "get_contacts", "get_contact"
    ),
    *_document_routes(
        "Invoices", invoices, "invoices", "save_invoices", "get_invoices", "get_invoice"
    ),
    *_document_routes("Quotes", quotes, "invoices", "save_quotes", "get_quotes", "get_quote"),
    *_document_routes(
        "CreditNotes",
        credit_notes,
        "invoices",
        "save_credit_notes",
        "get_credit_notes",
        "get_credit_note",
    ),
    _route("PUT", "CreditNotes/{id}/Allocations", allocations.allocate, "invoices"),
    _route(
        "DELETE",
        "CreditNotes/{id}/Allocations/{allocation}",
        allocations.delete_allocation,
        "invoices",
    ),
    _route("GET", "Payments", payments.get_payments, "payments"),
    _route("GET", "Payments/{id}", payments.get_payment, "payments"),
    _route("PUT", "Payments", payments.save_payments, "payments"),
    _route("POST", "Payments", payments.save_payments, "payments"),
    _route("POST", "Payments/{id}", payments.delete_payment, "payments"),
]


def match(method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    """The route for a method and a path relative to ``/api.xro/2.0/``."""
    for route in ROUTES:
        if route.method != method:
            continue
        found = route.pattern.match(path.strip("/"))
        if found:
            return route, {k: v for k, v in found.groupdict().items() if v is not None}
    return None


def allowed(route: Route, scopes: frozenset[str]) -> bool:
    """Whether the token's scopes cover this route."""
    needed = READ_SCOPES if route.method == "GET" else WRITE_SCOPES
    return bool(needed[route.family] & scopes)
