"""The drift check: what Xero holds for each sent shipment is what Shipbridge says, or the
check shows exactly where not. Changes are made IN XERO, through the sandbox's API."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import httpx
from sqlmodel import select

from models import Shipment, WorkflowStatus, XeroContact, utcnow
from services import connections, drift
from services.db import session_scope
from services.mapping import update_sync_settings
from services.shipment_edits import change_status
from services.sync import send_shipments
from tests.utils.factories import id_of, line, make_shipment, stored


def send(engine, count: int = 1, **fields) -> list[int]:
    with session_scope(engine) as session:
        ids = [id_of(make_shipment(session, **fields)) for _ in range(count)]
    for start in range(0, len(ids), 10):
        sent = send_shipments(shipment_ids=ids[start : start + 10], trigger="bulk", user="ops")
        assert {o.outcome for o in sent.outcomes} == {"Processed"}
    return ids


def send_invoices_as(engine, status: str) -> None:
    with session_scope(engine) as session:
        update_sync_settings(session=session, user="admin", changes={"invoice_status": status})


def check(engine, full: bool = False) -> drift.DriftSummary:
    with session_scope(engine) as session:
        [summary] = drift.check_all(session=session, full=full).values()
    assert summary.error is None
    return summary


def found(engine) -> dict[int, dict[str, str]]:
    """shipment id → {kind: detail}, as stored."""
    with session_scope(engine) as session:
        return {
            row.shipment_id: {d.kind: d.detail for d in row.differences}
            for row in drift.differing_shipments(session=session)
        }


class Xero:
    """Someone working in Xero: reads and changes invoices with a token of their own."""

    def __init__(self, sandbox, engine):
        with session_scope(engine) as session:
            default = connections.default_connection(session=session)
            assert default is not None
            self.tenant = default.tenant_id
        token = sandbox.authorize_tokens([self.tenant])["access_token"]
        self.url = f"{sandbox.url}/api.xro/2.0"
        self.headers = {"Authorization": f"Bearer {token}", "xero-tenant-id": self.tenant}

    def invoice(self, engine, shipment_id: int) -> dict:
        with session_scope(engine) as session:
            invoice_id = stored(session, Shipment, shipment_id).xero_document_id
        answer = httpx.get(
            f"{self.url}/Invoices/{invoice_id}", headers=self.headers, params={"unitdp": 4}
        )
        assert answer.status_code == 200, answer.text
        return answer.json()["Invoices"][0]

    def save(self, invoice: dict) -> None:
        answer = httpx.post(
            f"{self.url}/Invoices/{invoice['InvoiceID']}",
            headers=self.headers,
            params={"unitdp": 4},
            json={"Invoices": [invoice]},
        )
        assert answer.status_code == 200, answer.text

    def set_status(self, engine, shipment_id: int, status: str) -> None:
        invoice_id = self.invoice(engine, shipment_id)["InvoiceID"]
        self.save({"InvoiceID": invoice_id, "Status": status})

    def edit_first_line(self, engine, shipment_id: int, quantity: str) -> None:
        invoice = self.invoice(engine, shipment_id)
        lines = [
            {k: x[k] for k in ("ItemCode", "Description", "UnitAmount", "AccountCode", "TaxType")}
            | {"Quantity": x["Quantity"]}
            for x in invoice["LineItems"]
        ]
        lines[0]["Quantity"] = quantity
        self.save({"InvoiceID": invoice["InvoiceID"], "LineItems": lines})

    def add_line(self, engine, shipment_id: int, amount: str) -> None:
        invoice = self.invoice(engine, shipment_id)
        lines = [{"LineItemID": x["LineItemID"]} for x in invoice["LineItems"]]
        first = invoice["LineItems"][0]
        lines.append(
            {
                "Description": "Handling",
                "Quantity": "1",
                "UnitAmount": amount,
                "AccountCode": first["AccountCode"],
                "TaxType": first["TaxType"],
            }
        )
        self.save({"InvoiceID": invoice["InvoiceID"], "LineItems": lines})

    def move_to_contact(self, engine, shipment_id: int, account_number: str) -> str:
        with session_scope(engine) as session:
            contact = session.exec(
                select(XeroContact).where(XeroContact.account_number == account_number)
            ).one()
            contact_id, name = contact.contact_id, contact.name
        invoice_id = self.invoice(engine, shipment_id)["InvoiceID"]
        self.save({"InvoiceID": invoice_id, "Contact": {"ContactID": contact_id}})
        return name


def test_nothing_differs_when_xero_holds_what_was_sent(engine, connected, sandbox):
    ids = send(engine, 2) + send(engine, 1, freight_amount=Decimal("17.35"))
    summary = check(engine, full=True)
    assert (summary.documents_read, summary.found, summary.shipments_differing) == (3, 0, 0)
    with session_scope(engine) as session:
        assert drift.shipments_differing(session=session) == 0
        assert all(stored(session, Shipment, i).xero_contact_id for i in ids)


def test_each_change_made_in_xero_is_found_in_its_own_words(engine, connected, sandbox):
    [deleted] = send(engine, 1)  # a draft: Xero deletes drafts and voids approved invoices
    send_invoices_as(engine, "AUTHORISED")
    edited, voided, paid, part_paid, moved, longer, untouched = send(engine, 7)
    check(engine)  # the starting point: everything agrees
    xero = Xero(sandbox, engine)
    with session_scope(engine) as session:
        total = stored(session, Shipment, paid).xero_total  # 4 × 12.50
        assert total is not None
    xero.edit_first_line(engine, edited, quantity="5")
    xero.set_status(engine, voided, "VOIDED")
    xero.set_status(engine, deleted, "DELETED")
    sandbox.record_payment(xero.invoice(engine, paid)["InvoiceID"], total)
    sandbox.record_payment(xero.invoice(engine, part_paid)["InvoiceID"], Decimal("20.00"))
    new_name = xero.move_to_contact(engine, moved, "BOLT")
    xero.add_line(engine, longer, "9.99")

    summary = check(engine)
    differences = found(engine)
    assert summary.found == 8 and summary.api_calls == 1
    assert set(differences) == {edited, voided, deleted, paid, part_paid, moved, longer}
    assert untouched not in differences
    assert set(differences[edited]) == {"total"}
    assert differences[edited]["total"].startswith(
        f"total {total:,.2f} here, {total + Decimal('12.50'):,.2f} in Xero — edited in Xero on "
    )
    assert set(differences[voided]) == {"voided"}
    assert differences[voided]["voided"].startswith("invoice voided in Xero on ")
    assert set(differences[deleted]) == {"deleted"}
    assert differences[deleted]["deleted"].startswith("invoice deleted in Xero on ")
    assert set(differences[paid]) == {"paid"}
    assert differences[paid]["paid"].startswith("paid in full in Xero on ")
    assert f"{total:,.2f} paid, 0.00 due; Shipbridge had 0.00 paid" in differences[paid]["paid"]
    assert set(differences[part_paid]) == {"paid"}
    assert differences[part_paid]["paid"].startswith("part-paid in Xero on ")
    assert f"20.00 paid, {total - 20:,.2f} due" in differences[part_paid]["paid"]
    assert set(differences[moved]) == {"contact"}
    assert differences[moved]["contact"].startswith(f"contact Acme Imports Inc here, {new_name}")
    assert set(differences[longer]) == {"total", "lines"}
    assert differences[longer]["lines"].startswith("1 line here, 2 lines in Xero — edited in")
    with session_scope(engine) as session:
        assert drift.shipments_differing(session=session) == 7
        # The money back is up to date, as a payments pull would leave it.
        shipment = stored(session, Shipment, part_paid)
        assert (shipment.xero_amount_paid, shipment.xero_amount_due) == (20, total - 20)
        assert stored(session, Shipment, paid).xero_status == "PAID"


def test_a_difference_clears_when_xero_agrees_again(engine, connected, sandbox):
    send_invoices_as(engine, "AUTHORISED")
    [sid] = send(engine, 1)
    xero = Xero(sandbox, engine)
    xero.edit_first_line(engine, sid, quantity="7")
    assert set(found(engine).get(sid, {})) == set()
    assert check(engine).found == 1 and set(found(engine)[sid]) == {"total"}
    xero.edit_first_line(engine, sid, quantity="4")  # as sent
    summary = check(engine)
    assert (summary.found, summary.cleared, summary.shipments_differing) == (0, 1, 0)
    assert found(engine) == {}


def test_a_shipment_cancelled_here_but_still_owed_in_xero_is_shown(engine, connected, sandbox):
    send_invoices_as(engine, "AUTHORISED")
    [sid] = send(engine, 1, lines=[line(quantity="3", unit_price="40")])
    with session_scope(engine) as session:
        change_status(
            session=session, shipment_ids=[sid], status=WorkflowStatus.CANCELLED, user="ops"
        )
    summary = check(engine)
    assert summary.api_calls == 1  # nothing changed in Xero: the cancellation costs no call
    assert found(engine) == {
        sid: {
            "cancelled": "cancelled here, still owed in Xero: 120.00 due (AUTHORISED); "
            "void it or credit it from the shipment"
        }
    }
    # Voided in Xero: no longer owed, and the void itself is what differs now.
    Xero(sandbox, engine).set_status(engine, sid, "VOIDED")
    check(engine)
    assert set(found(engine)[sid]) == {"voided"}


def test_unchanged_documents_cost_one_call_however_many(engine, connected, sandbox, monkeypatch):
    send(engine, 30)
    # The checks run a few minutes after the sends, past the bookmark's minute of overlap.
    monkeypatch.setattr(drift, "utcnow", lambda: utcnow() + timedelta(minutes=3))
    first = check(engine, full=True)
    assert first.documents_read == 30 and first.found == 0
    before = sandbox.calls()[-1]["id"]
    again = check(engine)
    made = sandbox.calls(since_id=before)
    assert again.documents_read == 0 and again.found == 0
    assert again.api_calls == len(made) <= 2
    # Read incrementally and paged, so the lines of a changed invoice would come back.
    assert all("/Invoices" in c["path"] and "page=1" in (c["query"] or "") for c in made)


def test_the_command_line_check_prints_each_difference(engine, connected, sandbox, capsys):
    import logging

    import structlog

    from services import cli

    send_invoices_as(engine, "AUTHORISED")
    [sid] = send(engine, 1)
    Xero(sandbox, engine).set_status(engine, sid, "VOIDED")
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        assert cli.main(["drift-check"]) == 2  # something differs
    finally:  # cli.main sets up the process's logging: the test process's comes back
        root.handlers[:] = handlers
        root.setLevel(level)
        structlog.reset_defaults()
    printed = capsys.readouterr().out
    with session_scope(engine) as session:
        number = stored(session, Shipment, sid).shipment_number
    assert f"{number}: invoice voided in Xero on " in printed
    assert "1 shipment(s) differ from Xero" in printed


def test_the_worker_checks_on_its_schedule(engine, connected, sandbox):
    from services import worker

    send_invoices_as(engine, "AUTHORISED")
    [sid] = send(engine, 1)
    xero = Xero(sandbox, engine)
    xero.set_status(engine, sid, "VOIDED")
    worker.check_drift(engine=engine)
    assert set(found(engine)[sid]) == {"voided"}
    before = sandbox.calls()[-1]["id"]
    worker.check_drift(engine=engine)  # checked a moment ago: not due yet
    assert sandbox.calls(since_id=before) == []


def test_a_check_loads_only_the_shipments_xero_changed(engine, connected, sandbox, monkeypatch):
    """A year of sent shipments must not be read into the worker's memory for a check: only
    those whose document Xero changed since the last one (and those cancelled here)."""
    from sqlalchemy import event

    send_invoices_as(engine, "AUTHORISED")
    ids = send(engine, 12)
    monkeypatch.setattr(drift, "utcnow", lambda: utcnow() + timedelta(minutes=3))
    check(engine, full=True)  # its bookmark: a minute before it started, 3 minutes ahead
    sandbox.advance_clock(600)  # Xero's next change is past that bookmark
    Xero(sandbox, engine).edit_first_line(engine, ids[0], quantity="7")
    with session_scope(engine) as session:
        change_status(
            session=session, shipment_ids=[ids[1]], status=WorkflowStatus.CANCELLED, user="ops"
        )
    monkeypatch.setattr(drift, "utcnow", lambda: utcnow() + timedelta(minutes=11))
    loaded: list[int] = []

    def count(target, _context) -> None:
        loaded.append(target.id)

    event.listen(Shipment, "load", count)
    try:
        summary = check(engine)
    finally:
        event.remove(Shipment, "load", count)
    assert sorted(set(loaded)) == sorted(ids[:2])
    assert set(found(engine)) == {ids[0], ids[1]}
    assert summary.shipments_differing == 2


def test_a_cancelled_difference_clears_when_the_shipment_is_moved_back(engine, connected, sandbox):
    send_invoices_as(engine, "AUTHORISED")
    [sid] = send(engine, 1)
    with session_scope(engine) as session:
        change_status(
            session=session, shipment_ids=[sid], status=WorkflowStatus.CANCELLED, user="ops"
        )
    check(engine)
    assert set(found(engine)[sid]) == {"cancelled"}
    with session_scope(engine) as session:
        change_status(
            session=session, shipment_ids=[sid], status=WorkflowStatus.DELIVERED, user="ops"
        )
    summary = check(engine)
    assert (summary.cleared, found(engine)) == (1, {})
