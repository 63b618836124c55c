"""The read side: validated queries over the serving index generation, as plain dicts.

Imports the schema from `index/`; `index/` never imports this package.
"""
from search.params import QueryError
from search.service import BusyError, NotFoundError, SearchService
from search.switcher import NoIndexError

__all__ = ["SearchService", "QueryError", "NoIndexError", "NotFoundError", "BusyError"]
