"""Quotes: GET (list and one), PUT, POST, POST /Quotes/{id}; numbered QU-0001 onwards."""

from __future__ import annotations

from typing import Any

from xero_sandbox.accounting.batch import batch_result, list_result, one_result
from xero_sandbox.accounting.context import ApiRequest, Outcome, Result
from xero_sandbox.accounting.documents import DocKind, find_document, save_document
from xero_sandbox.accounting.invoices import document_contact
from xero_sandbox.accounting.lines import Reference
from xero_sandbox.accounting.serialize import dec, line_json, put_date, stamp, totals_json
from xero_sandbox.formats import FormatError, parse_date

QUOTE = DocKind(
    kind="quote",
    label="Quote",
    id_field="QuoteID",
    number_field="QuoteNumber",
    number_prefix="QU-",
    types=("ACCREC",),
    create_statuses=("DRAFT", "SENT"),
    transitions={
        "DRAFT": ("DRAFT", "SENT", "DELETED"),
        "SENT": ("DRAFT", "SENT", "ACCEPTED", "DECLINED", "DELETED"),
        "ACCEPTED": ("SENT", "ACCEPTED", "DECLINED", "INVOICED"),
        "DECLINED": ("SENT", "ACCEPTED", "DECLINED"),
        "INVOICED": ("ACCEPTED", "INVOICED"),
        "DELETED": (),
    },
    editable=("DRAFT", "SENT", "ACCEPTED", "DECLINED", "INVOICED"),
    text_limits={
        "QuoteNumber": 255,
        "Reference": 4000,
        "Terms": 4000,
        "Title": 100,
        "Summary": 3000,
    },
    line_amount_types=("EXCLUSIVE", "INCLUSIVE", "NOTAX"),
    date_fields=("Date", "ExpiryDate"),
    extra_fields=("BrandingThemeID",),
)


def render_quote(ctx: ApiRequest, document: dict[str, Any]) -> dict[str, Any]:
    """A quote as Xero returns it."""
    body: dict[str, Any] = {}
    if document.get("QuoteID"):
        body["QuoteID"] = document["QuoteID"]
    if document.get("QuoteNumber") is not None:
        body["QuoteNumber"] = document["QuoteNumber"]
    for key in ("Reference", "Terms"):
        if document.get(key) is not None:
            body[key] = document[key]
    body["Contact"] = document_contact(ctx, document)
    # xero-facts.md §10: quote unit amounts are kept to four places by default.
    body["LineItems"] = [line_json(line, 4) for line in document.get("LineItems", [])]
    put_date(body, "Date", document.get("Date"))
    put_date(body, "ExpiryDate", document.get("ExpiryDate"))
    body["Status"] = document.get("Status", "DRAFT")
    body["CurrencyCode"] = document.get("CurrencyCode") or ctx.organisation["BaseCurrency"]
    body["CurrencyRate"] = dec(document.get("CurrencyRate") or 1)
    body.update(totals_json(document))
    for key in ("Title", "Summary", "BrandingThemeID"):
        if document.get(key) is not None:
            body[key] = document[key]
    if document.get("UpdatedDateUTC"):
        body["UpdatedDateUTC"] = stamp(document["UpdatedDateUTC"])
    body["LineAmountTypes"] = document.get("LineAmountTypes", "EXCLUSIVE")
    return body


def _locked_edit(ctx: ApiRequest, element: Any) -> tuple[dict, str] | None:
    """Xero lets only DRAFT and SENT quotes change content; later ones only change status."""
    if not isinstance(element, dict):
        return None
    key = ctx.path_params.get("id") or element.get("QuoteID") or element.get("QuoteNumber")
    existing = find_document(ctx, QUOTE, str(key)) if key else None
    if existing is None or existing["Status"] in ("DRAFT", "SENT"):
        return None
    content = set(element) - {"QuoteID", "QuoteNumber", "Status", "Contact", "Date"}
    if not content:
        return None
    return existing, f"A quote with a status of {existing['Status']} cannot be edited."


def save_quotes(ctx: ApiRequest) -> Result:
    """PUT/POST /Quotes and POST /Quotes/{QuoteID}."""
    ref = Reference(ctx)
    forced_id = ctx.path_params.get("id")
    outcomes = []
    for element in ctx.elements("Quotes"):
        locked = _locked_edit(ctx, element)
        if locked:
            outcomes.append(Outcome(dict(locked[0]), [locked[1]]))
        else:
            outcomes.append(save_document(ctx, QUOTE, element, ref, forced_id))
    return batch_result(
        ctx,
        "Quotes",
        outcomes,
        lambda doc: render_quote(ctx, doc),
        id_field="QuoteID",
        error_flag=None,
    )


def _date_arg(ctx: ApiRequest, name: str) -> str | None:
    raw = ctx.arg(name)
    if not raw:
        return None
    try:
        return parse_date(raw).isoformat()
    except FormatError:
        return None


def get_quotes(ctx: ApiRequest) -> Result:
    """GET /Quotes: ContactID, Status, QuoteNumber, date ranges, where, order, page."""
    records = ctx.records("quote")
    contact_id = (ctx.arg("ContactID") or "").lower()
    status = (ctx.arg("Status") or "").upper()
    number = (ctx.arg("QuoteNumber") or "").lower()
    ranges = [
        ("Date", _date_arg(ctx, "DateFrom"), _date_arg(ctx, "DateTo")),
        ("ExpiryDate", _date_arg(ctx, "ExpiryDateFrom"), _date_arg(ctx, "ExpiryDateTo")),
    ]

    def wanted(record: dict[str, Any]) -> bool:
        if contact_id and record.get("ContactID") != contact_id:
            return False
        if status and record["Status"] != status:
            return False
        if number and str(record.get("QuoteNumber") or "").lower() != number:
            return False
        for key, start, end in ranges:
            value = record.get(key)
            if (start or end) and not value:
                return False
            if (start and value < start) or (end and value > end):
                return False
        return True

    return list_result(
        ctx,
        "Quotes",
        "Quote",
        [r for r in records if wanted(r)],
        lambda doc: render_quote(ctx, doc),
        pageable=True,
    )


def get_quote(ctx: ApiRequest) -> Result:
    """GET /Quotes/{QuoteID or QuoteNumber}."""
    document = find_document(ctx, QUOTE, ctx.path_params["id"])
    return one_result(ctx, "Quotes", document, lambda doc: render_quote(ctx, doc))
