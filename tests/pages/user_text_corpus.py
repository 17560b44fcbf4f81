"""The user-text corpus (tests/pages/test_user_text.py): Markdown and HTML that would fetch an
address, run a script, or change how text reads, put into every field a person types or Xero
names, and the assertion that a page shows it only as text."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

from streamlit.testing.v1 import AppTest

from models import (
    ConnectionStatus,
    CustomerMapping,
    JobStatus,
    ProductMapping,
    SyncJob,
    SyncState,
    XeroAccount,
    XeroContact,
    XeroCurrency,
    XeroDifference,
    XeroItem,
    XeroPayment,
    XeroTaxRate,
    utcnow,
)
from services import audit, mapping
from services.db import session_scope
from services.settings import get_settings
from tests.pages.helpers import add_connection, add_reference_data, log_rejection, texts
from tests.utils.factories import id_of, line, make_shipment
from ui.text import md_code

TRACKER = "http://127.0.0.1:9/t.png"
IMAGE = f"![t]({TRACKER})"
SCRIPT = "[x](javascript:alert(1))"
HTML = "<img src=http://127.0.0.1:9/i.png>"
BOLD, MATH, TICK, RED = "**B0LD**", "$M4$", "`T1CK`", ":red[R3D]"
CORPUS = (IMAGE, SCRIPT, HTML, BOLD, MATH, TICK, RED)
# Each piece as Markdown would read it, not escaped: a link or image opening, raw HTML,
# emphasis, LaTeX, code, a colour directive. `(?<!\\)` = no escaping backslash before.
UNESCAPED = {
    "link or image": re.compile(r"(?<!\\)\]\("),
    "image": re.compile(r"(?<!\\)!\["),
    "html": re.compile(r"(?<!\\)<img"),
    "bold": re.compile(r"(?<!\\)\*\*B0LD"),
    "latex": re.compile(r"(?<!\\)\$M4"),
    "code": re.compile(r"(?<!\\)`T1CK"),
    "colour": re.compile(r":red\[R3D"),
    "currency as maths": re.compile(r"(?<!\\)\$C\$"),
}

# Fields of at most 60 characters, each holding two or three pieces of the corpus.
NUMBER = f"N {SCRIPT} {BOLD}"  # a shipment number
CODE = f"{IMAGE} {TICK}"  # a customer code
PRODUCT = f"{HTML} {MATH}"  # a product code (mapped)
UNMAPPED = f"U {IMAGE} {TICK}"  # a product code that maps to nothing
REFERENCE = f"{RED} {SCRIPT}"
DESCRIPTION = " ".join(CORPUS)
ORGANISATION = f"Org {IMAGE} {RED}"  # an organisation's name, as Xero gives it
# A currency stored before services.shipments refused any but three letters (the form and the
# import refuse it now: tests/pages/test_user_text.py), shown next to every amount.
LEGACY_CURRENCY = "$C$"
GONE = f"Gone {SCRIPT} {MATH}"  # an organisation that needs reconnecting
CONTACT = f"Contact {HTML} {BOLD} {SCRIPT}"  # names in Xero
ACCOUNT_CODE = ":red[R3D]"  # an account code typed on the Mapping page (10 at most)
TAX_TYPE = f"{SCRIPT} {BOLD}"  # a tax type typed on the Mapping page (50 at most)
ERROR = f"Contact {IMAGE} is not in Xero; see {SCRIPT} {HTML} {MATH} {TICK} {RED}"
USER_NAME = f"Ada {IMAGE} {BOLD}"
TENANT = "tenant-hostile"
FIELDS = (
    NUMBER,
    CODE,
    PRODUCT,
    UNMAPPED,
    REFERENCE,
    DESCRIPTION,
    ORGANISATION,
    GONE,
    CONTACT,
    ERROR,
)


def hostile_world() -> dict[str, int]:
    """Every user-controlled field the pages show, holding the corpus: organisations (one
    needing reconnecting), Xero's names, a rejected shipment with its log entry, a sent one
    that differs from Xero with a payment, mappings, settings and the queue's last run.
    Returns the ids the tests open (log entry, rejected and sent shipments)."""
    add_connection(ORGANISATION, tenant_id=TENANT, last_error=ERROR, is_default=True)
    add_connection(
        GONE, tenant_id="tenant-gone", status=ConnectionStatus.NEEDS_RECONNECT, is_default=False
    )
    add_reference_data(TENANT)
    with session_scope() as session:
        session.add(
            XeroContact(tenant_id=TENANT, contact_id="c-h", account_number=CODE, name=CONTACT)
        )
        session.add(XeroItem(tenant_id=TENANT, item_id="i-h", code=f"I {BOLD}", name=CONTACT))
        session.add(
            XeroAccount(
                tenant_id=TENANT, account_id="a-h", code="$M4$", name=CONTACT, type="REVENUE"
            )
        )
        session.add(XeroTaxRate(tenant_id=TENANT, tax_type=f"T {TICK}", name=CONTACT))
        # Enabled in the organisation, so the sent shipment is still previewed as a document.
        session.add(XeroCurrency(tenant_id=TENANT, code=LEGACY_CURRENCY))
        rejected = make_shipment(
            session,
            shipment_number=NUMBER,
            buyer_code=CODE,
            consignee_code=CODE,
            exporter_reference=REFERENCE,
            invoice_number=REFERENCE,
            tenant_id=TENANT,
            lines=[
                line(product_code=PRODUCT, description=DESCRIPTION),
                line(product_code=UNMAPPED, description=DESCRIPTION),
            ],
        )
        rejected.sync_state = SyncState.REJECTED
        rejected.last_error = ERROR
        sent = make_shipment(
            session,
            shipment_number=f"S {IMAGE}",
            buyer_code=CODE,
            exporter_reference=REFERENCE,
            tenant_id=TENANT,
            lines=[line(description=DESCRIPTION)],
        )
        sent.sync_state = SyncState.PROCESSED
        sent.currency = LEGACY_CURRENCY
        sent.xero_document_id = "doc-hostile"
        sent.xero_document_number = f"INV {SCRIPT}"
        sent.xero_document_type = "invoice"
        sent.xero_contact_name = CONTACT
        sent.xero_status = "AUTHORISED"
        sent.xero_total, sent.xero_amount_paid = Decimal("50"), Decimal("10")
        sent.xero_amount_due = Decimal("40")
        session.flush()
        rejected_id, sent_id = id_of(rejected), id_of(sent)
        session.add(
            XeroDifference(
                shipment_id=sent_id, tenant_id=TENANT, kind="contact", detail=f"Contact {ERROR}"
            )
        )
        session.add(
            XeroPayment(
                tenant_id=TENANT,
                payment_id="p-h",
                invoice_id="doc-hostile",
                shipment_id=sent_id,
                date=date(2026, 11, 20),
                amount=Decimal("10"),
                reference=REFERENCE,
            )
        )
        # The queue's last run rejected it (a done job that kept its error); an older job
        # of it stopped in Needs attention.
        for status, queued in ((JobStatus.NEEDS_ATTENTION, 2), (JobStatus.DONE, 1)):
            session.add(
                SyncJob(
                    shipment_id=rejected_id,
                    tenant_id=TENANT,
                    trigger="push",
                    status=status,
                    last_error=ERROR,
                    created_at=utcnow() - timedelta(minutes=queued),
                )
            )
        session.add(CustomerMapping(tenant_id=TENANT, shipment_code=CODE, account_number=CODE))
        session.add(ProductMapping(tenant_id=TENANT, shipment_code=PRODUCT, item_code=f"I {BOLD}"))
        # The default settings name typed codes; the organisation's own name real ones, so
        # its shipments can be previewed as documents.
        mapping.update_sync_settings(
            session=session,
            changes={"sales_account_code": ACCOUNT_CODE, "tax_type": TAX_TYPE},
            user=USER_NAME,
        )
        mapping.update_sync_settings(
            session=session,
            changes={"sales_account_code": "200", "tax_type": "ZERORATED"},
            user=USER_NAME,
            tenant_id=TENANT,
        )
        audit.record(
            session=session, actor=USER_NAME, action=CODE, entity="customer_mapping", entity_id=CODE
        )
    entry = log_rejection(
        NUMBER,
        errors_xero=[f"The contact {CODE} was not found. {ERROR}"],
        errors_plain=[f"Customer code {CODE} is not a Xero contact: map it. {ERROR}"],
    )
    return {"entry": entry, "rejected": rejected_id, "sent": sent_id}


def markdown_shown(at: AppTest) -> list[str]:
    """Every text the last run drew as Markdown: titles, headers, markdown, captions,
    alerts and toasts; the labels, help and values of buttons, expanders, tabs, metrics,
    checkboxes and other widgets (their options are plain text, not Markdown)."""
    shown = texts(at).split("\n") + [str(t.value) for t in at.toast]
    for kind in ("expander", "tabs", "button", "checkbox", "metric", "toggle", "radio"):
        for element in getattr(at, kind):
            for name in ("label", "help", "value"):
                value = getattr(element, name, None)
                if isinstance(value, str):
                    shown.append(value)
    for name in ("selectbox", "text_input", "number_input", "date_input", "multiselect"):
        shown += [e.label for e in getattr(at, name)] + [e.help or "" for e in getattr(at, name)]
    return shown


def _without_safe_parts(text: str) -> str:
    """`text` without what is safe by construction: a field shown whole as a code span
    (ui.text.md_code: nothing inside one is a link, image or HTML), and the app's own links
    to a document's page in Xero (built from Xero's IDs; only their words are user data)."""
    for value in FIELDS:
        text = text.replace(md_code(value), "<code span>")
    web = re.escape(get_settings().web_url.rstrip("/"))
    return re.sub(rf"\]\({web}/[^)\s]*\)", "]<link to Xero>", text)


def unescaped(at: AppTest) -> list[tuple[str, str]]:
    """(what, text) for each Markdown text that would read a piece of the corpus as
    Markdown or HTML."""
    return [
        (what, text)
        for text in markdown_shown(at)
        for what, pattern in UNESCAPED.items()
        if pattern.search(_without_safe_parts(text))
    ]
