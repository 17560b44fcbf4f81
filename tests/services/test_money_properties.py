"""Property: whatever shipments people enter (quantities to 4 places, unit prices to 0–4
places, freight, currencies and exchange rates, amounts exclusive or inclusive of tax or
without tax), the document Xero holds after a send has exactly the shipment's total, line
by line. Generated shipments go through the real pipeline (send_shipments over HTTP to the
sandbox, the real SDK), and what Xero holds is read back through the SDK. On SQLite and
PostgreSQL (the engine fixture)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models import Shipment
from models.shipment import QUANTITY
from services import connections, money
from services.db import session_scope
from services.mapping import update_sync_settings
from services.shipments import shipment_total
from services.sync import send_shipments
from tests.utils.factories import id_of, make_shipment, stored
from tests.utils.factories import line as shipment_line

# The demo organisation (base NZD) has these currencies enabled; ACME is a customer there.
CURRENCIES = ("NZD", "USD", "EUR", "AUD", "GBP")
# Sales tax rates of the demo organisation, and what each charges.
TAX_RATES = {"ZERORATED": Decimal(0), "OUTPUT2": Decimal("0.15")}
PRODUCTS = ("WIDGET-A", "WIDGET-B", "GEAR-100", "CRATE")

quantities = st.decimals(
    min_value=Decimal("0.0001"), max_value=Decimal("5000"), places=QUANTITY.scale
)
unit_prices = st.integers(min_value=0, max_value=4).flatmap(
    lambda places: st.decimals(min_value=Decimal(0), max_value=Decimal("2500"), places=places)
)
lines = st.lists(
    st.tuples(st.sampled_from(PRODUCTS), quantities, unit_prices), min_size=1, max_size=4
)
shipments = st.fixed_dictionaries(
    {
        "lines": lines,
        "currency": st.sampled_from(CURRENCIES),
        "exchange_rate": st.none()
        | st.decimals(min_value=Decimal("0.01"), max_value=Decimal("200"), places=6),
        "freight_amount": st.none()
        | st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5000"), places=2),
    }
)
batches = st.fixed_dictionaries(
    {
        "shipments": st.lists(shipments, min_size=1, max_size=10),
        "line_amount_types": st.sampled_from(("Exclusive", "Inclusive", "NoTax")),
        "tax_type": st.sampled_from(sorted(TAX_RATES)),
    }
)


def tax_on(line_amount: Decimal, rate: Decimal, line_amount_types: str) -> Decimal:
    """A line's tax as Xero documents it: worked out per line and rounded to the cent."""
    if line_amount_types == "NoTax":
        return Decimal(0)
    if line_amount_types == "Inclusive":
        return money.round_amount(line_amount * rate / (1 + rate))
    return money.round_amount(line_amount * rate)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(batch=batches)
def test_what_xero_holds_after_a_send_is_exactly_the_shipments_total(engine, connected, batch):
    with session_scope(engine) as session:
        update_sync_settings(
            session=session,
            changes={
                "line_amount_types": batch["line_amount_types"],
                "tax_type": batch["tax_type"],
            },
            user="admin",
        )
        made = {
            id_of(
                make_shipment(
                    session,
                    lines=[
                        shipment_line(
                            product_code=product,
                            quantity=str(quantity),
                            unit_price=str(price),
                            item_value=str(money.line_amount(quantity=quantity, unit_price=price)),
                        )
                        for product, quantity, price in given["lines"]
                    ],
                    currency=given["currency"],
                    exchange_rate=given["exchange_rate"],
                    freight_amount=given["freight_amount"],
                )
            ): given
            for given in batch["shipments"]
        }
    ids = list(made)
    result = send_shipments(shipment_ids=ids, trigger="bulk", user="ops")
    assert [(o.outcome, o.messages) for o in result.outcomes] == [("Processed", [])] * len(ids)

    with session_scope(engine) as session:
        sent = [stored(session, Shipment, i) for i in ids]
        adapter = connections.adapter_for(connected, session=session)
        in_xero = {
            invoice.document_id: invoice.raw
            for invoice in adapter.invoices_by_id(
                connected.tenant_id, [s.xero_document_id or "" for s in sent]
            )
        }
    rate = TAX_RATES[batch["tax_type"]]
    for shipment in sent:
        given = made[id_of(shipment)]
        invoice = in_xero[shipment.xero_document_id]
        xero_lines = invoice["LineItems"]
        # What was entered, as Xero must hold it: each line's amount is quantity × unit price
        # rounded once, half away from zero; freight is one line of its own.
        expected = [
            (quantity, price, money.line_amount(quantity=quantity, unit_price=price))
            for _, quantity, price in given["lines"]
        ]
        if given["freight_amount"]:
            freight = given["freight_amount"]
            expected.append((Decimal(1), freight, freight))
        held = [
            (
                Decimal(str(x["Quantity"])),
                Decimal(str(x["UnitAmount"])),
                Decimal(str(x["LineAmount"])),
            )
            for x in xero_lines
        ]
        assert held == expected, shipment.shipment_number
        assert invoice["CurrencyCode"] == shipment.currency
        line_sum = sum((amount for _, _, amount in held), Decimal(0))
        assert line_sum == shipment_total(shipment)
        tax = sum(
            (tax_on(amount, rate, batch["line_amount_types"]) for _, _, amount in held),
            Decimal(0),
        )
        xero_total = Decimal(str(invoice["Total"]))
        assert Decimal(str(invoice["TotalTax"])) == tax
        if batch["line_amount_types"] == "Exclusive":
            assert xero_total == line_sum + tax
        else:
            assert xero_total == line_sum
        assert shipment.xero_total == xero_total  # what Shipbridge recorded of Xero's answer
