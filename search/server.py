"""Serving the web app on waitress, a production threaded WSGI server (never Bottle's own).

Owns the server's lifetime: bind, run, stop from another thread, close the service. Imports
`search.web` and the service, never Whoosh.
"""
from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from waitress import wasyncore
from waitress.server import create_server

from index.settings import Settings
from search import SearchService
from search.web import create_app

log = logging.getLogger(__name__)

# Seconds `running_in_background` waits for the server thread to finish after stopping it.
STOP_TIMEOUT = 10.0


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
                ident="news-search")
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
