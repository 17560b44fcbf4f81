"""Quotes: numbering, create-or-update by QuoteNumber, statuses, fields, validation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from xero_python.accounting import (
    Contact,
    CurrencyCode,
    LineItem,
    Quote,
    QuoteLineAmountTypes,
    Quotes,
    QuoteStatusCodes,
)

from tests.xero_sandbox.conftest import TENANT


def quote(**fields) -> Quote:
    values = {
        "contact": Contact(name="Cascade Foods Pty"),
        "date": dt.date(2026, 5, 1),
        "expiry_date": dt.date(2026, 5, 31),
        "line_items": [LineItem(item_code="MANUKA-250", quantity=100)],
        "currency_code": CurrencyCode.AUD,
        "title": "Honey for Cascade",
        "summary": "Export shipment",
        "terms": "Valid 30 days",
    }
    values.update(fields)
    return Quote(**values)


def send(api, *quotes, method="update_or_create_quotes"):
    return getattr(api, method)(TENANT, Quotes(quotes=list(quotes)), summarize_errors=False)


def errors_of(result) -> list[list[str]]:
    return [[e.message for e in (q.validation_errors or [])] for q in result.quotes]


def test_create_with_all_fields(api):
    saved = send(api, quote()).quotes[0]
    assert saved.quote_number == "QU-0001"
    assert saved.status == QuoteStatusCodes.DRAFT
    assert saved.line_amount_types == QuoteLineAmountTypes.EXCLUSIVE
    assert (saved.title, saved.summary, saved.terms) == (
        "Honey for Cascade",
        "Export shipment",
        "Valid 30 days",
    )
    assert saved.expiry_date == dt.date(2026, 5, 31)
    assert saved.expiry_date_string == "2026-05-31T00:00:00"
    assert saved.total == 990
    assert saved.currency_rate == Decimal("0.894118")  # AUD per NZD in the sandbox table
    assert saved.status_attribute_string == "OK"


def test_post_with_a_quote_number_updates(api):
    first = send(api, quote(quote_number="Q-SHIP-9")).quotes[0]
    again = send(api, quote(quote_number="q-ship-9", title="Second")).quotes[0]
    assert again.quote_id == first.quote_id
    assert again.title == "Second"
    refused = send(api, quote(quote_number="Q-SHIP-9"), method="create_quotes")
    assert errors_of(refused) == [["Quote # must be unique."]]


def test_status_flow(api):
    saved = send(api, quote()).quotes[0]
    for status in ("SENT", "ACCEPTED", "INVOICED"):
        saved = send(
            api,
            Quote(
                quote_id=saved.quote_id,
                contact=Contact(contact_id=saved.contact.contact_id),
                date=dt.date(2026, 5, 1),
                status=QuoteStatusCodes(status),
            ),
        ).quotes[0]
        assert saved.status.value == status
    refused = send(api, Quote(quote_id=saved.quote_id, title="late change"))
    assert errors_of(refused) == [["A quote with a status of INVOICED cannot be edited."]]


def test_inclusive_quotes_and_lookups(api):
    saved = send(
        api,
        quote(
            line_amount_types=QuoteLineAmountTypes.INCLUSIVE,
            currency_code=CurrencyCode.NZD,
            line_items=[
                LineItem(description="Consulting", quantity=1, unit_amount=115, tax_type="OUTPUT2")
            ],
        ),
    )
    saved = saved.quotes[0]
    assert (saved.sub_total, saved.total_tax, saved.total) == (100, 15, 115)
    assert api.get_quote(TENANT, saved.quote_id).quotes[0].quote_number == "QU-0001"
    assert [q.quote_number for q in api.get_quotes(TENANT, quote_number="QU-0001").quotes] == [
        "QU-0001"
    ]
    assert api.get_quotes(TENANT, status="SENT").quotes == []
    assert (
        len(
            api.get_quotes(
                TENANT, date_from=dt.date(2026, 5, 1), date_to=dt.date(2026, 5, 1)
            ).quotes
        )
        == 1
    )
    assert len(api.get_quotes(TENANT, contact_id=saved.contact.contact_id).quotes) == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"contact": None}, "A Contact must be specified with this type of transaction"),
        ({"currency_code": CurrencyCode.JPY}, "Organisation is not subscribed to currency JPY"),
        ({"status": QuoteStatusCodes.ACCEPTED}, "A new quote cannot have a status of ACCEPTED."),
        (
            {"line_items": [LineItem(item_code="NOPE", quantity=1)]},
            "Item code 'NOPE' is not valid",  # xero-facts.md §3
        ),
    ],
)
def test_quote_validation(api, fields, message):
    assert errors_of(send(api, quote(**fields))) == [[message]]
    assert api.get_quotes(TENANT).quotes == []
