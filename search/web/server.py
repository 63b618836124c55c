"""Serving the web app on waitress: one process (`serve --workers 1`), or one per core forked
by a small supervisor onto one listening socket (the default). Never Bottle's own server.

Owns the servers' lifetime: bind, run, stop (SIGTERM lets requests in flight finish), the access
log, the per-request time limit. Waitress reads every request head in full in its poll loop,
within a deadline, before a request thread sees it; a body is refused at once. The limits are
`search.web.http_limits`; waitress's internals are touched only in `search.web.waitress_private`.
Imports `search.web.app` and the service, never Whoosh.
"""
from __future__ import annotations

import functools
import logging
import math
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from index.settings import Settings
from search import SearchService
from search.errors import NoIndexError
from search.web import http_limits
from search.web.app import GENERATION_HEADER, create_app
from search.web.prefork import Heartbeat, Supervisor
from search.web.process_memory import Allocator, Collector
from search.web.waitress_private import Listener, Peers

log = logging.getLogger(__name__)
access_log = logging.getLogger(f"{__name__}.access")

# Seconds `running_in_background` waits for the server thread to finish after stopping it.
STOP_TIMEOUT = 10.0
# Seconds one turn of a server's loop may wait for network events: how soon deadlines, a stop
# and the supervisor's heartbeat are looked at.
LOOP_SECONDS = 0.5
# Seconds a stopping server keeps idle kept-alive connections open: a request a client was
# already sending on one is answered (with `Connection: close`) instead of cut.
STOP_LINGER = 2.0
# Seconds the request threads get to finish once the server has closed its sockets.
THREAD_WAIT = 5.0
# Connections the listening socket queues before a worker accepts them.
BACKLOG = 1024
# Seconds beyond the query time limit and the wait for a search slot that a request may
# take (snippets, stored fields, a slow disk): the graceful stop, and how long a worker's loop
# may stand still before the supervisor counts it as hung.
REQUEST_MARGIN = 10.0


def request_time_limit(settings: Settings) -> int:
    """Seconds one request may take: the wait for a search slot, the query's own limit, and
    a margin. A graceful stop waits this long; a worker whose loop is silent longer is replaced."""
    return math.ceil(2 * settings.query_time_limit + REQUEST_MARGIN)


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on `host:port` (0 picks a free port), IPv6 when the host is."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family, backlog=BACKLOG)


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://{f'[{host}]' if ':' in host else host}:{port}"


class Server:
    """One waitress process over one SearchService, on a socket of its own or one it was
    given (a worker's, inherited from the supervisor); `run()` serves until `stop()`."""

    def __init__(self, settings: Settings, port: int | None = None, *,
                 sock: socket.socket | None = None, connection_limit: int | None = None,
                 head_timeout: float = http_limits.HEAD_TIMEOUT,
                 idle_timeout: float = http_limits.IDLE_TIMEOUT, peers: Peers | None = None):
        self.allocator = Allocator()
        self.allocator.share_arenas()  # before the request threads start
        self.collector = Collector()
        self.graceful_timeout = request_time_limit(settings)
        # Called at every turn of the loop (a worker's heartbeat); may call `stop()`.
        self.on_tick: Callable[[], None] | None = None
        self._stop_wanted = False
        self._stopping_since: float | None = None
        self._done = False
        self.service = SearchService(Path(settings.index_dir), settings)
        own = sock is None
        try:
            sock = sock or bind_socket(settings.host, settings.port if port is None else port)
        except OSError:  # the port is taken or the host is not ours: release the index
            self.service.close()
            raise
        try:
            self.url = url_of(sock)
            self.connection_limit = connection_limit or http_limits.connection_limit()
            self._listener = Listener(
                access_logged(create_app(settings, self.service)), sock, threads=settings.threads,
                connection_limit=self.connection_limit, head_timeout=head_timeout,
                idle_timeout=idle_timeout, peers=peers)
        except OSError:
            self.service.close()
            if own:
                sock.close()
            raise
        self.threads = settings.threads
        _open_serving_generation(self.service)

    def run(self) -> None:
        """Serve until `stop()` (or a signal after `stop_on_signals`), then close every
        connection, let the request threads end, and close the service."""
        log.info("serving on %s with %d threads, at most %d connections", self.url,
                 self.threads, self.connection_limit)
        try:
            while not self._done:
                self._listener.poll_once(LOOP_SECONDS)
                self._tick()
        finally:
            self._listener.close_everything(THREAD_WAIT)
            self.service.close()

    def stop(self, graceful: bool = True) -> None:
        """Ask `run()` to return; safe from any thread and from a signal handler. Graceful:
        stop accepting, answer what was asked (each answer closes its connection), close idle
        connections after STOP_LINGER, give up after the request time limit. Otherwise at once."""
        self._stop_wanted = True
        if not graceful:
            self._done = True
        self._listener.wake()

    def stop_on_signals(self) -> None:
        """SIGTERM (service managers, containers) stops gracefully, SIGINT (Ctrl-C) at once,
        also when a shell started us in the background with SIGINT ignored. Main thread only."""
        signal.signal(signal.SIGTERM, lambda *_: self.stop(graceful=True))
        signal.signal(signal.SIGINT, lambda *_: self.stop(graceful=False))

    def _tick(self) -> None:
        """Between two turns of the loop: the heartbeat, the connections' deadlines, a stop."""
        if self.on_tick is not None:
            self.on_tick()
        self._listener.close_overdue()
        self._listener.share_connections()  # the ones that closed since
        self.allocator.trim_now_and_then()
        self.collector.settle(self.service.serving_number())
        if self._stop_wanted and self._stopping_since is None:
            self._stopping_since = time.monotonic()
            self._listener.stop_listening()
        if self._stopping_since is not None and not self._done:
            self._done = self._drained(time.monotonic() - self._stopping_since)

    def _drained(self, elapsed: float) -> bool:
        """Whether a graceful stop is over: no connection left, or out of time."""
        if elapsed >= STOP_LINGER:
            self._listener.close_idle()
        if self._listener.open_connections() == 0:
            return True
        if elapsed >= self.graceful_timeout:
            log.warning("stopping with %d connections still open after %d s",
                        self._listener.open_connections(), self.graceful_timeout)
            return True
        return False


def _open_serving_generation(service: SearchService) -> None:
    """Open the serving generation now, so that no first request waits for it."""
    try:
        service.health()
    except NoIndexError:
        pass  # answered as 503 until a first index is built


def make_server(settings: Settings, port: int | None = None) -> Server:
    """A one-process server bound to `settings.host` and `port` (default `settings.port`; 0
    picks a free one), not yet serving."""
    return Server(settings, port)


def server_for(settings: Settings) -> Server | Supervisor:
    """What `manage.py serve` runs, bound and not yet serving: one waitress process when
    `serve_workers` is 1, else a supervisor forking that many onto one listening socket, each
    opening its own service after the fork. The access log goes to stdout."""
    _access_log_to_stdout()
    if settings.serve_workers == 1:
        return Server(settings)
    http_limits.connection_limit()  # raises the file limit once, for every worker to inherit
    sock = bind_socket(settings.host, settings.port)
    limit = request_time_limit(settings)
    return Supervisor(sock, settings.serve_workers, functools.partial(_work, settings, sock),
                      timeout=limit, graceful_timeout=limit)


def _work(settings: Settings, sock: socket.socket, heartbeat: Heartbeat) -> None:
    """A worker's life: serve on the inherited socket until SIGTERM, SIGINT, or until the
    supervisor is gone (then finish what was asked and exit)."""
    server = Server(settings, sock=sock, peers=heartbeat)

    def tick() -> None:
        if not heartbeat.beat():
            server.stop()

    server.on_tick = tick
    server.stop_on_signals()
    server.run()


@contextmanager
def running_in_background(settings: Settings, port: int = 0, **limits) -> Iterator[Server]:
    """A one-process server answering in a background thread for the duration of the block
    (tests, benchmarks); it is stopped and its threads joined on the way out. `limits` are
    Server's (a small connection limit, short deadlines)."""
    server = Server(settings, port, **limits)
    thread = threading.Thread(target=server.run, name="news-search-server", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stop()
        thread.join(STOP_TIMEOUT)
        if thread.is_alive():
            log.warning("the background server did not stop within %s s", STOP_TIMEOUT)


# ---------------------------------------------------------------- the access log


def access_logged(app: Callable) -> Callable:
    """The WSGI app, with one access-log line per answer: who asked what, the status, bytes,
    milliseconds, the generation that answered and the process that did."""

    def logged(environ: dict, start_response: Callable) -> Iterable[bytes]:
        started = time.perf_counter()
        answer: dict = {}

        def start(status: str, headers: list, exc_info=None):
            answer["status"], answer["headers"] = status.split(" ", 1)[0], headers
            return start_response(status, headers, exc_info)

        return _LoggedBody(app(environ, start), environ, answer, started)

    return logged


class _LoggedBody:
    """An app's response body that counts what it yields and logs the request when closed."""

    def __init__(self, body: Iterable[bytes], environ: dict, answer: dict, started: float):
        self.body, self.environ, self.answer, self.started = body, environ, answer, started
        self.sent = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.body:
            self.sent += len(chunk)
            yield chunk

    def close(self) -> None:
        try:
            if hasattr(self.body, "close"):
                self.body.close()
        finally:
            access_log.info(access_line(self.environ, self.answer.get("status", "-"),
                                        self.answer.get("headers", []), self.sent,
                                        time.perf_counter() - self.started))


def access_line(environ: dict, status: str, headers: list, sent: int, seconds: float) -> str:
    """`127.0.0.1 [03/Dec/2026:19:05:01 +0000] "GET /api/search?q=oil HTTP/1.1" 200 5210 12ms
    gen=7 pid=<4242>` (the line gunicorn's format gave, kept for the operators' tools)."""
    generation = next((v for k, v in headers if k.lower() == GENERATION_HEADER.lower()), "-")
    request = " ".join((environ.get("REQUEST_METHOD", "-"),
                        environ.get("REQUEST_URI") or environ.get("PATH_INFO", "-"),
                        environ.get("SERVER_PROTOCOL", "-")))
    when = time.strftime("[%d/%b/%Y:%H:%M:%S %z]")
    return (f'{environ.get("REMOTE_ADDR", "-")} {when} "{request}" {status} {sent or "-"} '
            f"{round(seconds * 1000)}ms gen={generation} pid=<{os.getpid()}>")


def _access_log_to_stdout() -> None:
    """Access lines on stdout, one write each (workers share the stream), nothing else there."""
    if not access_log.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(message)s"))
        access_log.addHandler(handler)
        access_log.setLevel(logging.INFO)
        access_log.propagate = False
