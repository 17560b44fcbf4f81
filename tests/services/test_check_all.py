"""Check all: the waiting shipments whose codes do not map to Xero, counted in SQL by code."""

from __future__ import annotations

from models import CustomerMapping, ProductMapping, SyncState
from services import aliases, connections, reference_data
from services.db import session_scope
from tests.utils.factories import line, make_shipment


def test_check_all_groups_by_code_with_exact_counts(engine, connected, sandbox):
    with session_scope(engine) as session:
        connection = connections.default_connection(session=session)
        assert connection is not None
        adapter = connections.adapter_for(connection, session=session)
        reference_data.refresh(session=session, connection=connection, adapter=adapter)
        for _ in range(3):
            make_shipment(session, buyer_code="ALOK")
        make_shipment(session, buyer_code=" ALOK ")  # the same code, typed with spaces
        make_shipment(session, buyer_code="ACME", lines=[line("WIDGET-Z"), line("WIDGET-A")])
        make_shipment(session, buyer_code="ALOK", lines=[line("WIDGET-Z")])
        make_shipment(session, buyer_code="NOPE", tenant_id="another-organisation")
        sent = make_shipment(session, buyer_code="ALOK")
        sent.sync_state = SyncState.PROCESSED  # already in Xero: not waiting
        make_shipment(session, buyer_code="acme")  # case does not matter, as in a send
        make_shipment(session, buyer_code="ZZZ")
    with session_scope(engine) as session:
        result = aliases.check_all(session=session, connection=connection)
    # The codes holding back the most shipments first.
    assert [(c.kind, c.code, c.shipment_count) for c in result.codes] == [
        ("customer", "ALOK", 5),
        ("product", "WIDGET-Z", 2),
        ("customer", "ZZZ", 1),
    ]
    alok = result.codes[0]
    assert alok.suggestions[:1] == ["ALOK-01"]
    assert len(alok.shipment_numbers) == 5 and alok.shipment_numbers == sorted(
        alok.shipment_numbers
    )
    assert result.shipments == 7  # five ALOK shipments, the ACME one with WIDGET-Z, ZZZ


def test_check_all_keeps_the_first_examples_and_the_exact_count(engine, connected, sandbox):
    with session_scope(engine) as session:
        connection = connections.default_connection(session=session)
        assert connection is not None
        adapter = connections.adapter_for(connection, session=session)
        reference_data.refresh(session=session, connection=connection, adapter=adapter)
        numbers = [
            make_shipment(session, lines=[line("GADGET")]).shipment_number
            for _ in range(aliases.EXAMPLES + 3)
        ]
    with session_scope(engine) as session:
        [gadget] = aliases.check_all(session=session, connection=connection).codes
    assert (gadget.kind, gadget.code, gadget.shipment_count) == ("product", "GADGET", 53)
    assert gadget.shipment_numbers == sorted(numbers)[: aliases.EXAMPLES]


def test_mappings_are_paged_and_searched_in_sql(engine):
    with session_scope(engine) as session:
        for n in range(60):
            aliases.save_customer_mapping(
                session=session,
                tenant_id="t1",
                shipment_code=f"C{n:03d}",
                account_number="ALOK-01" if n == 7 else f"X{n}",
                sales_account_code=None,
                user="admin",
            )
        aliases.save_customer_mapping(  # another organisation's: never listed for t1
            session=session, tenant_id="t2", shipment_code="C000", account_number="Y",
            sales_account_code=None, user="admin",
        )  # fmt: skip
        aliases.save_product_mapping(
            session=session, tenant_id="t1", shipment_code="50%_OFF", item_code="W", user="a"
        )
    with session_scope(engine) as session:
        first = aliases.mappings(CustomerMapping, session=session, tenant_id="t1", page_size=25)
        last = aliases.mappings(
            CustomerMapping, session=session, tenant_id="t1", page=9, page_size=25
        )
        found = aliases.mappings(
            CustomerMapping, session=session, tenant_id="t1", search="alok", page_size=25
        )
        literal = aliases.mappings(ProductMapping, session=session, tenant_id="t1", search="%_")
        none = aliases.mappings(ProductMapping, session=session, tenant_id="t1", search="0_")
        one = aliases.mapping_for(
            CustomerMapping, session=session, tenant_id="t2", shipment_code="C000"
        )
    assert (first.total, first.pages, first.page) == (60, 3, 1)
    assert [m.shipment_code for m in first.rows] == [f"C{n:03d}" for n in range(25)]
    # A page past the end shows the last one.
    assert (last.page, [m.shipment_code for m in last.rows]) == (
        3,
        [f"C{n:03d}" for n in range(50, 60)],
    )
    assert [m.shipment_code for m in found.rows] == ["C007"]  # by the Xero code, any case
    assert [m.shipment_code for m in literal.rows] == ["50%_OFF"]  # % and _ are not wildcards
    assert none.rows == [] and none.total == 0
    assert one is not None and one.account_number == "Y"
