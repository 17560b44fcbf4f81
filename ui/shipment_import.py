"""CSV import (with a preview of every problem) and export, on the Shipments page."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from services import csv_import, shipments
from services.csv_import import COLUMNS, ImportPreview
from services.shipments import ShipmentFilter
from ui import common, state
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
            f"shipment. Columns: `{', '.join(COLUMNS)}`. Dates as YYYY-MM-DD."
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
            preview = csv_import.parse_csv(upload.getvalue(), session=db_session)
        if preview.is_empty:
            st.warning(
                "The file has no shipments: it is empty or has only a header row. Add one "
                "row per shipment line and upload it again."
            )
            return
        _show_preview(preview)
        if not preview.good_shipments:
            return  # nothing could be imported; the problems above say what to fix
        only_good = False
        if preview.errors:
            only_good = st.checkbox(
                "Import only the good rows",
                key=state.IMPORT_GOOD_ROWS,
                help="Shipments with a problem in any of their rows are left out.",
            )
        clicked = st.button("Import", key=state.IMPORT_BUTTON, type="primary")
        if not clicked:
            return
        result = None
        with common.shown_errors(), common.session() as db_session:
            result = csv_import.import_shipments(
                session=db_session, preview=preview, user=user.username, only_good_rows=only_good
            )
    if result is not None:
        skipped = (
            f" Rows left out: {', '.join(map(str, result.skipped_rows))}."
            if result.skipped_rows
            else ""
        )
        numbers = [p.fields.shipment_number for p in preview.good_shipments]
        # Shown here, in the import panel (the tabs stay on Import / export), after the
        # rerun that draws the new rows in the table.
        st.session_state[state.IMPORT_RESULT] = (
            f"Imported {result.imported} shipment(s).{skipped}",
            numbers,
        )
        st.session_state[state.IMPORT_ROUND] = round_no + 1
        st.session_state.pop(state.IMPORT_GOOD_ROWS, None)
        st.rerun()


def _last_result(flt: ShipmentFilter) -> None:
    """The last import's outcome, and whether the table's search and filters hide any of
    the shipments it created."""
    last = st.session_state.get(state.IMPORT_RESULT)
    if not last:
        return
    text, numbers = last
    st.success(text)
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


def export_buttons(flt: ShipmentFilter, *, shown: int, sort: str, descending: bool) -> None:
    """Export says what it writes: the shipments the filters show (every table page), and,
    when the filters narrow the table, all shipments beside it. Both in the import's format."""
    filtered = flt != ShipmentFilter()

    def csv_text(which: ShipmentFilter) -> str:
        with common.session() as db_session:
            total = shipments.list_shipments(session=db_session, flt=which, page_size=1).total
            rows = shipments.list_shipments(
                session=db_session,
                flt=which,
                page_size=max(total, 1),
                sort=sort,
                descending=descending,
            ).rows
            return csv_import.export_csv(rows)

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
        help="As CSV, in the import's format, every table page.",
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
