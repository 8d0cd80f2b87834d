"""Icons, stylesheets and templates shipped with Incident Desk (read with importlib.resources)."""
