"""Contacts and items: create, update, uniqueness and validation."""

from __future__ import annotations

from decimal import Decimal

from xero_python.accounting import Contact, Contacts, CurrencyCode, Item, Items, Purchase

from tests.xero_sandbox.conftest import TENANT


def test_create_and_update_contacts(api):
    created = api.create_contacts(
        TENANT,
        Contacts(
            contacts=[
                Contact(
                    name="Fjord Fisheries AS",
                    account_number="FJORD",
                    email_address="ola@fjord.example",
                    default_currency=CurrencyCode.EUR,
                    is_customer=True,
                )
            ]
        ),
    ).contacts[0]
    assert created.contact_status == "ACTIVE"
    updated = api.update_contact(
        TENANT,
        created.contact_id,
        Contacts(contacts=[Contact(contact_id=created.contact_id, account_number="FJORD-1")]),
    ).contacts[0]
    assert (updated.name, updated.account_number) == ("Fjord Fisheries AS", "FJORD-1")
    archived = api.update_or_create_contacts(
        TENANT,
        Contacts(contacts=[Contact(contact_id=created.contact_id, contact_status="ARCHIVED")]),
    ).contacts[0]
    assert archived.contact_status == "ARCHIVED"


def test_contact_validation(api):
    result = api.create_contacts(
        TENANT,
        Contacts(
            contacts=[
                Contact(name="acme imports inc"),
                Contact(name="Fine Co", email_address="not-an-email"),
                Contact(email_address="a@b.example"),
                Contact(name="Yen Co", default_currency=CurrencyCode.JPY),
                Contact(name="Good Co"),
            ]
        ),
        summarize_errors=False,
    )
    messages = [[e.message for e in (c.validation_errors or [])] for c in result.contacts]
    assert messages == [
        [
            "The contact name acme imports inc is already assigned to another contact. The "
            "contact name must be unique across all active contacts."
        ],
        ["Email address must be valid."],
        ["Contact Name cannot be empty."],
        ["Organisation is not subscribed to currency JPY"],
        [],
    ]
    assert [c.has_validation_errors for c in result.contacts] == [True] * 4 + [False]


def test_get_contact_by_number(api):
    created = api.create_contacts(
        TENANT, Contacts(contacts=[Contact(name="Numbered Ltd", contact_number="C-42")])
    ).contacts[0]
    assert api.get_contact_by_contact_number(TENANT, "C-42").contacts[0].contact_id == (
        created.contact_id
    )


def test_create_and_update_items(api):
    created = api.create_items(
        TENANT,
        Items(
            items=[
                Item(
                    code="KIWI-1",
                    name="Kiwifruit tray",
                    description="Tray of 30",
                    sales_details=Purchase(
                        unit_price=Decimal("14.5"), account_code="210", tax_type="ZERORATED"
                    ),
                )
            ]
        ),
    ).items[0]
    assert created.sales_details.unit_price == Decimal("14.5")
    updated = api.update_or_create_items(
        TENANT, Items(items=[Item(code="kiwi-1", name="Kiwifruit tray (large)")])
    ).items[0]
    assert updated.item_id == created.item_id
    assert updated.name == "Kiwifruit tray (large)"
    assert api.get_item(TENANT, created.item_id).items[0].code == "KIWI-1"


def test_item_validation(api):
    result = api.create_items(
        TENANT,
        Items(
            items=[
                Item(code="CRATE", name="Dup"),
                Item(code="NEW-1", name="Bad account", sales_details=Purchase(account_code="999")),
                Item(code="NEW-2", name="Fine"),
            ]
        ),
        summarize_errors=False,
    )
    messages = [[e.message for e in (i.validation_errors or [])] for i in result.items]
    assert messages == [
        ["Price List Item with Code 'CRATE' already exists"],
        ["Account code '999' is not a valid code for this document."],
        [],
    ]
