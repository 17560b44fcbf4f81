"""Reference data in, mapping aliases, and payments and statuses back from Xero."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import httpx
from sqlmodel import select

from models import AuditEvent, Shipment, SyncState, XeroContact
from services import aliases, connections, payments, reference_data
from services.db import session_scope
from services.finance import View, customer_balances, documents, pin
from services.mapping import update_sync_settings
from services.sync import send_shipments
from tests.utils.factories import id_of, make_shipment, stored


def adapter_and_connection(session):
    connection = connections.default_connection(session=session)
    assert connection is not None
    return connections.adapter_for(connection, session=session), connection


def authorise_invoices(engine):
    """Payments need AUTHORISED invoices (Xero refuses them on drafts)."""
    with session_scope(engine) as session:
        update_sync_settings(
            session=session, user="admin", changes={"invoice_status": "AUTHORISED"}
        )


def refresh(engine, full=False):
    with session_scope(engine) as session:
        adapter, connection = adapter_and_connection(session)
        return reference_data.refresh(
            session=session, connection=connection, adapter=adapter, full=full
        )


def test_import_then_incremental_refresh_counts_calls(engine, connected, sandbox):
    first = refresh(engine, full=True)
    assert first.counts["contacts"]["new"] >= 6 and first.counts["items"]["new"] == 6
    assert first.api_calls == 6  # organisation + one call per kind
    with session_scope(engine) as session:
        customers = {
            c.account_number
            for c in session.exec(select(XeroContact))
            if c.is_customer and not c.archived
        }
        _adapter, connection = adapter_and_connection(session)
    # Someone working in Xero may write contacts; Shipbridge's own token only reads them.
    token = sandbox.authorize_tokens([connection.tenant_id])["access_token"]
    assert {"ACME", "ALOK-01", "BOLT"} <= customers
    assert "PACPACK" not in customers and "OLDCO" not in customers  # supplier-only, archived
    unchanged = refresh(engine)
    assert unchanged.api_calls == 6
    assert not any(
        c.get("new") or c.get("updated") for k, c in unchanged.counts.items() if k != "currencies"
    )
    # Someone adds a customer in Xero: the next incremental refresh brings just that one.
    answer = httpx.put(
        f"{sandbox.url}/api.xro/2.0/Contacts",
        headers={"Authorization": f"Bearer {token}", "xero-tenant-id": connection.tenant_id},
        json={
            "Contacts": [{"Name": "Zephyr Exports", "AccountNumber": "ZEPH", "IsCustomer": True}]
        },
    )
    assert answer.status_code == 200, answer.text
    later = refresh(engine)
    assert later.counts["contacts"] == {"new": 1}


def test_an_alias_turns_a_rejection_into_a_send(engine, connected, sandbox):
    with session_scope(engine) as session:
        sid = id_of(make_shipment(session, buyer_code="ALOK"))
    first = send_shipments(shipment_ids=[sid], trigger="bulk", user="ops").outcomes[0]
    assert first.outcome == "Rejected"
    with session_scope(engine) as session:
        _, connection = adapter_and_connection(session)
        unmapped = aliases.check_all(session=session, connection=connection)
        assert unmapped.shipments == 1
        assert [(u.kind, u.code, u.suggestions[:1], u.shipment_count) for u in unmapped.codes] == [
            ("customer", "ALOK", ["ALOK-01"], 1)
        ]
        aliases.save_customer_mapping(
            session=session,
            tenant_id=connection.tenant_id,
            shipment_code="ALOK",
            account_number="ALOK-01",
            sales_account_code=None,
            user="admin",
        )
        assert aliases.check_all(session=session, connection=connection).codes == []
        assert session.exec(select(AuditEvent).where(AuditEvent.action == "map customer")).one()
    again = send_shipments(shipment_ids=[sid], trigger="retry", user="ops").outcomes[0]
    assert again.outcome == "Processed", again.messages


def test_finance_counts_an_aliased_code_under_its_xero_contact(engine, connected, sandbox):
    """ALOK (mapped to ALOK-01) and ALOK-01 are one customer to finance: Alok Industries."""
    with session_scope(engine) as session:
        _, connection = adapter_and_connection(session)
        aliases.save_customer_mapping(
            session=session,
            tenant_id=connection.tenant_id,
            shipment_code="ALOK",
            account_number="ALOK-01",
            sales_account_code=None,
            user="admin",
        )
        ids = [id_of(make_shipment(session, buyer_code=code)) for code in ("ALOK", "ALOK-01")]
    sent = send_shipments(shipment_ids=ids, trigger="bulk", user="ops")
    assert [o.outcome for o in sent.outcomes] == ["Processed", "Processed"]
    today = date(2026, 11, 22)
    with session_scope(engine) as session:
        shipments = [stored(session, Shipment, i) for i in ids]
        assert {s.xero_contact_name for s in shipments} == {"Alok Industries"}
        [alok] = customer_balances(session=session, today=today)
        assert (alok.customer, alok.documents) == ("Alok Industries", 2)
        totals = [s.xero_total for s in shipments if s.xero_total is not None]
        assert len(totals) == len(shipments) and alok.total == sum(totals)
        theirs, total = documents(session=session, today=today, customer="Alok Industries")
        assert total == 2 and {s.id for s in theirs} == set(ids)
        # Sent as drafts (the default invoice status): in Xero they are not owed yet.
        assert {s.xero_status for s in shipments} == {"DRAFT"}
        assert (alok.paid, alok.unpaid, alok.overdue) == (0, 0, 0)
        assert alok.not_approved == alok.total
        drafts, _ = documents(session=session, today=today, view=View.NOT_APPROVED)
        unpaid, _ = documents(session=session, today=today, view=View.UNPAID)
        assert {s.id for s in drafts} == set(ids) and unpaid == []


def test_payments_full_then_partial_show_after_a_pull(engine, connected, sandbox):
    authorise_invoices(engine)
    with session_scope(engine) as session:
        ids = [id_of(make_shipment(session, buyer_code="ACME")) for _ in range(2)]
    send_shipments(shipment_ids=ids, trigger="bulk", user="ops")
    with session_scope(engine) as session:
        full, part = (stored(session, Shipment, i) for i in ids)
        full_id, part_id, total = full.xero_document_id, part.xero_document_id, full.xero_total
        assert total is not None
    sandbox.record_payment(full_id, total)
    sandbox.record_payment(part_id, Decimal("20.00"), reference="first instalment")
    sandbox.record_payment(part_id, Decimal("5.00"), reference="second instalment")
    with session_scope(engine) as session:
        summary = payments.pull_all(session=session)
    assert sum(s.payments_new for s in summary.values()) == 3
    today = date(2026, 11, 22)
    with session_scope(engine) as session:
        full, part = (stored(session, Shipment, i) for i in ids)
        assert (full.xero_status, full.xero_amount_due) == ("PAID", Decimal("0"))
        assert part.xero_amount_paid == Decimal("25.00")
        assert part.xero_amount_due == total - Decimal("25.00")
        instalments = payments.payments_of(session=session, shipment_id=id_of(part))
        assert [p.amount for p in instalments] == [Decimal("20.00"), Decimal("5.00")]
        paid, _ = documents(session=session, today=today, view=View.PAID)
        unpaid, _ = documents(session=session, today=today, view=View.UNPAID)
        assert [s.id for s in paid] == [full.id] and [s.id for s in unpaid] == [part.id]
        [acme] = customer_balances(session=session, today=today)
        assert (acme.customer, acme.currency, acme.paid) == ("Acme Imports Inc", "USD", total + 25)
        pin(session=session, username="fiona", shipment_id=id_of(part))
        pinned, _ = documents(session=session, today=today, view=View.PINNED, username="fiona")
        assert [s.id for s in pinned] == [part.id]
    # A second pull with nothing new in Xero changes nothing and costs one payments call.
    with session_scope(engine) as session:
        again = payments.pull_all(session=session)
    assert sum(s.payments_new for s in again.values()) == 0
    assert sum(s.api_calls for s in again.values()) == 1


def test_moving_past_the_due_date_turns_open_into_overdue(engine, connected, sandbox):
    authorise_invoices(engine)
    with session_scope(engine) as session:
        sid = id_of(make_shipment(session, due_date=date(2026, 12, 1)))
    send_shipments(shipment_ids=[sid], trigger="bulk", user="ops")
    clock = sandbox.set_clock("2026-11-25T00:00:00")
    xero_today = datetime.fromisoformat(clock["now"]).date()
    with session_scope(engine) as session:
        open_, _ = documents(session=session, today=xero_today, view=View.OPEN)
        assert [s.id for s in open_] == [sid]
    clock = sandbox.advance_clock(10 * 86400)
    xero_today = datetime.fromisoformat(clock["now"]).date()
    with session_scope(engine) as session:
        payments.pull_all(session=session, full=True)  # the token refresh survives the jump
        overdue, _ = documents(session=session, today=xero_today, view=View.OVERDUE)
        open_, _ = documents(session=session, today=xero_today, view=View.OPEN)
        assert [s.id for s in overdue] == [sid] and open_ == []
        assert stored(session, Shipment, sid).sync_state == SyncState.PROCESSED
