"""Read-only look-alikes of Xero's web pages (go.xero.com) that documents link to.

* ``/AccountsReceivable/View.aspx?InvoiceID=…`` – an invoice
* ``/app/quotes/view/{QuoteID}`` – a quote
* ``/Contacts/View/{ContactID}`` – a contact
* ``/organisationlogin/default.aspx?shortcode=…&redirecturl=…`` – redirects on
"""

from __future__ import annotations

from html import escape
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from xero_sandbox import html
from xero_sandbox.accounting.context import ApiRequest
from xero_sandbox.accounting.serialize import amount, dec
from xero_sandbox.state import Sandbox, sandbox_of

router = APIRouter()


def _lookup(sandbox: Sandbox, kind: str, record_id: str) -> tuple[ApiRequest, dict] | None:
    tenant_id = sandbox.store.tenant_of(kind, record_id.strip())
    if tenant_id is None:
        return None
    ctx = ApiRequest.internal(sandbox.store, sandbox.clock, tenant_id)
    record = ctx.get(kind, record_id.strip())
    return (ctx, record) if record else None


def _missing() -> Response:
    return HTMLResponse(html.page("Xero | Not found", "<h1>Page not found</h1>"), 404)


def _row(label: str, value: Any) -> str:
    return f"<tr><th>{escape(label)}</th><td>{escape(str(value))}</td></tr>"


def _document_page(
    ctx: ApiRequest, doc: dict, title: str, number_field: str, extra: list[tuple[str, Any]]
) -> str:
    contact = ctx.get("contact", doc.get("ContactID", "")) or {}
    currency = doc.get("CurrencyCode", "")
    rows = [
        ("Organisation", ctx.organisation.get("Name", "")),
        ("Number", doc.get(number_field, "")),
        ("Contact", contact.get("Name", "")),
        ("Status", doc.get("Status", "")),
        ("Date", doc.get("Date", "")),
        ("Reference", doc.get("Reference") or ""),
        *extra,
    ]
    lines = "".join(
        f"<tr><td>{escape(str(line.get('ItemCode') or ''))}</td>"
        f"<td>{escape(str(line.get('Description') or ''))}</td>"
        f"<td class=num>{escape(str(line.get('Quantity') or ''))}</td>"
        f"<td class=num>{escape(str(line.get('UnitAmount') or ''))}</td>"
        f"<td class=num>{amount(line.get('LineAmount'))}</td></tr>"
        for line in doc.get("LineItems", [])
    )
    totals = [
        ("Subtotal", doc.get("SubTotal")),
        ("Total tax", doc.get("TotalTax")),
        ("Total", doc.get("Total")),
    ]
    body = (
        f"<h1>{escape(title)} {escape(str(doc.get(number_field, '')))}</h1>"
        f"<table>{''.join(_row(k, v) for k, v in rows)}</table><h2>Lines</h2>"
        "<table><tr><th>Item</th><th>Description</th><th class=num>Qty</th>"
        f"<th class=num>Price</th><th class=num>Amount {escape(currency)}</th></tr>{lines}</table>"
        f"<h2>Totals</h2><table>"
        f"{''.join(_row(k, f'{amount(v)} {currency}') for k, v in totals)}</table>"
    )
    return html.page(f"Xero | {title}", body)


@router.get("/AccountsReceivable/View.aspx")
def invoice_page(request: Request) -> Response:
    """An invoice: number, contact, status, lines, totals, amount paid and due."""
    found = _lookup(sandbox_of(request), "invoice", request.query_params.get("InvoiceID", ""))
    if found is None:
        return _missing()
    ctx, doc = found
    currency = doc.get("CurrencyCode", "")
    extra = [
        ("Due date", doc.get("DueDate") or ""),
        ("Amount paid", f"{amount(doc.get('AmountPaid'))} {currency}"),
        ("Amount due", f"{amount(doc.get('AmountDue'))} {currency}"),
    ]
    return HTMLResponse(_document_page(ctx, doc, "Invoice", "InvoiceNumber", extra))


@router.get("/app/quotes/view/{quote_id}")
def quote_page(request: Request, quote_id: str) -> Response:
    """A quote: number, contact, status, expiry, lines and totals."""
    found = _lookup(sandbox_of(request), "quote", quote_id)
    if found is None:
        return _missing()
    ctx, doc = found
    extra = [("Expiry date", doc.get("ExpiryDate") or ""), ("Title", doc.get("Title") or "")]
    return HTMLResponse(_document_page(ctx, doc, "Quote", "QuoteNumber", extra))


@router.get("/Contacts/View/{contact_id}")
def contact_page(request: Request, contact_id: str) -> Response:
    """A contact: name, account number, status, email, currency, and what it owes."""
    found = _lookup(sandbox_of(request), "contact", contact_id)
    if found is None:
        return _missing()
    ctx, contact = found
    owing = sum(
        (
            dec(i.get("AmountDue"))
            for i in ctx.records("invoice")
            if i.get("ContactID") == contact["ContactID"] and i["Status"] == "AUTHORISED"
        ),
        dec(0),
    )
    rows = [
        ("Organisation", ctx.organisation.get("Name", "")),
        ("Name", contact.get("Name", "")),
        ("Account number", contact.get("AccountNumber") or ""),
        ("Status", contact.get("ContactStatus", "")),
        ("Email", contact.get("EmailAddress") or ""),
        ("Default currency", contact.get("DefaultCurrency") or ""),
        ("Outstanding (AUTHORISED invoices)", owing),
    ]
    body = f"<h1>{escape(contact.get('Name', ''))}</h1><table>"
    body += "".join(_row(k, v) for k, v in rows) + "</table>"
    return HTMLResponse(html.page("Xero | Contact", body))


@router.get("/organisationlogin/default.aspx")
def organisation_login(request: Request) -> Response:
    """Xero's shortcode login hop: go straight to ``redirecturl``."""
    target = request.query_params.get("redirecturl", "/")
    # Only a path on this host. Browsers read "//evil.example", "/\\evil.example" and
    # "/<tab>/evil.example" as other hosts, so any of them would make this an open redirect.
    unsafe = "\\" in target or any(ord(ch) < 32 for ch in target)
    if not target.startswith("/") or target.startswith("//") or unsafe:
        target = "/"
    return RedirectResponse(target, status_code=302)
