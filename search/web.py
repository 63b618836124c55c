"""The HTTP layer: `create_app` builds a Bottle app whose JSON routes are thin doors onto one
`SearchService`, with one error shape for every failure. Must not import Whoosh or `index/`
internals (only `Settings`): all search logic lives behind the service.
"""
from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Mapping
from pathlib import Path

from bottle import Bottle, FormsDict, HTTPError, HTTPResponse, request, response

from index.settings import Settings
from search import NoIndexError, NotFoundError, QueryError, SearchService

log = logging.getLogger(__name__)

# Query parameters as the service takes them: a string, or a list when the name is repeated.
Params = dict[str, str | list[str]]

JSON_TYPE = "application/json; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"
OPENAPI_PATH = Path(__file__).with_name("openapi.json")
# How long a client should wait before asking again while no index exists: a first build of
# the sample archive takes seconds, of a large archive minutes.
RETRY_AFTER_SECONDS = 30
INTERNAL_ERROR_MESSAGE = "The server failed to answer this request; the error has been logged."
REINDEX_HINT = "python manage.py reindex"
NO_INDEX_MESSAGE = (f"No search index has been built yet. Run `{REINDEX_HINT}` to build one; "
                    "this service picks it up without a restart.")
# The status codes Bottle itself may answer with (routing, bad request lines, its own
# catch-all), each mapped to the code our clients see in the error body.
FRAMEWORK_ERRORS = {400: "bad_request", 404: "not_found", 405: "method_not_allowed",
                    500: "internal_error"}
HOME_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>News Search</title></head>
<body><h1>News Search</h1>
<p>A full-text search service over a news archive: paragraphs with highlighted matches,
filtered by date and place.</p>
<p>The JSON API is described by its <a href="/api/openapi.json">OpenAPI document</a>;
try <a href="/api/search?q=oil">/api/search?q=oil</a>.</p>
</body></html>
"""


def create_app(settings: Settings, service: SearchService | None = None) -> Bottle:
    """The web app over `service`, or over a service it opens on `settings.index_dir`; a
    service opened here is closed by `app.close()`."""
    app = Bottle()
    if service is None:
        service = SearchService(Path(settings.index_dir), settings)
        app.install(_ClosesService(service))
    openapi = OPENAPI_PATH.read_text(encoding="utf-8")

    @app.get("/")
    def home():
        return HTTPResponse(HOME_PAGE, status=200, headers={"Content-Type": HTML_TYPE})

    @app.get("/api/search")
    @_json_api
    def search():
        return service.search(query_params(request.query))

    @app.get("/api/articles/<article_id:path>")
    @_json_api
    def article(article_id: str):
        params = _only(query_params(request.query), ("q",))
        return service.article(article_id, q=_single(params, "q") or None)

    @app.get("/api/places")
    @_json_api
    def places():
        params = _only(query_params(request.query), ("prefix", "limit"))
        # The service checks the limit, so the API and in-process callers get the same 400.
        return service.places(prefix=_single(params, "prefix"), limit=_single(params, "limit") or 10)

    @app.get("/api/status")
    @_json_api
    def status():
        return service.status()

    @app.get("/api/openapi.json")
    def openapi_document():
        return HTTPResponse(openapi, status=200, headers={"Content-Type": JSON_TYPE})

    for status_code in FRAMEWORK_ERRORS:
        app.error(status_code)(_framework_error)
    return app


def error_body(code: str, message: str, param: str | None = None) -> dict:
    """The one error shape of the API; every error response is built from it."""
    return {"error": {"code": code, "message": message, "param": param}}


def query_params(query: FormsDict) -> Params:
    """The query string as the service takes it: one string per name, a list when repeated."""
    params: Params = {}
    for name in query:
        values = [_utf8(v, name) for v in query.getall(name)]
        params[_utf8(name, name)] = values[0] if len(values) == 1 else values
    return params


def _json_api(handler: Callable[..., dict]) -> Callable[..., HTTPResponse]:
    """Wrap a route that returns a dict: answer it as JSON, and every exception as an error.

    This is the one boundary where any unexpected exception is caught: it is logged with its
    traceback and the client gets a JSON 500 without one.
    """
    @functools.wraps(handler)
    def route(*args, **kwargs) -> HTTPResponse:
        try:
            return _json_response(handler(*args, **kwargs), 200)
        except QueryError as e:
            return _error_response(400, "invalid_parameter", e.message, e.param)
        except NotFoundError as e:
            return _error_response(404, "not_found", str(e))
        except NoIndexError as e:
            return _error_response(503, "no_index", _no_index_message(e),
                                   headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
        except Exception:  # noqa: BLE001 — the documented boundary, see the docstring
            log.exception("unexpected error answering %s %s", request.method, request.fullpath)
            return _error_response(500, "internal_error", INTERNAL_ERROR_MESSAGE)
    return route


def _json_response(body: dict, status: int,
                   headers: Mapping[str, str] | None = None) -> HTTPResponse:
    text = json.dumps(body, ensure_ascii=False, allow_nan=False)
    return HTTPResponse(text, status=status, headers={"Content-Type": JSON_TYPE, **(headers or {})})


def _error_response(status: int, code: str, message: str, param: str | None = None,
                    headers: Mapping[str, str] | None = None) -> HTTPResponse:
    return _json_response(error_body(code, message, param), status, headers)


def _framework_error(error: HTTPError) -> str:
    """Errors Bottle raises outside our routes (unknown path, wrong method, its own catch-all).
    Bottle has already copied the error's status and headers (such as `Allow`) into the
    response; a handler must return a string (bottle issue 710), so it sets the type."""
    response.content_type = JSON_TYPE
    code = FRAMEWORK_ERRORS.get(error.status_code, "http_error")
    if error.status_code == 404:
        message = f"no such resource: {request.path}; the API is described at /api/openapi.json"
    elif error.status_code == 405:
        message = f"{request.method} is not allowed here; use {error.headers.get('Allow', 'GET')}"
    elif error.status_code == 500:
        message = INTERNAL_ERROR_MESSAGE
        log.error("unexpected error answering %s %s\n%s", request.method, request.fullpath,
                  error.traceback)
    else:
        message = str(error.body)
    return json.dumps(error_body(code, message))


def _no_index_message(error: NoIndexError) -> str:
    """The service's own reason (which may name an index that failed to open), always with
    what the operator must run."""
    reason = str(error).strip()
    if not reason:
        return NO_INDEX_MESSAGE
    return reason if REINDEX_HINT in reason else f"{reason}; run `{REINDEX_HINT}`"


def _utf8(value: str, name: str) -> str:
    """Bottle decodes query strings as Latin-1; undo that, as UTF-8, strictly."""
    try:
        return value.encode("latin1").decode("utf-8")
    except UnicodeError:
        raise QueryError(name.encode("latin1").decode("utf-8", "replace"),
                         "the query string is not valid UTF-8; percent-encode parameters "
                         "as UTF-8") from None


def _only(params: Params, allowed: tuple[str, ...]) -> Params:
    for name in params:
        if name not in allowed:
            raise QueryError(name, f"unknown parameter {name[:40]!r}; the parameters here are: "
                                   + ", ".join(allowed))
    return params


def _single(params: Params, name: str) -> str:
    value = params.get(name, "")
    if isinstance(value, list):
        raise QueryError(name, f"give {name} once, not {len(value)} times")
    return value


class _ClosesService:
    """A Bottle plugin that only ties the service's lifetime to the app's: `app.close()`
    closes the service that `create_app` opened."""

    name = "closes_service"
    api = 2

    def __init__(self, service: SearchService):
        self.service = service

    def apply(self, callback, route):
        return callback

    def close(self) -> None:
        self.service.close()
