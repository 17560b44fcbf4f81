"""Small assertions and look-ups shared by the page tests."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from ui.common import UNEXPECTED

UNEXPECTED_START = UNEXPECTED.split("(")[0]


def assert_clean(at: AppTest, *, allow_errors: bool = False) -> None:
    """No traceback, no "something went wrong", and (unless allowed) no st.error at all."""
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    assert not [e for e in errors if e.startswith(UNEXPECTED_START)], errors
    assert allow_errors or not errors, errors


def nav_titles(at: AppTest) -> set[str]:
    """Titles of the page files st.navigation registered in the last run."""
    return {info["page_name"] for info in at._registered_pages.values() if info.get("script_path")}


def texts(at: AppTest) -> str:
    """All markdown, captions, titles and alerts of the last run, as one string."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "success", "info"):
        parts += [e.value for e in getattr(at, kind)]
    parts += [e.value for e in at.warning] + [e.value for e in at.error]
    return "\n".join(str(p) for p in parts)


def button(at: AppTest, key: str):
    return at.button(key=key)


def count_rows(model) -> int:
    from sqlmodel import func, select

    from services.db import session_scope

    with session_scope() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def shipment_by_number(number: str):
    from sqlmodel import select

    from models import Shipment
    from services.db import session_scope

    with session_scope() as session:
        shipment = session.exec(select(Shipment).where(Shipment.shipment_number == number)).one()
        shipment.lines  # noqa: B018 - load them before the session closes
        return shipment


def select_rows(at: AppTest, rows: list[int]) -> AppTest:
    """Tick table rows (positions on the table's current page), as a click in the browser."""
    from ui import state

    at.session_state[state.SHIPMENTS_TABLE] = {"selection": {"rows": rows, "columns": []}}
    return at.run()


def log_rejection(shipment_number: str = "SHP-1005", **extra) -> int:
    """An integration-log row as a rejected send writes it; returns its id."""
    from services import integration_log
    from services.db import session_scope
    from tests.utils.factories import id_of

    shipment = shipment_by_number(shipment_number)
    values = dict(
        shipment_id=shipment.id,
        shipment_number=shipment.shipment_number,
        batch_id="b1",
        trigger="bulk",
        triggered_by="operations",
        document_type="invoice",
        action="create",
        outcome="Rejected",
        payload={"InvoiceNumber": shipment.shipment_number, "LineItems": []},
        errors_xero=["Account code '999' is not a valid code for this document."],
        errors_plain=["Account code 999 cannot be used in Xero: choose an active revenue account."],
        api_calls=1,
    )
    values.update(extra)
    with session_scope() as session:
        entry = integration_log.write(session=session, **values)
        session.flush()
        return id_of(entry)


def add_connection(name: str = "Demo Exports Ltd", status: str = "Connected", **extra) -> int:
    """A connected organisation row, as finish_connect leaves it (no real tokens)."""
    from models import XeroConnection
    from services.db import session_scope
    from tests.utils.factories import id_of

    with session_scope() as session:
        row = XeroConnection(
            tenant_id=extra.pop("tenant_id", f"tenant-{name}"),
            tenant_name=name,
            status=status,
            base_currency=extra.pop("base_currency", "NZD"),
            connected_by="admin",
            is_default=extra.pop("is_default", True),
            **extra,
        )
        session.add(row)
        session.flush()
        return id_of(row)


def add_reference_data(tenant_id: str) -> None:
    """Cached Xero reference data for an organisation, as a refresh leaves it: the demo
    customers and items, a few accounts, a tax rate and currencies."""
    from decimal import Decimal

    from models import XeroAccount, XeroContact, XeroCurrency, XeroItem, XeroTaxRate
    from services.db import session_scope

    customers = {
        "ACME": "Acme Imports Inc",
        "ALOK-01": "Alok Industries",
        "BOLT": "Bolt GmbH",
        "CASC": "Cascade Pty",
        "DELTA": "Delta Ltd",
        "EVER": "Evergreen NZ",
    }
    with session_scope() as session:
        for code, name in customers.items():
            session.add(
                XeroContact(
                    tenant_id=tenant_id, contact_id=f"c-{code}", account_number=code, name=name
                )
            )
        session.add(
            XeroContact(
                tenant_id=tenant_id,
                contact_id="c-OLD",
                account_number="OLDCO",
                name="Old Partner",
                archived=True,
            )
        )
        for code in ("WIDGET-A", "WIDGET-B", "GEAR-100", "CRATE", "PALLET", "MANUKA-250"):
            session.add(XeroItem(tenant_id=tenant_id, item_id=f"i-{code}", code=code, name=code))
        for code, name, kind in (
            ("200", "Sales", "REVENUE"),
            ("210", "Export Sales", "REVENUE"),
            ("265", "Freight Recovered", "REVENUE"),
            ("090", "Business Bank Account", "BANK"),
        ):
            session.add(
                XeroAccount(
                    tenant_id=tenant_id, account_id=f"a-{code}", code=code, name=name, type=kind
                )
            )
        session.add(XeroTaxRate(tenant_id=tenant_id, tax_type="ZERORATED", name="Zero Rated"))
        session.add(  # a rate for purchases only: never offered for sales
            XeroTaxRate(
                tenant_id=tenant_id,
                tax_type="INPUT2",
                name="GST on Expenses",
                rate=Decimal(15),
                can_apply_to_revenue=False,
            )
        )
        for code in ("NZD", "USD", "EUR", "AUD", "GBP"):
            session.add(XeroCurrency(tenant_id=tenant_id, code=code))


def mark_sent(
    number: str,
    document_number: str,
    *,
    total: str,
    paid: str = "0",
    status: str = "AUTHORISED",
    document_type: str = "invoice",
    sync_state: str = "Processed",
    **fields,
) -> int:
    """Set a shipment's xero_* fields as a send and a payments pull leave them; returns its id.
    `fields` sets other shipment columns (due_date, tenant_id, ...)."""
    from decimal import Decimal

    from sqlmodel import select

    from models import Shipment
    from services.db import session_scope
    from tests.utils.factories import id_of

    with session_scope() as session:
        shipment = session.exec(select(Shipment).where(Shipment.shipment_number == number)).one()
        shipment.xero_document_id = f"doc-{number}"
        shipment.xero_document_number = document_number
        shipment.xero_document_type = document_type
        shipment.xero_status = status
        shipment.xero_total = Decimal(total)
        if document_type == "invoice":
            shipment.xero_amount_paid = Decimal(paid)
            shipment.xero_amount_due = Decimal(total) - Decimal(paid)
            shipment.xero_currency_rate = Decimal("1")
        shipment.sync_state = sync_state
        for name, value in fields.items():
            setattr(shipment, name, value)
        session.add(shipment)
        session.flush()
        return id_of(shipment)


def add_payment(shipment_id: int, amount: str, day, reference: str = "", tenant_id: str = "t1"):
    """A payment row as a pull stores it."""
    from decimal import Decimal
    from uuid import uuid4

    from models import XeroPayment
    from services.db import session_scope

    with session_scope() as session:
        session.add(
            XeroPayment(
                tenant_id=tenant_id,
                payment_id=uuid4().hex,
                invoice_id=f"doc-{shipment_id}",
                shipment_id=shipment_id,
                date=day,
                amount=Decimal(amount),
                reference=reference or None,
            )
        )


def set_sync_state(numbers: list[str], sync_state: str) -> None:
    from sqlalchemy import update
    from sqlmodel import col

    from models import Shipment
    from services.db import session_scope

    with session_scope() as session:
        session.exec(
            update(Shipment)
            .where(col(Shipment.shipment_number).in_(numbers))
            .values(sync_state=sync_state)
        )


def table_in(at: AppTest, key: str):
    """The table drawn in the keyed container (a display table carries no key of its own)."""
    return at.get_by_key(key).dataframe[0].value


def open_tab(at, key: str, label: str):
    """Open a lazy tab (`st.tabs(..., on_change="rerun")` draws only the open one) as a
    click on it would: the next run draws it."""
    at.session_state[key] = label
    return at.run()
