"""The Streamlit pages. app.py routes to them with st.navigation; helper modules live here too."""
