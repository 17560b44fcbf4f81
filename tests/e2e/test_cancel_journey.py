"""Cancel → credit note, in the browser: an approved invoice the customer part-paid in Xero
is cancelled; Shipbridge asks what to do, raises a credit note in Xero and allocates what is
still owing to the invoice (xero-facts.md §11: a separate Allocations call, Xero support in
https://github.com/waynerobinson/xeroizer/issues/196), and the shipment shows its credit note.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from playwright.sync_api import expect

from tests.e2e import ui
from tests.e2e.test_journeys import csv_file, processed_alert, upload

NUMBER = "CXL-4001"


def test_cancel_a_part_paid_shipment_with_a_credit_note(page, servers, xero_connected, snap):
    issued, due = date.today().isoformat(), (date.today() + timedelta(days=30)).isoformat()
    ui.login(page, servers.app_url, "admin")
    ui.open_page(page, "Mapping")
    settings = page.get_by_role("tabpanel", name="Settings")
    ui.choose(settings, "Invoice status", "AUTHORISED")
    settings.get_by_role("button", name="Save mapping").click()
    expect(
        settings.get_by_text(re.compile(r"as invoices with status AUTHORISED\."))
    ).to_be_visible()

    ui.open_page(page, "Shipments")
    upload(page, csv_file([f"{NUMBER},CASC,AUD,0.91,{issued},{due},FOB,CRATE,4,45.00,180.00"]))
    page.locator(ui.key("import_button")).get_by_role("button", name="Import").click()
    expect(page.get_by_text("Imported 1 shipment(s).", exact=True)).to_be_visible()
    ui.search_shipments(page, NUMBER, expect_total=1)
    ui.tick_row(page, 0, selected_after=1)
    page.locator(ui.key("send_selected")).get_by_role("button").click()
    # Bulk actions list what they will touch and ask first (issue 15 item 3).
    page.locator(ui.key("bulk_confirm_button")).get_by_role("button").click()
    expect(processed_alert(page, NUMBER)).to_contain_text(", AUTHORISED.")

    # In Xero: the customer pays 50.00 of the 180.00 (zero-rated export); 130.00 is owing.
    invoice_id = servers.xero_invoice_id(NUMBER)
    ui.sandbox(servers.sandbox_url, "payments", {"InvoiceID": invoice_id, "Amount": "50.00"})

    form = ui.open_shipment(page, NUMBER)
    ui.choose(form, "Status", "Cancelled")
    form.get_by_role("button", name="Save").click()
    panel = page.locator(ui.key("cancel_panel"))
    expect(
        panel.get_by_text(re.compile(r"^Cancelled: what should happen in Xero\?"))
    ).to_be_visible()
    snap("asked", panel)

    panel.get_by_text("Raise a credit note in Xero against the invoice", exact=True).click()
    ui.idle(page)
    panel.get_by_role("button", name="Queue it for Xero").click()
    # Cancellations go through the queue like sends (issue 15 item 1): the page queues it and
    # `make run`'s worker does it.
    queued = page.get_by_text(
        re.compile(r"^Queued: raise a credit note for .+ in Xero; the worker will do it")
    )
    expect(queued).to_be_visible()
    snap("queued", queued)

    notes = ui.table(page, "credit_notes")
    for _ in range(30):  # each tab change reruns the page: until the worker has done it
        page.get_by_role("tab", name="Details").click()
        page.get_by_role("tab", name="Integration").click()
        ui.settle(page)
        if notes.count():
            break
    expect(ui.cell(notes, "130.00 AUD", "Allocated to the invoice")).to_have_count(1)
    snap("credit-note-on-the-shipment", notes)
    logs = page.locator(ui.key("xero_document"))
    expect(logs.get_by_text("Credit notes", exact=True)).to_be_visible()
