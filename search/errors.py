"""The read side's exceptions, raised by the engine and the service and mapped to HTTP answers in
one table (`search/web/errors.py`). Imports nothing."""

# What an operator runs to build the index: every "no index" answer names it.
REINDEX_COMMAND = "python3 manage.py reindex"


class QueryError(Exception):
    """A bad parameter the user can fix: `param` names it, the message says what to do next."""

    def __init__(self, param: str, message: str):
        super().__init__(message)
        self.param = param
        self.message = message


class NotFoundError(Exception):
    """No article (or paragraph) with that id (HTTP 404); `param` names the parameter that
    gave the id, when a parameter did (`like`), rather than the path."""

    def __init__(self, message: str, param: str | None = None):
        super().__init__(message)
        self.param = param


class BusyError(Exception):
    """Every search slot of this process stayed taken for the whole wait (HTTP 503)."""


class ExportBusyError(BusyError):
    """This process is already streaming an export: one at a time, so that exports never
    crowd out searches (HTTP 503, retried later than a busy search)."""


class NoIndexError(Exception):
    """No generation can be served: none built yet, or the only one was refused (HTTP 503)."""
