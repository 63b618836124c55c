"""`GET /api/export`: an export (search.service.export) as a streamed HTTP answer.

The body is the Export itself, an iterable whose `close()` lets go of the generation: Bottle
passes it on un-joined and waitress writes each chunk as it comes (chunked, never buffered
whole; a slow reader blocks the export's thread at waitress's high-water mark, not memory).
Imports Bottle and the service, never Whoosh.
"""
from __future__ import annotations

from bottle import HTTPResponse

from search.service.export import Export, Exporter
from search.service.params import RawParams

# How many rows the body holds (the search's `total`), before the first byte of it.
TOTAL_HEADER = "X-Result-Total"
# Present when the search hit its time limit: the rows are what it found in time.
TIMED_OUT_HEADER = "X-Result-Timed-Out"


def export_response(exporter: Exporter, params: RawParams) -> HTTPResponse:
    """200 with the export streaming, named for its query and day; an exception (QueryError,
    ExportBusyError, NoIndexError, BusyError) before any byte is sent otherwise."""
    export = exporter.open(params)
    return HTTPResponse(export, status=200, headers=_headers(export))


def _headers(export: Export) -> dict[str, str]:
    """X-Index-Generation is the app's (its after-request hook names the generation this
    thread holds: the export's, held from here to the last row)."""
    headers = {
        "Content-Type": export.media_type,
        "Content-Disposition": export.content_disposition(),
        TOTAL_HEADER: str(export.total),
        # Every export is a fresh search; nothing in between should keep a copy.
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }
    if export.timed_out:
        headers[TIMED_OUT_HEADER] = "true"
    return headers
