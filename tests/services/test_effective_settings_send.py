"""Issue 15 items 2 and 7 against the sandbox, through the real SDK: what the effective
settings say is what Xero holds after the send (status for a shipment with no organisation;
the Xero number and Xero's Reference field each from its own setting).

Xero's Invoice and Quote both carry `Reference` (an additional reference, free text) beside
the number (InvoiceNumber / QuoteNumber): /work/shared/xero-openapi/ (xero_accounting.yaml,
schemas Invoice and Quote)."""

from __future__ import annotations

import pytest

from models import Shipment
from services import connections, mapping
from services.db import session_scope
from services.sync import send_shipments
from tests.utils.factories import id_of, make_shipment, stored


def _in_xero(engine, shipment_id: int) -> dict:
    """The document as Xero holds it, read back through the SDK by its ID."""
    with session_scope(engine) as session:
        shipment = stored(session, Shipment, shipment_id)
        connection = connections.default_connection(session=session)
        assert connection is not None
        adapter = connections.adapter_for(connection, session=session)
        document_id, kind = shipment.xero_document_id, shipment.xero_document_type
    assert document_id is not None
    if kind == "quote":
        found = adapter.find_quote(connection.tenant_id, str(shipment.xero_document_number))
        assert found is not None
        return found.raw
    [invoice] = adapter.invoices_by_id(connection.tenant_id, [document_id])
    return invoice.raw


def _send(shipment_id: int) -> None:
    [outcome] = send_shipments(shipment_ids=[shipment_id], trigger="bulk", user="ops").outcomes
    assert outcome.outcome == "Processed", outcome.messages


def test_a_shipment_with_no_organisation_goes_out_as_the_page_says(engine, connected):
    """The issue's case: the default organisation's own settings say AUTHORISED while Every
    organisation says DRAFT; the effective settings say AUTHORISED and Xero holds that."""
    with session_scope(engine) as session:
        mapping.update_sync_settings(
            session=session,
            user="admin",
            tenant_id=connected.tenant_id,
            changes={"invoice_status": "AUTHORISED"},
        )
        shown = mapping.effective_settings(session=session, tenant_id=None)
        shipment_id = id_of(make_shipment(session))
    assert shown.settings.invoice_status == "AUTHORISED"
    _send(shipment_id)
    assert _in_xero(engine, shipment_id)["Status"] == "AUTHORISED"


@pytest.mark.parametrize(
    ("document_type", "number_source", "reference_source", "number", "reference"),
    [
        ("invoice", "shipment_number", "incoterms_shipment", "S-{n}", "FOB · S-{n}"),
        ("invoice", "exporter_reference", "shipment_number", "EXP-{n}", "S-{n}"),
        ("invoice", "shipment_number", "exporter_reference", "S-{n}", "EXP-{n}"),
        ("quote", "invoice_number", "exporter_reference", "INV-{n}", "EXP-{n}"),
        ("quote", "shipment_number", "incoterms_shipment", "S-{n}", "S-{n}"),
    ],
)
def test_the_xero_number_and_the_xero_reference_each_come_from_their_setting(
    engine, connected, document_type, number_source, reference_source, number, reference
):
    with session_scope(engine) as session:
        mapping.update_sync_settings(
            session=session,
            user="admin",
            changes={
                "document_type": document_type,
                "reference_source": number_source,
                "xero_reference_source": reference_source,
            },
        )
        n = 501
        shipment_id = id_of(
            make_shipment(
                session,
                shipment_number=f"S-{n}",
                exporter_reference=f"EXP-{n}",
                invoice_number=f"INV-{n}",
                incoterms="FOB",
            )
        )
    _send(shipment_id)
    held = _in_xero(engine, shipment_id)
    number_field = "QuoteNumber" if document_type == "quote" else "InvoiceNumber"
    assert held[number_field] == number.format(n=n)
    assert held["Reference"] == reference.format(n=n)


def test_an_unknown_xero_reference_source_is_refused(session):
    with pytest.raises(mapping.MappingError, match="Xero reference source"):
        mapping.update_sync_settings(
            session=session, user="admin", changes={"xero_reference_source": "buyer_code"}
        )
