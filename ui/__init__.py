"""The parts the page scripts share: widgets, panels, previews, session-state keys.

`pages/` holds only the page scripts Streamlit runs; everything they are built from lives
here, so Streamlit never mistakes a part for a page."""
