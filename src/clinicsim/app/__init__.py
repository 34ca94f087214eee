"""``clinicsim app``: a local web app over the same engine and files, for administrators who do not edit YAML.

Framework-free logic lives in this package's modules (workspaces of variant files, background jobs cached on
disk, the clinic summary, the explore views), so it is tested without a browser; ``pages/`` draws it with
Streamlit, and ``main.py`` is the script Streamlit runs.
"""
