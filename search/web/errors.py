"""Every failure a client or reader can meet, declared once: exception -> status, code, title, what
to do next and when to retry. The API renders an entry as its one JSON error shape, the page as an
error page (datasette's `handle_exception` idea); neither maps exceptions on its own.
"""
from __future__ import annotations

from dataclasses import dataclass

from search.errors import BusyError, ExportBusyError, NoIndexError, NotFoundError, QueryError

# How long a client should wait before asking again while no index exists: a first build of
# the sample archive takes seconds, of a large archive minutes.
RETRY_AFTER_SECONDS = 30
# How long a client should wait when every search slot of the process was taken.
BUSY_RETRY_AFTER_SECONDS = 1
# How long a client should wait when the process is already streaming an export (which
# takes seconds to minutes).
EXPORT_RETRY_AFTER_SECONDS = 10
# The status of a search skipped because its client had gone (nginx's convention): only logs
# ever see it.
CLIENT_CLOSED = 499


class ClientLeft(Exception):
    """The client closed its connection before its search started."""


@dataclass(frozen=True)
class ErrorKind:
    """How one kind of failure is answered. `page_ends` is appended to the message on a page
    (a sentence there, a clause in JSON); `hint` is the page's line on what to do next."""

    status: int
    code: str
    title: str
    hint: str = ""
    retry_after: int | None = None
    page_ends: str = ""


ERRORS: dict[type[Exception], ErrorKind] = {
    QueryError: ErrorKind(400, "invalid_parameter", "Bad request"),
    NotFoundError: ErrorKind(404, "not_found", "Not found",
                             "It may have been removed from the archive; search for it again.",
                             page_ends="."),
    NoIndexError: ErrorKind(503, "no_index", "No search index yet",
                            "The search page answers as soon as the index is built.",
                            retry_after=RETRY_AFTER_SECONDS),
    ExportBusyError: ErrorKind(503, "export_busy", "Busy exporting",
                               "Start the download again in a few seconds.",
                               retry_after=EXPORT_RETRY_AFTER_SECONDS, page_ends="."),
    BusyError: ErrorKind(503, "busy", "Busy", "Reload the page in a moment.",
                         retry_after=BUSY_RETRY_AFTER_SECONDS, page_ends="."),
    ClientLeft: ErrorKind(CLIENT_CLOSED, "client_closed_request", "Client closed request"),
}
HANDLED = tuple(ERRORS)

# The status codes Bottle itself may answer with (routing, bad request lines, its own
# catch-all), each mapped to the code our clients see in the error body.
FRAMEWORK_ERRORS = {400: "bad_request", 404: "not_found", 405: "method_not_allowed",
                    500: "internal_error"}
# The pages for Bottle's own errors outside /api/: (title, message); `{path}` is the request's.
FRAMEWORK_PAGES = {400: ("Bad request", "The request could not be read."),
                   404: ("Page not found", "There is no page at {path}."),
                   405: ("Not allowed", "This address only answers GET requests.")}


@dataclass(frozen=True)
class Failure:
    """One failure, ready to render: its kind, the message and the parameter it names."""

    kind: ErrorKind
    message: str
    param: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {} if self.kind.retry_after is None else {"Retry-After": str(self.kind.retry_after)}

    def page_message(self) -> str:
        return self.message + self.kind.page_ends


def failure(error: Exception, no_index_message) -> Failure:
    """The failure `error` (one of HANDLED) stands for; `no_index_message(error)` words the
    missing index with what the operator must run."""
    kind = next(ERRORS[t] for t in type(error).__mro__ if t in ERRORS)
    if isinstance(error, QueryError):
        return Failure(kind, error.message, error.param)
    if isinstance(error, NotFoundError):
        return Failure(kind, str(error), error.param)
    if isinstance(error, NoIndexError):
        return Failure(kind, no_index_message(error))
    if isinstance(error, ClientLeft):
        return Failure(kind, "the client closed the connection before the search ran")
    return Failure(kind, str(error))
