"""The read side: validated queries over the serving index generation, as plain dicts.

Three rooms, each importing only the ones below it: `web/` (HTTP: the Bottle app, the page,
the servers) -> `service/` (parameters, the serving generation, the facade) -> `engine/` (query
syntax and trees, scoring, columns, snippets). All read the index through `index/store/`;
`index/` never imports this package.
"""
from search.errors import BusyError, NoIndexError, NotFoundError, QueryError
from search.service.facade import SearchService

__all__ = ["SearchService", "QueryError", "NoIndexError", "NotFoundError", "BusyError"]
