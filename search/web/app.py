"""The HTTP layer: `create_app` builds a Bottle app whose JSON routes and HTML pages are thin
doors onto one `SearchService`, with one error shape for every failure. Must not import Whoosh;
from `index/` only `Settings`: all search logic lives behind the service.
"""
from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
import urllib.parse
from collections.abc import Callable, Mapping
from pathlib import Path

from bottle import (Bottle, FormsDict, HTTPError, HTTPResponse, SimpleTemplate, request,
                    response, static_file)

from index.settings import Settings
from search import SearchService
from search.errors import REINDEX_COMMAND, NoIndexError, QueryError
from search.service.params import RawParams
from search.service.related import similar as similar_stories
from search.web.derived import DerivedCache
from search.web import home, page, worldmap
from search.web import trends as trends_page
from search.service import trends as trends_service
from search.web.errors import FRAMEWORK_ERRORS, FRAMEWORK_PAGES, HANDLED, ClientLeft, failure
from search.service.export import Exporter
from search.service.significant import significant
from search.web import feeds
from search.web.export import export_response

log = logging.getLogger(__name__)


JSON_TYPE = "application/json; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"
CSV_TYPE = "text/csv; charset=utf-8"
OPENAPI_PATH = Path(__file__).with_name("openapi.json")
# A `%` that does not start a percent-escape.
BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
# Names the generation that answered, so a client can tell answers from before and after a
# reindex apart (and an operator can see which workers have switched).
GENERATION_HEADER = "X-Index-Generation"
INTERNAL_ERROR_MESSAGE = "The server failed to answer this request; the error has been logged."
NO_INDEX_MESSAGE = (f"No search index has been built yet. Run `{REINDEX_COMMAND}` to build one; "
                    "this service picks it up without a restart.")
TEMPLATES_DIR = Path(__file__).with_name("templates")
STATIC_DIR = Path(__file__).with_name("static")
# Every page: our own script and style files only (nothing inline, nothing third-party), no
# plugins, no framing, forms only back to us.
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; "
                           "img-src 'self' data:; connect-src 'self'; form-action 'self'; "
                           "base-uri 'none'; frame-ancestors 'none'")
HTML_HEADERS = {"Content-Type": HTML_TYPE, "Content-Security-Policy": CONTENT_SECURITY_POLICY,
                "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}
# Pages link static files with their content's hash (`?v=`), so a linked copy never changes;
# a request without the current hash revalidates (ETag) instead.
STATIC_CACHE_VERSIONED = "public, max-age=31536000, immutable"
STATIC_CACHE_UNVERSIONED = "no-cache"


def create_app(settings: Settings, service: SearchService | None = None) -> Bottle:
    """The web app over `service`, or over a service it opens on `settings.index_dir`; a
    service opened here is closed by `app.close()`."""
    app = Bottle()
    if service is None:
        service = SearchService(Path(settings.index_dir), settings)
        app.install(_ClosesService(service))
    openapi = OPENAPI_PATH.read_text(encoding="utf-8")

    pages = _Pages()
    outlines = worldmap.Outlines.load()
    derived = DerivedCache()
    front = home.FrontPage(service, outlines)
    compare = trends_service.Trends(service)

    @app.get("/")
    @pages.html
    def search_page():
        params = query_params(request.query)
        if home.is_front(params):
            return home.front_view(front)
        return page.search_view(service, params, outlines, derived)

    @app.get("/article/<article_id:path>")
    @pages.html
    def article_page(article_id: str):
        return page.article_view(service, article_id, query_params(request.query))

    @app.get("/static/<name:path>")
    def static(name: str):
        return pages.static(name)

    @app.get("/api/search")
    @_json_api
    def search():
        params = query_params(request.query)
        if _client_left():
            raise ClientLeft()
        return service.search(params)

    # Before the article route, whose `:path` id would take `…/similar` as part of the id.
    @app.get("/api/articles/<article_id:path>/similar")
    @_json_api
    def similar(article_id: str):
        params = query_params(request.query)
        if _client_left():
            raise ClientLeft()
        return similar_stories(service, article_id, params)

    exporter = Exporter(service)  # one export at a time in this process

    @app.get("/api/export")
    @_json_api
    def export():
        params = query_params(request.query)
        if _client_left():
            raise ClientLeft()
        return export_response(exporter, params)

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

    @app.get("/api/trends")
    @_json_api
    def trends():
        params = query_params(request.query)
        body = compare.trends(params)
        if trends_service.parse_trends_params(params).format == "csv":
            disposition = f'attachment; filename="{trends_service.csv_file_name(body)}"'
            return HTTPResponse(trends_service.csv_text(body), status=200,
                                headers={"Content-Type": CSV_TYPE,
                                         "Content-Disposition": disposition})
        return body

    @app.get("/trends")
    @pages.html
    def compare_page():
        return trends_page.trends_view(compare, query_params(request.query))

    @app.get("/api/significant-words")
    @_json_api
    def significant_words():
        return significant(service, query_params(request.query))

    @app.get("/api/suggestions")
    @_json_api
    def suggestions():
        params = _only(query_params(request.query), ("q",))
        return feeds.suggestions(service, _single(params, "q"))

    @app.get("/feed")
    @_json_api
    def feed():
        return HTTPResponse(feeds.atom_feed(service, query_params(request.query), _site()),
                            status=200, headers={"Content-Type": feeds.ATOM_TYPE})

    @app.get("/opensearch.xml")
    def opensearch():
        return HTTPResponse(feeds.opensearch_description(_site()), status=200,
                            headers={"Content-Type": feeds.OPENSEARCH_TYPE})

    @app.get("/api/status")
    @_json_api
    def status():
        return service.status()

    @app.get("/api/openapi.json")
    def openapi_document():
        return HTTPResponse(openapi, status=200, headers={"Content-Type": JSON_TYPE})

    @app.get("/healthz")
    @_json_api
    def healthz():
        return service.health()

    @app.hook("before_request")
    def forget_earlier_generation():
        """A thread's last call may not have been a request (a caller using the service
        directly): what it answered from must not name this request's generation."""
        service.answered_from()

    @app.hook("after_request")
    def generation_header():
        """The generation the request used; an API answer that used none (a bad parameter)
        names the one open now. Nothing before the first generation."""
        number = service.answered_from()
        if number is None and _is_api(request.path):
            number = service.serving_number()
        if number is not None:
            response.set_header(GENERATION_HEADER, str(number))

    for status_code in FRAMEWORK_ERRORS:
        app.error(status_code)(pages.unless_api(_framework_error))
    return app


def error_body(code: str, message: str, param: str | None = None) -> dict:
    """The one error shape of the API; every error response is built from it."""
    return {"error": {"code": code, "message": message, "param": param}}


def query_params(query: FormsDict) -> RawParams:
    """The query string as the service takes it: one string per name, a list when repeated.
    A `%` not followed by two hex digits is refused (Bottle would keep it as text)."""
    _check_percent_encoding(request.query_string)
    params: dict[str, str | list[str]] = {}
    for name in query:
        values = [_utf8(v, name) for v in query.getall(name)]
        params[_utf8(name, name)] = values[0] if len(values) == 1 else values
    return params


def _check_percent_encoding(query_string: str) -> None:
    for part in query_string.split("&"):
        if BAD_PERCENT.search(part):
            name = urllib.parse.unquote(part.partition("=")[0], errors="replace")
            raise QueryError(name[:40] or "q", "the query string has a `%` not followed by two hex "
                             "digits; percent-encode parameters as UTF-8 (`%` itself is %25)")


def _client_left() -> bool:
    """Whether the client closed its connection before its search started (waitress, asked to
    look ahead, says so): nobody would read the answer, so the search is not run at all."""
    disconnected = request.environ.get("waitress.client_disconnected")
    return bool(disconnected and disconnected())


def _site() -> str:
    """This server's address as the client reached it (scheme and host), for absolute links."""
    scheme, host = request.urlparts[:2]
    return f"{scheme}://{host}"


def _json_api(handler: Callable[..., dict]) -> Callable[..., HTTPResponse]:
    """Wrap a route that returns a dict: answer it as JSON, and every exception as an error.

    This is the one boundary where any unexpected exception is caught: it is logged with its
    traceback and the client gets a JSON 500 without one.
    """
    @functools.wraps(handler)
    def route(*args, **kwargs) -> HTTPResponse:
        try:
            answer = handler(*args, **kwargs)
            # A route may answer in another format (trends as CSV) with a response of its own.
            return answer if isinstance(answer, HTTPResponse) else _json_response(answer, 200)
        except HANDLED as e:
            found = failure(e, _no_index_message)
            return _error_response(found.kind.status, found.kind.code, found.message, found.param,
                                   headers=found.headers)
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


def _is_api(path: str) -> bool:
    return path in ("/api", "/healthz") or path.startswith("/api/")


def _no_index_message(error: NoIndexError) -> str:
    """The service's own reason (which may name an index that failed to open), always with
    what the operator must run."""
    reason = str(error).strip()
    if not reason:
        return NO_INDEX_MESSAGE
    return reason if REINDEX_COMMAND in reason else f"{reason}; run `{REINDEX_COMMAND}`"


def _utf8(value: str, name: str) -> str:
    """Bottle decodes query strings as Latin-1; undo that, as UTF-8, strictly."""
    try:
        return value.encode("latin1").decode("utf-8")
    except UnicodeError:
        raise QueryError(name.encode("latin1").decode("utf-8", "replace"),
                         "the query string is not valid UTF-8; percent-encode parameters "
                         "as UTF-8") from None


def _only(params: RawParams, allowed: tuple[str, ...]) -> RawParams:
    for name in params:
        if name not in allowed:
            raise QueryError(name, f"unknown parameter {name[:40]!r}; the parameters here are: "
                                   + ", ".join(allowed))
    return params


def _single(params: RawParams, name: str) -> str:
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


class _Pages:
    """The HTML side of the app: pages rendered from `search.web.page` views with the security
    headers, static files with cache headers, and every failure as a page, never a traceback."""

    def __init__(self):
        files = sorted(p for p in STATIC_DIR.iterdir() if p.is_file())
        self.versions = {p.name: hashlib.sha256(p.read_bytes()).hexdigest()[:12] for p in files}
        self.assets = {name: f"/static/{name}?v={v}" for name, v in self.versions.items()}
        self.templates = {name: SimpleTemplate(name=name, lookup=[str(TEMPLATES_DIR)])
                          for name in ("search", "article", "error", "trends")}
        # Rendered now, so that a broken template fails at start-up rather than on a request.
        self.internal_error_page = self.render(page.error_view(
            500, "Something went wrong", INTERNAL_ERROR_MESSAGE, "Try again in a moment."))

    def render(self, view: page.View) -> str:
        return self.templates[view.template].render(**view.data, assets=self.assets)

    def html(self, handler: Callable[..., page.View]) -> Callable[..., HTTPResponse]:
        """Wrap a route that returns a `page.View`: render it, and each failure as its page.

        The one boundary for the pages where any unexpected exception is caught: logged with
        its traceback, answered with a 500 page without one.
        """
        @functools.wraps(handler)
        def route(*args, **kwargs) -> HTTPResponse:
            try:
                view = _view_or_error_page(handler, *args, **kwargs)
                return HTTPResponse(self.render(view), status=view.status,
                                    headers={**HTML_HEADERS, **view.headers})
            except Exception:  # noqa: BLE001 — the documented boundary, see the docstring
                log.exception("unexpected error answering %s %s", request.method, request.fullpath)
                return HTTPResponse(self.internal_error_page, status=500, headers=HTML_HEADERS)
        return route

    def static(self, name: str) -> HTTPResponse:
        answer = static_file(name, root=str(STATIC_DIR))
        if isinstance(answer, HTTPError):
            # Missing, unreadable or outside the folder (403): to a reader all are "not here".
            return HTTPError(404)
        current = request.query.get("v") == self.versions.get(name)
        answer.set_header("Cache-Control",
                          STATIC_CACHE_VERSIONED if current else STATIC_CACHE_UNVERSIONED)
        answer.set_header("X-Content-Type-Options", "nosniff")
        return answer

    def unless_api(self, json_handler: Callable[[HTTPError], str]) -> Callable[[HTTPError], str]:
        """Bottle's own errors as pages, except under /api, which keeps its JSON errors."""
        def handler(error: HTTPError) -> str:
            if _is_api(request.path):
                return json_handler(error)
            for name, value in HTML_HEADERS.items():
                response.set_header(name, value)
            if error.status_code not in FRAMEWORK_PAGES:
                log.error("unexpected error answering %s %s\n%s", request.method,
                          request.fullpath, error.traceback)
                response.status = 500
                return self.internal_error_page
            title, message = FRAMEWORK_PAGES[error.status_code]
            return self.render(page.error_view(error.status_code, title,
                                               message.format(path=request.path)))
        return handler


def _view_or_error_page(handler: Callable[..., page.View], *args, **kwargs) -> page.View:
    """The route's view, or the page for a failure the reader or operator can act on."""
    try:
        return handler(*args, **kwargs)
    except HANDLED as e:
        found = failure(e, _no_index_message)
        return page.error_view(found.kind.status, found.kind.title, found.page_message(),
                               found.kind.hint, headers=found.headers)
