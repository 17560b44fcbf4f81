"""Validation against what the database holds: the cached reference data as load reads it,
and a refresh from the sandbox. The rules themselves are pure: tests/unit/test_validation.py."""

from models import CustomerMapping, ProductMapping, SyncSettings
from services import reference_data
from services.validation import check
from tests.utils.factories import (
    line,
    make_shipment,
    reference_in_memory,
    seed_reference,
)


def test_load_reads_the_cache_as_the_in_memory_view_holds_it(session):
    connection = seed_reference(session)
    mappings = [
        CustomerMapping(
            tenant_id=connection.tenant_id,
            shipment_code="alok",
            account_number="ALOK-01",
            sales_account_code="200",
        ),
        ProductMapping(tenant_id=connection.tenant_id, shipment_code="wa", item_code="WIDGET-A"),
    ]
    session.add_all(mappings)
    session.flush()
    loaded = reference_data.load(session=session, connection=connection)
    expected = reference_in_memory(extra_rows=mappings)
    assert set(loaded.customers) == set(expected.customers) == {"ACME", "ALOK-01"}
    assert set(loaded.items) == set(expected.items)
    assert set(loaded.accounts) == set(expected.accounts)
    assert set(loaded.tax_types) == set(expected.tax_types)
    assert loaded.currencies == expected.currencies
    assert loaded.customer_aliases == expected.customer_aliases == {"ALOK": "ALOK-01"}
    assert loaded.product_aliases == expected.product_aliases == {"WA": "WIDGET-A"}
    assert loaded.sales_account_overrides == expected.sales_account_overrides


def test_a_saved_shipment_checks_as_one_built_in_memory(session):
    ref = reference_data.load(session=session, connection=seed_reference(session))
    shipment = make_shipment(session, buyer_code="ALOK", lines=[line(product_code="WIDGET-Z")])
    problems, resolved = check(shipment, SyncSettings(), ref)
    assert resolved is None
    assert [p.split(":")[0] for p in problems] == [
        "Customer code ALOK is not a Xero contact's account number",
        "Line 1",
    ]


def test_refresh_keeps_which_tax_rates_sales_may_use(engine, connected, sandbox):
    from sqlmodel import select

    from models import XeroTaxRate
    from services import connections
    from services.db import session_scope

    with session_scope(engine) as session:
        connection = connections.default_connection(session=session)
        assert connection is not None
        adapter = connections.adapter_for(connection, session=session)
        reference_data.refresh(session=session, connection=connection, adapter=adapter)
    with session_scope(engine) as session:
        rates = {r.tax_type: r.can_apply_to_revenue for r in session.exec(select(XeroTaxRate))}
    # The sandbox's NZ organisation, as Xero describes its rates.
    assert rates["OUTPUT2"] is True and rates["ZERORATED"] is True
    assert rates["INPUT2"] is False
