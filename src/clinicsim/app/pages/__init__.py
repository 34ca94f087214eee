"""The app's pages, each a ``page()`` function drawing it with Streamlit."""
