"""Small assertions and look-ups shared by the page tests."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from pages.common import UNEXPECTED

UNEXPECTED_START = UNEXPECTED.split("(")[0]


def assert_clean(at: AppTest, *, allow_errors: bool = False) -> None:
    """No traceback, no "something went wrong", and (unless allowed) no st.error at all."""
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    assert not [e for e in errors if e.startswith(UNEXPECTED_START)], errors
    if not allow_errors:
        assert not errors, errors


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
    from pages import state

    at.session_state[state.SHIPMENTS_TABLE] = {"selection": {"rows": rows, "columns": []}}
    return at.run()


def log_rejection(shipment_number: str = "SHP-1005", **extra) -> int:
    """An integration-log row as a rejected send writes it; returns its id."""
    from services import integration_log
    from services.db import session_scope

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
        return entry.id


def add_connection(name: str = "Demo Exports Ltd", status: str = "Connected", **extra) -> int:
    """A connected organisation row, as finish_connect leaves it (no real tokens)."""
    from models import XeroConnection
    from services.db import session_scope

    with session_scope() as session:
        row = XeroConnection(
            tenant_id=extra.pop("tenant_id", f"tenant-{name}"),
            tenant_name=name,
            status=status,
            base_currency="NZD",
            connected_by="admin",
            is_default=True,
            **extra,
        )
        session.add(row)
        session.flush()
        return row.id
