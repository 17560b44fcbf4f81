"""CSV import (with a preview of every problem) and export, on the Shipments page."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from services import connections, csv_import, shipments
from services.csv_import import COLUMNS, ImportPreview
from services.shipments import ShipmentFilter
from ui import common, state, xero_document
from ui.text import md_text

PREVIEW_COLUMNS = [
    "Shipment",
    "Customer",
    "Currency",
    "Status",
    "Lines",
    "Rows",
    "Ready to send",
    "To fix before sending",
]


def import_panel(*, user: common.CurrentUser, flt: ShipmentFilter) -> None:
    round_no = st.session_state.get(state.IMPORT_ROUND, 0)
    with st.container(key=state.IMPORT_PANEL):
        st.markdown(
            "One row per shipment line; rows with the same `shipment_number` form one "
            f"shipment. Columns: `{', '.join(COLUMNS)}`. Dates as YYYY-MM-DD. `organisation`: "
            "a connected Xero organisation's name (empty: the default organisation)."
        )
        update_existing = st.toggle(
            "Update existing shipments",
            key=state.IMPORT_UPDATE_MODE,
            help="Off: a shipment number that already exists is an error. On: the file's "
            "values replace an existing shipment's (a column the file leaves out is kept); "
            "you see every change, field: old → new, before anything is saved.",
        )
        upload = st.file_uploader(
            "CSV file", type=["csv"], key=f"{state.IMPORT_FILE_PREFIX}{round_no}"
        )
        if upload is None:
            _last_result(flt)
            return
        st.session_state.pop(state.IMPORT_RESULT, None)  # a new file: the last import is over
        # The bytes as uploaded: the import checks the encoding itself and says, by row,
        # which one the file looks like (the CLI says the same).
        with common.session() as db_session:
            preview = csv_import.parse_csv(
                upload.getvalue(), session=db_session, update_existing=update_existing
            )
        if preview.is_empty:
            st.warning(
                "The file has no shipments: it is empty or has only a header row. Add one "
                "row per shipment line and upload it again."
            )
            return
        _show_preview(preview)
        _show_changes(preview)
        if not preview.good_shipments:
            return  # nothing could be imported; the problems above say what to fix
        only_good = False
        if preview.errors:
            only_good = st.checkbox(
                "Import only the good rows",
                key=state.IMPORT_GOOD_ROWS,
                help="Shipments with a problem in any of their rows are left out.",
            )
        clicked = st.button(_import_label(preview), key=state.IMPORT_BUTTON, type="primary")
        if not clicked:
            return
        result = None
        with common.shown_errors(), common.session() as db_session:
            result = csv_import.import_shipments(
                session=db_session, preview=preview, user=user.username, only_good_rows=only_good
            )
    if result is not None:
        numbers = [p.fields.shipment_number for p in preview.good_shipments]
        # Shown here, in the import panel (the tabs stay on Import / export), after the
        # rerun that draws the new rows in the table.
        st.session_state[state.IMPORT_RESULT] = (
            [result.summary(), result.queued_text(), result.waiting_text()],
            numbers,
            [(o.row, o.number, o.sentence()) for o in result.outcomes],
        )
        st.session_state[state.IMPORT_ROUND] = round_no + 1
        st.session_state.pop(state.IMPORT_GOOD_ROWS, None)
        st.rerun()


def _import_label(preview: ImportPreview) -> str:
    """What Import will do: "Import 3 new, update 2"."""
    good = preview.good_shipments
    updates = sum(1 for p in good if p.existing_id is not None and p.changes)
    new = sum(1 for p in good if p.existing_id is None)
    if not preview.update_existing:
        return f"Import {new} shipment(s)"
    return f"Import {new} new, update {updates}"


def _show_changes(preview: ImportPreview) -> None:
    """Update mode: every change to an existing shipment, field: old → new."""
    if not preview.update_existing:
        return
    rows = [
        {"Shipment": p.fields.shipment_number, "Row": p.rows[0], "Change": change}
        for p in preview.shipments
        if p.existing_id is not None
        for change in p.changes
    ]
    same = sum(1 for p in preview.shipments if p.existing_id is not None and not p.changes)
    new = sum(1 for p in preview.shipments if p.existing_id is None)
    st.markdown(
        f"**Update existing shipments**: {len({r['Shipment'] for r in rows})} to update, "
        f"{same} unchanged, {new} new. Nothing is saved until you import."
    )
    if rows:
        with st.container(key=state.IMPORT_CHANGES):
            st.dataframe(pd.DataFrame(rows), hide_index=True)


def _last_result(flt: ShipmentFilter) -> None:
    """The last import's outcome (in update mode, what happened to each existing shipment,
    queued for Xero or not), and whether the table's search and filters hide any of the
    shipments it created."""
    last = st.session_state.get(state.IMPORT_RESULT)
    if not last:
        return
    (summary, queued, waiting), numbers, outcomes = last
    st.success(summary)
    if queued:
        st.info(md_text(queued), icon=":material/schedule_send:")
    if waiting:
        st.warning(md_text(waiting))
    if outcomes:  # update mode: each existing shipment, row by row
        st.dataframe(
            pd.DataFrame(outcomes, columns=["Row", "Shipment", "What happened"]),
            hide_index=True,
        )
    with common.session() as db_session:
        shown = shipments.count_matching(session=db_session, flt=flt, numbers=numbers)
    hidden = len(numbers) - shown
    if hidden:
        st.info(
            f"{hidden} of the {len(numbers)} imported shipment(s) are not in the table: the "
            "search and filters above hide them. Clear them to see the new shipments.",
            icon=":material/filter_alt_off:",
        )


def _show_preview(preview: ImportPreview) -> None:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Shipment": p.fields.shipment_number,
                    "Customer": p.fields.buyer_code or p.fields.consignee_code or "",
                    "Currency": p.fields.currency or "",
                    "Status": p.workflow_status,
                    "Lines": len(p.lines),
                    "Rows": ", ".join(map(str, p.rows)),
                    "Ready to send": preview.ready_to_send(p),
                    "To fix before sending": _to_fix(preview, p),
                }
                for p in preview.shipments
            ],
            columns=PREVIEW_COLUMNS,
        ),
        hide_index=True,
    )
    if preview.checked_against:
        st.caption(
            "Ready to send: what Send to Accounting's checks would say once imported, "
            f"against {md_text(preview.checked_against)}'s codes as last read from Xero."
        )
    else:
        st.caption(
            'Ready to send: only the fields are checked ("not checked" = Xero\'s codes not '
            "read yet, or no organisation connected). A shipment may be imported incomplete; "
            "it can be sent once fixed."
        )
    good = len(preview.good_shipments)
    if not preview.errors:
        st.success(f"{good} shipment(s) ready to import.")
        return
    if not good:
        st.error(
            f"{len(preview.errors)} problem(s) in the file, in every one of its shipments: "
            "nothing can be imported from it. Fix them and upload it again."
        )
    else:
        st.error(
            f"{len(preview.errors)} problem(s) in the file; nothing is imported unless you "
            f"choose to import only the good rows ({good} of {len(preview.shipments)} "
            "shipments)."
        )
    st.dataframe(
        pd.DataFrame(
            [{"Row": e.row, "Column": e.column, "Problem": e.message} for e in preview.errors]
        ),
        hide_index=True,
    )


def _to_fix(preview: ImportPreview, parsed) -> str:
    bad = sorted(preview.bad_rows.intersection(parsed.rows))
    if bad:
        return f"Not imported: fix row(s) {', '.join(map(str, bad))} (listed below)."
    return " ".join(parsed.send_problems)


def export_text(which: ShipmentFilter, *, sort: str, descending: bool) -> str:
    """Every shipment the filter shows, as CSV in the import's format plus each one's sync
    state, Xero number and Xero link, its organisation by name."""
    codes = xero_document.organisation_short_codes()
    with common.session() as db_session:
        total = shipments.list_shipments(session=db_session, flt=which, page_size=1).total
        rows = shipments.list_shipments(
            session=db_session,
            flt=which,
            page_size=max(total, 1),
            sort=sort,
            descending=descending,
        ).rows
        found = connections.list_connections(session=db_session)
        return csv_import.export_csv(
            rows,
            organisations={c.tenant_id: c.tenant_name for c in found},
            link=lambda shipment: xero_document.document_url(shipment, codes),
        )


def export_buttons(flt: ShipmentFilter, *, shown: int, sort: str, descending: bool) -> None:
    """Export says what it writes: the shipments the filters show (every table page), and,
    when the filters narrow the table, all shipments beside it. Both in the import's format."""
    filtered = flt != ShipmentFilter()

    def csv_text(which: ShipmentFilter) -> str:
        return export_text(which, sort=sort, descending=descending)

    left, right = st.columns(2)
    left.download_button(
        f"Export the {shown} shipment(s) these filters show, as CSV"
        if filtered
        else f"Export all {shown} shipment(s) as CSV",
        data=lambda: csv_text(flt),
        file_name="shipments-filtered.csv" if filtered else "shipments.csv",
        mime="text/csv",
        key=state.EXPORT_CSV,
        on_click="ignore",
        help="As CSV, in the import's format, every table page, with each shipment's sync "
        "state, Xero number and Xero link (the import ignores those three).",
        icon=":material/download:",
    )
    if filtered:
        with common.session() as db_session:
            everything = shipments.list_shipments(session=db_session, page_size=1).total
        right.download_button(
            f"Export all {everything} shipment(s) as CSV",
            data=lambda: csv_text(ShipmentFilter()),
            file_name="shipments.csv",
            mime="text/csv",
            key=state.EXPORT_ALL_CSV,
            on_click="ignore",
            help="As CSV, in the import's format, whatever the filters above say.",
            icon=":material/download:",
        )
