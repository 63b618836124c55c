"""What `manage.py`'s commands print: results on a terminal, places and dates found in a text.
Imports `index/` and `search/`; neither imports this package."""
