"""CSV import (with a preview of every problem) and export, on the Shipments page."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from pages import common, state
from services import csv_import, shipments
from services.csv_import import COLUMNS, ImportPreview
from services.shipments import ShipmentFilter


def import_panel(*, user: common.CurrentUser) -> None:
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
            return
        try:
            text = upload.getvalue().decode("utf-8-sig")
        except UnicodeDecodeError:
            st.error("The file is not UTF-8 text: save it from your spreadsheet as CSV UTF-8.")
            return
        with common.session() as db_session:
            preview = csv_import.parse_csv(text, session=db_session)
        _show_preview(preview)
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
        common.flash("success", f"Imported {result.imported} shipment(s).{skipped}")
        st.session_state[state.IMPORT_ROUND] = round_no + 1
        st.session_state.pop(state.IMPORT_GOOD_ROWS, None)
        st.rerun()


def _show_preview(preview: ImportPreview) -> None:
    bad = preview.bad_rows
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
                    "Ready": "no" if bad.intersection(p.rows) else "yes",
                }
                for p in preview.shipments
            ],
            columns=["Shipment", "Customer", "Currency", "Status", "Lines", "Rows", "Ready"],
        ),
        hide_index=True,
    )
    good = len(preview.good_shipments)
    if not preview.errors:
        st.success(f"{good} shipment(s) ready to import.")
        return
    st.error(
        f"{len(preview.errors)} problem(s) in the file; nothing is imported unless you "
        f"choose to import only the good rows ({good} of {len(preview.shipments)} shipments)."
    )
    st.dataframe(
        pd.DataFrame(
            [{"Row": e.row, "Column": e.column, "Problem": e.message} for e in preview.errors]
        ),
        hide_index=True,
    )


def export_button(flt: ShipmentFilter, *, sort: str, descending: bool) -> None:
    """Every shipment the current filter matches (all table pages), as the import reads it."""

    def csv_text() -> str:
        with common.session() as db_session:
            total = shipments.list_shipments(session=db_session, flt=flt, page_size=1).total
            rows = shipments.list_shipments(
                session=db_session,
                flt=flt,
                page_size=max(total, 1),
                sort=sort,
                descending=descending,
            ).rows
            return csv_import.export_csv(rows)

    st.download_button(
        "Export CSV",
        data=csv_text,
        file_name="shipments.csv",
        mime="text/csv",
        key=state.EXPORT_CSV,
        on_click="ignore",
        help="The shipments the filters above match, in the import's format.",
    )
