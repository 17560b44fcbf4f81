"""Unit tests: pure functions, no database, no sandbox, no Streamlit runtime."""
