"""Shipbridge's service layer: everything a page, the CLI or the worker does.

Nothing in this package imports Streamlit.
"""
