"""GET filters: where, order, paging, IDs/numbers/contacts/statuses, If-Modified-Since."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from xero_python.accounting import Contact, Invoice, Invoices, LineItem
from xero_python.exceptions import ApiException

from tests.xero_sandbox.conftest import TENANT

ACME, BOLT = "Acme Imports Inc", "Bolt Trading GmbH"


@pytest.fixture
def invoices(api):
    """Five invoices: three DRAFT for Acme, one AUTHORISED for Bolt, one SUBMITTED."""
    docs = [
        Invoice(
            type="ACCREC",
            contact=Contact(name=name),
            status=status,
            date=dt.date(2026, 1, day),
            due_date=dt.date(2026, 2, day),
            reference=ref,
            line_items=[LineItem(item_code="CRATE", quantity=qty)],
        )
        for name, status, day, ref, qty in [
            (ACME, "DRAFT", 5, "PO-1", 1),
            (ACME, "DRAFT", 6, "PO-2", 2),
            (ACME, "DRAFT", 7, "other", 3),
            (BOLT, "AUTHORISED", 8, "PO-4", 4),
            (BOLT, "SUBMITTED", 9, None, 5),
        ]
    ]
    return api.create_invoices(TENANT, Invoices(invoices=docs)).invoices


def numbers(result) -> list[str]:
    return [invoice.invoice_number for invoice in result.invoices]


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ('Status=="DRAFT"', ["INV-0001", "INV-0002", "INV-0003"]),
        ('Status != "DRAFT"', ["INV-0004", "INV-0005"]),
        ('Status=="DRAFT" AND Reference.StartsWith("PO")', ["INV-0001", "INV-0002"]),
        ('Status=="AUTHORISED" OR Status=="SUBMITTED"', ["INV-0004", "INV-0005"]),
        ('Status=="AUTHORISED" || Reference == "other"', ["INV-0003", "INV-0004"]),
        ('Reference.Contains("po")', ["INV-0001", "INV-0002", "INV-0004"]),
        ('Reference.EndsWith("-2")', ["INV-0002"]),
        ('Contact.Name == "bolt trading gmbh"', ["INV-0004", "INV-0005"]),
        ("Total > 100", ["INV-0003", "INV-0004", "INV-0005"]),
        ("Total >= 90 && Total <= 135", ["INV-0002", "INV-0003"]),
        ("Date >= DateTime(2026, 1, 8)", ["INV-0004", "INV-0005"]),
        ("Date < DateTime(2026,01,06)", ["INV-0001"]),
        ('DueDate == DateTime.Parse("2026-02-07T00:00:00")', ["INV-0003"]),
        ('NOT (Status == "DRAFT")', ["INV-0004", "INV-0005"]),
        ('Type=="ACCREC" AND (Status=="DRAFT" AND Total < 50)', ["INV-0001"]),
        ('Reference == ""', ["INV-0005"]),
        ("ExpectedPaymentDate != null", []),
        ('InvoiceNumber.ToLower() == "inv-0003"', ["INV-0003"]),
        ("HasAttachments == false AND AmountDue > 200", ["INV-0005"]),
    ],
)
def test_where(api, invoices, where, expected):
    assert numbers(api.get_invoices(TENANT, where=where)) == expected


def test_where_with_guids(api, invoices):
    acme = invoices[0].contact.contact_id
    found = api.get_invoices(TENANT, where=f'Contact.ContactID == Guid("{acme}")')
    assert numbers(found) == ["INV-0001", "INV-0002", "INV-0003"]
    one = api.get_invoices(TENANT, where=f'InvoiceID==Guid("{invoices[3].invoice_id}")')
    assert numbers(one) == ["INV-0004"]


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ('Colour == "red"', "No property or field 'Colour' exists in type 'Invoice'"),
        ('Contact.Shoe == "x"', "No property or field 'Shoe' exists in type 'Contact'"),
        (
            'Contact.ContactID == "abc"',
            "Operator '==' incompatible with operand types 'Guid' and 'String'",
        ),
        (
            'Date > "2026-01-01"',
            "Operator '>' incompatible with operand types 'DateTime' and 'String'",
        ),
        ('Total == "5"', "Operator '==' incompatible with operand types 'Decimal' and 'String'"),
        ('Status == "DRAFT" AND', "Expression expected"),
        ('Status == "DRAFT")', "Syntax error"),
        ("Reference", "Expression of type 'Boolean' expected"),
        ('Total.Contains("1")', "No applicable method 'Contains' exists in type 'Decimal'"),
    ],
)
def test_bad_where_is_a_query_parse_exception(api, invoices, where, message):
    with pytest.raises(ApiException) as refused:
        api.get_invoices(TENANT, where=where)
    assert refused.value.status == 400
    assert json.loads(refused.value.body) == {
        "ErrorNumber": 16,
        "Type": "QueryParseException",
        "Message": message,
    }


def test_order(api, invoices):
    assert numbers(api.get_invoices(TENANT, order="Total DESC"))[:2] == ["INV-0005", "INV-0004"]
    ordered = api.get_invoices(TENANT, order="Status ASC, Date DESC")
    assert numbers(ordered) == ["INV-0004", "INV-0003", "INV-0002", "INV-0001", "INV-0005"]
    with pytest.raises(ApiException):
        api.get_invoices(TENANT, order="Colour")


def test_id_number_contact_and_status_lists(api, invoices):
    ids = [invoices[0].invoice_id, invoices[4].invoice_id]
    assert numbers(api.get_invoices(TENANT, i_ds=ids)) == ["INV-0001", "INV-0005"]
    assert numbers(api.get_invoices(TENANT, invoice_numbers=["inv-0002", "INV-0003"])) == [
        "INV-0002",
        "INV-0003",
    ]
    bolt = invoices[3].contact.contact_id
    assert numbers(api.get_invoices(TENANT, contact_i_ds=[bolt])) == ["INV-0004", "INV-0005"]
    assert numbers(api.get_invoices(TENANT, statuses=["SUBMITTED", "AUTHORISED"])) == [
        "INV-0004",
        "INV-0005",
    ]


def test_paging(api, invoices):
    unpaged = api.get_invoices(TENANT)
    assert unpaged.pagination is None
    assert unpaged.invoices[0].line_items == []  # Xero leaves lines out of unpaged lists
    page = api.get_invoices(TENANT, page=2, page_size=2)
    assert numbers(page) == ["INV-0003", "INV-0004"]
    assert page.invoices[0].line_items[0].item_code == "CRATE"
    assert (
        page.pagination.page,
        page.pagination.page_size,
        page.pagination.page_count,
        page.pagination.item_count,
    ) == (2, 2, 3, 5)
    assert numbers(api.get_invoices(TENANT, page=4, page_size=2)) == []
    assert api.get_invoices(TENANT, page=1).pagination.page_size == 100
    assert api.get_invoices(TENANT, page=1, page_size=5000).pagination.page_size == 1000


def test_if_modified_since(sandbox, api, invoices):
    sandbox.advance_clock(600)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)
    assert api.get_invoices(TENANT, if_modified_since=later).invoices == []
    api.update_or_create_invoices(
        TENANT, Invoices(invoices=[Invoice(invoice_id=invoices[1].invoice_id, reference="changed")])
    )
    changed = api.get_invoices(TENANT, if_modified_since=later)
    assert numbers(changed) == ["INV-0002"]
    assert changed.invoices[0].updated_date_utc > later
    seeded = dt.datetime(2026, 1, 2, tzinfo=dt.UTC)
    assert api.get_contacts(TENANT, if_modified_since=seeded).contacts == []
    assert len(api.get_items(TENANT, if_modified_since=seeded - dt.timedelta(days=2)).items) == 6


def test_archived_contacts_need_include_archived(api):
    names = {c.name for c in api.get_contacts(TENANT, include_archived=True).contacts}
    assert "Old Partner Co" in names
    assert api.get_contacts(TENANT, where='Name=="Old Partner Co"').contacts == []


def test_contact_where_and_search(api):
    found = api.get_contacts(TENANT, where='AccountNumber=="ALOK-01"').contacts
    assert [c.name for c in found] == ["Alok Industries"]
    assert [c.name for c in api.get_contacts(TENANT, search_term="cascade").contacts] == [
        "Cascade Foods Pty"
    ]
    customers = api.get_contacts(TENANT, where="IsCustomer==true AND IsSupplier==false")
    assert "Pacific Packaging" not in {c.name for c in customers.contacts}
    paged = api.get_contacts(TENANT, page=1, page_size=3)
    assert paged.pagination.item_count == 7 and len(paged.contacts) == 3


def test_reference_data_filters(api):
    revenue = api.get_accounts(TENANT, where='Type=="REVENUE" AND Status=="ACTIVE"').accounts
    assert [a.code for a in revenue] == ["200", "210", "260", "265"]
    bank = api.get_accounts(TENANT, where='Type=="BANK"').accounts
    assert [a.code for a in bank] == ["090"]
    assert [t.tax_type for t in api.get_tax_rates(TENANT, where="EffectiveRate > 0").tax_rates] == [
        "OUTPUT2",
        "INPUT2",
    ]
    items = api.get_items(TENANT, where='Code.StartsWith("WIDGET")', order="Code DESC").items
    assert [i.code for i in items] == ["WIDGET-B", "WIDGET-A"]
