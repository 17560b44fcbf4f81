"""Check all: the waiting shipments whose codes do not map to Xero, counted in SQL by code."""

from __future__ import annotations

from models import SyncState
from services import aliases, connections, reference_data
from services.db import session_scope
from tests.utils.factories import line, make_shipment


def test_check_all_groups_by_code_with_exact_counts(engine, connected, sandbox):
    with session_scope(engine) as session:
        connection = connections.default_connection(session=session)
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
    with session_scope(engine) as session:
        result = aliases.check_all(session=session, connection=connection)
    assert [(c.kind, c.code, c.shipment_count) for c in result.codes] == [
        ("customer", "ALOK", 5),
        ("product", "WIDGET-Z", 2),
    ]
    alok = result.codes[0]
    assert alok.suggestions[:1] == ["ALOK-01"]
    assert len(alok.shipment_numbers) == 5 and alok.shipment_numbers == sorted(
        alok.shipment_numbers
    )
    assert result.shipments == 6  # five ALOK shipments and the ACME one with WIDGET-Z


def test_check_all_keeps_the_first_examples_and_the_exact_count(engine, connected, sandbox):
    with session_scope(engine) as session:
        connection = connections.default_connection(session=session)
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
