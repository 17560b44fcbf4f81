"""Invoices: numbering, create-or-update, status rules, totals, validation, summarizeErrors."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from xero_python.accounting import (
    Contact,
    CurrencyCode,
    Invoice,
    Invoices,
    LineAmountTypes,
    LineItem,
)
from xero_python.exceptions import AccountingBadRequestException, ApiException

from tests.xero_sandbox.conftest import TENANT
from xero_sandbox.seed import UK_TENANT_ID

DUE = dt.date(2026, 4, 30)


def invoice(**fields) -> Invoice:
    values = {
        "type": "ACCREC",
        "contact": Contact(name="Acme Imports Inc"),
        "date": dt.date(2026, 4, 1),
        "due_date": DUE,
        "line_items": [LineItem(item_code="WIDGET-A", quantity=4)],
        "status": "AUTHORISED",
        "currency_code": CurrencyCode.USD,
    }
    values.update(fields)
    return Invoice(**values)


def send(api, *docs, summarize=False, method="update_or_create_invoices", **kwargs):
    call = getattr(api, method)
    return call(TENANT, Invoices(invoices=list(docs)), summarize_errors=summarize, **kwargs)


def errors_of(result) -> list[list[str]]:
    return [[e.message for e in (doc.validation_errors or [])] for doc in result.invoices]


def test_auto_numbering_continues_past_used_numbers(api):
    send(api, invoice(invoice_number="INV-0002"))
    numbers = [i.invoice_number for i in send(api, invoice(), invoice()).invoices]
    assert numbers == ["INV-0001", "INV-0003"]


def test_post_with_an_existing_number_updates_it(api):
    first = send(api, invoice(invoice_number="SHIP-100", reference="v1")).invoices[0]
    again = send(api, invoice(invoice_number="ship-100", reference="v2")).invoices[0]
    assert again.invoice_id == first.invoice_id
    assert again.reference == "v2"
    assert len(api.get_invoices(TENANT).invoices) == 1


def test_put_with_an_existing_number_is_refused(api):
    send(api, invoice(invoice_number="SHIP-101"))
    result = send(api, invoice(invoice_number="SHIP-101"), method="create_invoices")
    assert errors_of(result) == [["Invoice # must be unique."]]
    assert result.invoices[0].has_errors is True
    assert result.invoices[0].status_attribute_string == "ERROR"


def test_numbers_are_per_organisation(api):
    send(api, invoice(invoice_number="SHIP-1"))
    uk = Invoice(
        type="ACCREC",
        contact=Contact(name="Harbour Stores"),
        due_date=DUE,
        invoice_number="SHIP-1",
        line_items=[LineItem(item_code="CRATE", quantity=1)],
    )
    saved = api.create_invoices(UK_TENANT_ID, Invoices(invoices=[uk])).invoices[0]
    assert saved.invoice_number == "SHIP-1"
    assert saved.currency_code == CurrencyCode.GBP


def test_update_by_id_replaces_lines_and_keeps_matched_line_ids(api):
    saved = send(
        api,
        invoice(
            status="DRAFT",
            line_items=[
                LineItem(item_code="WIDGET-A", quantity=1),
                LineItem(item_code="CRATE", quantity=1),
            ],
        ),
    ).invoices[0]
    kept = saved.line_items[1]
    update = Invoice(
        invoice_id=saved.invoice_id,
        line_items=[
            LineItem(line_item_id=kept.line_item_id, quantity=3),
            LineItem(description="Pallet", item_code="PALLET", quantity=2),
        ],
    )
    updated = api.update_invoice(TENANT, saved.invoice_id, Invoices(invoices=[update]))
    lines = updated.invoices[0].line_items
    assert [line.item_code for line in lines] == ["CRATE", "PALLET"]
    assert lines[0].line_item_id == kept.line_item_id
    assert lines[0].quantity == 3
    assert updated.invoices[0].total == 3 * 45 + 2 * 18


def test_leaving_out_line_items_keeps_them(api):
    saved = send(api, invoice(status="DRAFT")).invoices[0]
    updated = send(api, Invoice(invoice_id=saved.invoice_id, reference="new")).invoices[0]
    assert updated.reference == "new"
    assert [line.line_item_id for line in updated.line_items] == [
        line.line_item_id for line in saved.line_items
    ]


@pytest.mark.parametrize(
    ("amount_types", "sub_total", "tax", "total"),
    [
        (LineAmountTypes.EXCLUSIVE, "100.01", "15.00", "115.01"),
        (LineAmountTypes.INCLUSIVE, "86.97", "13.04", "100.01"),
        (LineAmountTypes.NOTAX, "100.01", "0.00", "100.01"),
    ],
)
def test_totals_per_line_amount_type(api, amount_types, sub_total, tax, total):
    lines = [
        LineItem(
            description="Service",
            quantity=1,
            unit_amount=Decimal("100.01"),
            account_code="200",
            tax_type="OUTPUT2",
        )
    ]
    saved = send(
        api,
        invoice(line_amount_types=amount_types, line_items=lines, currency_code=CurrencyCode.NZD),
    ).invoices[0]
    assert (saved.sub_total, saved.total_tax, saved.total) == (
        Decimal(sub_total),
        Decimal(tax),
        Decimal(total),
    )
    assert saved.amount_due == Decimal(total)


def test_tax_is_rounded_per_line(api):
    lines = [
        LineItem(description=f"L{i}", quantity=1, unit_amount=Decimal("0.03"), account_code="200")
        for i in range(3)
    ]
    saved = send(api, invoice(line_items=lines, currency_code=CurrencyCode.NZD)).invoices[0]
    assert [line.tax_amount for line in saved.line_items] == [0, 0, 0]  # 0.0045 each
    assert saved.total_tax == 0


def test_discounts_and_item_defaults(api):
    lines = [LineItem(item_code="WIDGET-B", quantity=10, discount_rate=10)]
    saved = send(api, invoice(line_items=lines)).invoices[0]
    line = saved.line_items[0]
    assert (line.unit_amount, line.line_amount, line.account_code, line.tax_type) == (
        20,
        180,
        "210",
        "ZERORATED",
    )
    assert line.item.code == "WIDGET-B"
    assert saved.total_discount == 20


def test_currency_rates(api):
    defaulted = send(api, invoice()).invoices[0]
    assert defaulted.currency_rate == Decimal("0.588235")  # USD per NZD in the sandbox table
    explicit = send(api, invoice(currency_rate=Decimal("0.61"))).invoices[0]
    assert explicit.currency_rate == Decimal("0.61")
    base = send(api, invoice(currency_code=CurrencyCode.NZD, currency_rate=2)).invoices[0]
    assert base.currency_rate == 1


def test_unit_amounts_keep_four_places_with_unitdp(api):
    lines = [
        LineItem(description="Fine", quantity=3, unit_amount=Decimal("1.2345"), account_code="210")
    ]
    saved = send(api, invoice(line_items=lines), unitdp=4).invoices[0]
    assert saved.line_items[0].unit_amount == Decimal("1.2345")
    assert saved.sub_total == Decimal("3.70")
    two_places = api.get_invoice(TENANT, saved.invoice_id).invoices[0]
    assert two_places.line_items[0].unit_amount == Decimal("1.23")
    four = api.get_invoice(TENANT, saved.invoice_id, unitdp=4).invoices[0]
    assert four.line_items[0].unit_amount == Decimal("1.2345")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"contact": None}, "A Contact must be specified with this type of transaction"),
        (
            {"contact": Contact(contact_id="0b9a3b4e-0000-4000-8000-000000000000")},
            "Contact could not be found",
        ),
        (
            {"contact": Contact(email_address="x@y.z")},
            "The Contact must contain at least 1 of the following elements to identify the "
            "contact: Name, ContactID, ContactNumber",
        ),
        (
            {"contact": Contact(name="Old Partner Co")},
            # xero-facts.md §4 (a C# integration's constant checked against the real message).
            "The contact with the specified contact details has been archived. The contact "
            "must be un-archived before creating new invoices or credit notes.",
        ),
        (
            {
                "line_items": [
                    LineItem(description="x", quantity=1, unit_amount=1, account_code="999")
                ]
            },
            "Account code '999' is not a valid code for this document.",
        ),
        (
            {
                "line_items": [
                    LineItem(description="x", quantity=1, unit_amount=1, account_code="299")
                ]
            },
            "Account code '299' has been archived, or has been deleted. Each line item must "
            "reference a valid account.",
        ),
        (
            {
                "line_items": [
                    LineItem(description="x", quantity=1, unit_amount=1, account_code="090")
                ]
            },
            "Account code '090' is not a valid code for this document.",
        ),
        (
            {"line_items": [LineItem(description="x", quantity=1, unit_amount=1)]},
            "Account code must be specified",  # xero-facts.md §1 (calcinai/xero-php#230)
        ),
        (
            {"line_items": [LineItem(item_code="NOPE", quantity=1)]},
            "Item code 'NOPE' is not valid",  # xero-facts.md §3 (fooman article 1706)
        ),
        ({"currency_code": CurrencyCode.JPY}, "Organisation is not subscribed to currency JPY"),
        (
            {"line_items": [LineItem(item_code="CRATE", quantity=1, tax_type="INPUT2")]},
            # xero-facts.md §2 (XeroAPI/Xero-Java#336): the code is not quoted.
            "The TaxType code INPUT2 does not exist or cannot be used for this type of "
            "transaction.",
        ),
        (
            {"line_items": [LineItem(item_code="CRATE", quantity=1, tax_type="GST")]},
            "The TaxType code GST does not exist or cannot be used for this type of transaction.",
        ),
        # xero-facts.md §6 (xeroizer#290).
        ({"due_date": None}, "The document DueDate field must be specified."),
        ({"line_items": []}, "A invoice must have at least one line item."),
        ({"reference": "R" * 256}, "Reference must not be more than 255 characters long."),
        (
            {"line_items": [LineItem(item_code="CRATE", quantity=1, description="D" * 4001)]},
            "Description must not be more than 4000 characters long.",
        ),
        ({"status": "PAID"}, "A new invoice cannot have a status of PAID."),
    ],
)
def test_validation_messages(api, fields, message):
    result = send(api, invoice(**fields))
    assert errors_of(result) == [[message]]
    assert result.invoices[0].invoice_id == "00000000-0000-0000-0000-000000000000"
    assert api.get_invoices(TENANT).invoices == []


def test_drafts_need_neither_due_date_nor_account(api):
    lines = [LineItem(description="tbc", quantity=1, unit_amount=5)]
    saved = send(api, invoice(status="DRAFT", due_date=None, line_items=lines)).invoices[0]
    assert saved.status == "DRAFT"
    assert saved.has_errors is False


def test_a_name_only_contact_is_created(api):
    saved = send(api, invoice(contact=Contact(name="Brand New Buyer"))).invoices[0]
    contact = api.get_contact(TENANT, saved.contact.contact_id).contacts[0]
    assert contact.name == "Brand New Buyer"
    assert contact.is_customer is True


def test_bad_dates_are_element_errors(api, spec_exempt):
    body = {
        "Invoices": [
            {
                "Type": "ACCREC",
                "Contact": {"Name": "Acme Imports Inc"},
                "Date": "2026-13-45",
                "LineItems": [],
            }
        ]
    }
    answer = api.api_client.rest_client.pool_manager.request(
        "PUT",
        api.base_url + "/Invoices?summarizeErrors=false",
        body=json.dumps(body),
        headers={**_auth(api), "Content-Type": "application/json"},
    )
    element = json.loads(answer.data)["Invoices"][0]
    assert element["ValidationErrors"] == [{"Message": "Date '2026-13-45' is not a valid date."}]


def test_invoice_numbers_are_at_most_255_characters(api, spec_exempt):
    body = {
        "Invoices": [
            {"Type": "ACCREC", "Contact": {"Name": "Acme Imports Inc"}, "InvoiceNumber": "N" * 256}
        ]
    }
    answer = api.api_client.rest_client.pool_manager.request(
        "PUT",
        api.base_url + "/Invoices?summarizeErrors=false",
        body=json.dumps(body),
        headers={**_auth(api), "Content-Type": "application/json"},
    )
    element = json.loads(answer.data)["Invoices"][0]
    assert element["ValidationErrors"] == [
        {"Message": "Invoice Number must not be more than 255 characters long."}
    ]


def _auth(api) -> dict[str, str]:
    token = api.api_client._oauth2_token_getter()
    return {"Authorization": f"Bearer {token['access_token']}", "xero-tenant-id": TENANT}


def test_summarised_batches_fail_with_400_but_save_the_valid_elements(api):
    good, bad = invoice(reference="good"), invoice(reference="bad", currency_code=CurrencyCode.JPY)
    with pytest.raises(ApiException) as failure:
        api.create_invoices(TENANT, Invoices(invoices=[good, bad]))
    assert failure.value.status == 400
    body = json.loads(failure.value.body)
    assert (body["ErrorNumber"], body["Type"], body["Message"]) == (
        10,
        "ValidationException",
        "A validation exception occurred",
    )
    assert [e["Reference"] for e in body["Elements"]] == ["bad"]
    assert body["Elements"][0]["ValidationErrors"] == [
        {"Message": "Organisation is not subscribed to currency JPY"}
    ]
    assert [i.reference for i in api.get_invoices(TENANT).invoices] == ["good"]


def test_the_sdk_reads_a_summarised_failure(api):
    with pytest.raises(AccountingBadRequestException) as failure:
        api.create_invoices(
            TENANT,
            Invoices(invoices=[invoice(currency_code=CurrencyCode.JPY)]),
            summarize_errors=True,
        )
    assert failure.value.reason == "Organisation is not subscribed to currency JPY"


def test_unsummarised_batches_flag_every_element(api):
    result = send(api, invoice(reference="ok"), invoice(currency_code=CurrencyCode.JPY))
    ok, failed = result.invoices
    assert (ok.has_errors, ok.status_attribute_string, ok.validation_errors) == (False, "OK", [])
    assert ok.warnings == []
    assert (failed.has_errors, failed.status_attribute_string) == (True, "ERROR")


@pytest.mark.parametrize("flag", ["true", "True", "TRUE", "false", "False"])
def test_summarize_errors_accepts_any_boolean_spelling(api, flag):
    answer = api.api_client.rest_client.pool_manager.request(
        "PUT",
        api.base_url + f"/Invoices?summarizeErrors={flag}",
        body=json.dumps(
            {"Invoices": [{"Type": "ACCREC", "Contact": {"Name": "X"}, "CurrencyCode": "JPY"}]}
        ),
        headers={**_auth(api), "Content-Type": "application/json"},
    )
    assert answer.status == (400 if flag.lower() == "true" else 200)


def test_get_by_number_and_not_found(api):
    saved = send(api, invoice(invoice_number="SHIP-77")).invoices[0]
    response = api.api_client.rest_client.pool_manager.request(
        "GET", api.base_url + "/Invoices/SHIP-77", headers=_auth(api)
    )
    assert json.loads(response.data)["Invoices"][0]["InvoiceID"] == saved.invoice_id
    with pytest.raises(ApiException) as missing:
        api.get_invoice(TENANT, "5a1f9f0e-0000-4000-8000-000000000001")
    assert missing.value.status == 404
    assert missing.value.body == b"The resource you're looking for cannot be found"
