"""Serving the web app: on gunicorn, pre-forking one worker process per core, or on waitress in
one threaded process (never Bottle's own server).

Owns the servers' lifetime and limits: bind, run, stop (SIGTERM lets requests in flight finish),
request-line and header sizes, the per-request time limit. Imports `search.web` and the
service, never Whoosh.
"""
from __future__ import annotations

import json
import logging
import math
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from waitress import wasyncore
from waitress.server import create_server

from index.settings import Settings
from search import NoIndexError, SearchService
from search.web import JSON_TYPE, create_app, error_body

try:
    from gunicorn.app.base import BaseApplication
    from gunicorn.http import errors as http_errors
    from gunicorn.workers.gthread import _DEFER, ThreadWorker
    from gunicorn.workers.sync import SyncWorker
except ImportError:  # gunicorn is a dependency, but `serve --workers 1` runs without it
    BaseApplication = None

log = logging.getLogger(__name__)

# Seconds `running_in_background` waits for the server thread to finish after stopping it.
STOP_TIMEOUT = 10.0
# Open connections one waitress process keeps (its default, 100, lets 100 idle clients lock
# everyone else out).
WAITRESS_CONNECTION_LIMIT = 1000
# The longest request line gunicorn reads (its maximum): a query of 1,000 characters
# (search.params.MAX_QUERY_CHARS), percent-encoded as UTF-8, fits; longer is a JSON 414.
REQUEST_LINE_LIMIT = 8190
# Header lines and the size of each; more is a JSON 431 (or 400), answered before the app.
REQUEST_FIELDS_LIMIT = 100
REQUEST_FIELD_SIZE_LIMIT = 8190
# Seconds beyond the query time limit and the wait for a search slot that a request may
# take (snippets, stored fields, a slow disk) before gunicorn counts its worker as hung.
REQUEST_MARGIN = 10.0
# Seconds a new connection may stay silent before a gthread worker hands it back to its poller
# instead of tying up a request thread (gunicorn's own wait is 5 s: 150 idle connections
# would hold every thread for minutes).
FIRST_BYTE_WAIT = 0.05


class Server:
    """A bound waitress server over one SearchService; `run()` serves until `stop()`."""

    def __init__(self, settings: Settings, port: int | None = None):
        self.service = SearchService(Path(settings.index_dir), settings)
        # Our own socket map, so that `stop` can close every connection, idle keep-alives too.
        self._map: dict = {}
        try:
            self._waitress = create_server(
                create_app(settings, self.service), map=self._map, host=settings.host,
                port=settings.port if port is None else port, threads=settings.threads,
                connection_limit=WAITRESS_CONNECTION_LIMIT, ident="news-search")
        except OSError:  # the port is taken or the host is not ours: release the index
            self.service.close()
            raise

    @property
    def url(self) -> str:
        """The base URL the server answers on (the real port when it was asked for port 0)."""
        host = self._waitress.effective_host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self._waitress.effective_port}"

    def run(self) -> None:
        """Serve requests until `stop()` (or Ctrl-C), then release the threads and the service."""
        log.info("serving on %s with %d threads", self.url, self._waitress.adj.threads)
        try:
            self._waitress.run()
        finally:
            self._waitress.task_dispatcher.shutdown()
            self.service.close()

    def stop_on_signals(self) -> None:
        """Stop cleanly on SIGTERM (service managers, containers) and SIGINT (Ctrl-C), also
        when a shell started us in the background with SIGINT ignored. Main thread only."""
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: self.stop())

    def stop(self) -> None:
        """Ask `run()` to return; safe from any thread. The sockets are closed by the server's
        own loop thread (waitress's trigger), because its socket map is not thread-safe."""
        self._waitress.trigger.pull_trigger(lambda: wasyncore.close_all(self._map))


def make_server(settings: Settings, port: int | None = None) -> Server:
    """A server bound to `settings.host` and `port` (default `settings.port`; 0 picks a free
    one), not yet serving."""
    return Server(settings, port)


@contextmanager
def running_in_background(settings: Settings, port: int = 0) -> Iterator[Server]:
    """A server answering in a background thread for the duration of the block (tests,
    benchmarks); it is stopped and its threads joined on the way out."""
    server = make_server(settings, port)
    thread = threading.Thread(target=server.run, name="news-search-server", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stop()
        thread.join(STOP_TIMEOUT)
        if thread.is_alive():
            log.warning("the background server did not stop within %s s", STOP_TIMEOUT)


# ---------------------------------------------------------------- gunicorn


def gunicorn_available() -> bool:
    return BaseApplication is not None


def request_time_limit(settings: Settings) -> int:
    """Seconds one request may take: the wait for a search slot, the query's own limit, and
    a margin. Gunicorn's `timeout`: a sync worker silent for longer is killed and replaced."""
    return math.ceil(2 * settings.query_time_limit + REQUEST_MARGIN)


def serve_with_gunicorn(settings: Settings, workers: int,
                        on_ready: Callable[[str], None] | None = None) -> None:
    """Serve on `settings.host:port` with `workers` pre-forked processes until SIGTERM (requests
    in flight finish, up to the request time limit) or SIGINT (at once). Each worker opens its
    own service; the index's column files are shared through the page cache. A worker that
    dies is replaced. Access log on stdout, server log on stderr."""
    try:
        _GunicornApp(settings, workers, on_ready).run()
    except SystemExit as e:  # the arbiter exits the process when it halts
        if e.code not in (0, None):
            raise


if BaseApplication is not None:

    class _JsonErrors:
        """What gunicorn answers itself, before the app (a request line or headers too long,
        a request it cannot parse), in the API's one JSON error shape instead of its HTML."""

        def handle_error(self, req, client, addr, exc):
            answer = _parse_error_answer(exc)
            if answer is None:
                return super().handle_error(req, client, addr, exc)
            status, reason, code, message = answer
            self.log.warning("refused a request from %s: %s", (addr or ("",))[0], exc)
            body = json.dumps(error_body(code, message)).encode("utf-8")
            head = (f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\n"
                    f"Content-Type: {JSON_TYPE}\r\nContent-Length: {len(body)}\r\n\r\n")
            try:
                client.sendall(head.encode("latin-1") + body)
            except OSError:
                self.log.debug("the client left before its error was sent")

    class JsonErrorSyncWorker(_JsonErrors, SyncWorker):
        """One request at a time per process (`--threads 1`)."""

    class JsonErrorThreadWorker(_JsonErrors, ThreadWorker):
        """A pool of request threads per process; silent connections wait in the poller."""

        def handle(self, conn):
            if not conn.initialized and not conn.data_ready \
                    and not conn.wait_for_data(FIRST_BYTE_WAIT):
                return _DEFER
            return super().handle(conn)

    class _GunicornApp(BaseApplication):
        def __init__(self, settings: Settings, workers: int, on_ready):
            self.settings = settings
            self.workers = workers
            self.on_ready = on_ready
            super().__init__()

        def load_config(self):
            s = self.settings
            limit = request_time_limit(s)
            options = {
                "bind": f"[{s.host}]:{s.port}" if ":" in s.host else f"{s.host}:{s.port}",
                "workers": self.workers,
                "threads": s.threads,
                "worker_class": JsonErrorThreadWorker if s.threads > 1 else JsonErrorSyncWorker,
                "timeout": limit,
                "graceful_timeout": limit,
                "limit_request_line": REQUEST_LINE_LIMIT,
                "limit_request_fields": REQUEST_FIELDS_LIMIT,
                "limit_request_field_size": REQUEST_FIELD_SIZE_LIMIT,
                "accesslog": "-",
                # Which worker answered, from which generation, in how many milliseconds.
                "access_log_format": ('%(h)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms '
                                      'gen=%({x-index-generation}o)s pid=%(p)s'),
                "errorlog": "-",
                "proc_name": "news-search",
                # No gunicornc control socket: one per user by default, shared by every server.
                "control_socket_disable": True,
                "when_ready": self._when_ready,
                "worker_exit": _close_worker_app,
            }
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self):
            # Called in each worker after the fork: every worker has its own service, so no
            # Whoosh file handle or reader lock is ever shared between processes. The worker
            # opens the serving generation before its first request, so no request waits on it.
            self.service = SearchService(Path(self.settings.index_dir), self.settings)
            try:
                self.service.health()
            except NoIndexError:
                pass  # answered as 503 until a first index is built
            return create_app(self.settings, self.service)

        def _when_ready(self, arbiter):
            host, port = arbiter.LISTENERS[0].sock.getsockname()[:2]
            url = f"http://{f'[{host}]' if ':' in host else host}:{port}"
            log.info("serving on %s with %d workers", url, self.workers)
            if self.on_ready:
                self.on_ready(url)

    def _close_worker_app(arbiter, worker):
        """A stopping worker closes its service (its searchers and its hold on the generation)."""
        service = getattr(worker.app, "service", None)
        if service is not None:
            service.close()

    def _parse_error_answer(exc) -> tuple[int, str, str, str] | None:
        """(status, reason, code, message) for a request gunicorn could not read; None for
        anything else (an error of the app itself)."""
        if isinstance(exc, http_errors.LimitRequestLine):
            return (414, "URI Too Long", "uri_too_long",
                    f"the request line is longer than {REQUEST_LINE_LIMIT:,} bytes; shorten the query")
        if isinstance(exc, http_errors.LimitRequestHeaders):
            return (431, "Request Header Fields Too Large", "headers_too_large",
                    f"at most {REQUEST_FIELDS_LIMIT} header lines of {REQUEST_FIELD_SIZE_LIMIT:,} "
                    "bytes each")
        if isinstance(exc, http_errors.ParseException) \
                and not isinstance(exc, (http_errors.InvalidResponseHeader,
                                         http_errors.InvalidResponseHeaderName,
                                         http_errors.ConfigurationProblem)):
            return 400, "Bad Request", "bad_request", f"the request could not be read: {exc}"
        return None
