"""Every use of waitress's internals, in one place: its request parser (our checks of the raw
head run first), its error task (our JSON answers), its channel (a deadline for the request
head, `Connection: close` while stopping), its listener (a connection limit that refuses at
once; no crash and no log flood when file descriptors run out) and one turn of its poll loop.

Only `search.web.server` imports this. tests/e2e/test_server.py is its contract test: raw
requests over a real socket to a real server. Imports waitress and `search.web.http_limits`.
"""
from __future__ import annotations

import errno
import logging
import os
import socket
import time
from typing import Protocol

from waitress import wasyncore
from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import TcpWSGIServer
from waitress.task import ErrorTask
from waitress.utilities import Error

from search.web.http_limits import (
    HEAD_TIMEOUT, IDLE_TIMEOUT, REQUEST_HEAD_LIMIT, EveryFewSeconds, Refusal, head_problem,
    line_too_long, raw_response, refusal_response,
)

log = logging.getLogger(__name__)

# Connections accepted in one turn of the loop when many arrive at once (waitress takes one).
ACCEPT_BATCH = 64
# Seconds a closing connection reads and drops what its client still sends (see _Channel),
# and how much it reads at a time.
LINGER_SECONDS = 1.0
LINGER_READ = 65536
# Seconds the listener rests after an accept error that is not about file descriptors.
ACCEPT_PAUSE = 0.5
# Seconds a worker holding more connections than another leaves a new one to the others, and
# how many such rests in a row before it takes the connection itself (the others may be busy).
BALANCE_PAUSE = 0.01
BALANCE_RESTS = 5
# waitress's own refusals (its parser's errors), by status, as ours.
_WAITRESS_ERRORS = {400: "bad_request", 413: "body_not_accepted", 431: "headers_too_large",
                    501: "body_not_accepted", 500: "internal_error"}

_refused = EveryFewSeconds(log)
_turned_away = EveryFewSeconds(log)
_out_of_fds = EveryFewSeconds(log)
_accept_failed = EveryFewSeconds(log)


class _Parser(HTTPRequestParser):
    """waitress's parser behind our checks of the raw request head (`head_problem`)."""

    def received(self, data: bytes) -> int:
        if self.body_rcv is None and not self.completed \
                and line_too_long(self.header_plus + data):
            self._refuse(Refusal("uri_too_long"))
            return len(data)
        return super().received(data)

    def parse_header(self, header_plus: bytes) -> None:
        problem = head_problem(header_plus)
        if problem is None:
            super().parse_header(header_plus)
        else:
            self._refuse(problem)

    def _refuse(self, refusal: Refusal) -> None:
        """Complete the request as an error: the channel answers it and closes."""
        self.error = refusal
        self.completed = self.headers_finished = True
        self.path = self.request_uri = ""


class _JsonErrorTask(ErrorTask):
    """A refused request answered in the API's JSON error shape instead of waitress's text."""

    def execute(self) -> None:
        refusal = _as_refusal(self.request.error)
        _refused.warn("refused a request from %s: %s %s", self.channel.addr[0], refusal.kind,
                      refusal.detail)
        status, headers, body = refusal_response(refusal)
        self.status = status
        self.response_headers.extend(headers)
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


def _as_refusal(error) -> Refusal:
    if isinstance(error, Refusal):
        return error
    if isinstance(error, Error):
        return Refusal(_WAITRESS_ERRORS.get(error.code, "bad_request"), str(error.body))
    return Refusal("internal_error")


class _Channel(HTTPChannel):
    """One connection: its request head must arrive within the listener's head timeout, it may
    stay silent for the idle timeout, and while the server stops every answer closes it."""

    parser_class = _Parser
    error_task_class = _JsonErrorTask
    head_started = 0.0

    def received(self, data: bytes) -> bool:
        if self.request is None and data:
            self.head_started = time.monotonic()
        return super().received(data)

    def service(self) -> None:
        if self.server.stopping:
            with self.requests_lock:
                for request in self.requests:
                    request.headers["CONNECTION"] = "close"
        super().service()

    def overdue(self, now: float, wall_now: float) -> bool:
        """Whether to close: a request head slower than the head timeout, or silence longer
        than the idle timeout (never while a request is being answered)."""
        if self.lingering_until:
            return now > self.lingering_until
        if self.requests or self.total_outbufs_len:
            return False
        if self.request is not None:
            return now - self.head_started > self.server.head_timeout
        return wall_now - self.last_activity > self.server.idle_timeout

    def close_now(self) -> None:
        """Close on the loop's next turn; without lingering when it lingered long enough."""
        if self.lingering_until:
            super().handle_close()
        else:
            self.will_close = True

    def idle(self) -> bool:
        return not self.requests and not self.total_outbufs_len and self.request is None

    # ---- a lingering close: after an answer that closes the connection (a refusal, a stop),
    # what the client is still sending is read and dropped for a moment before the socket is
    # closed; closing with unread input would reset the connection, and the client would lose
    # the answer (a 414 for a 20 KB request line, a 413 for a body).

    lingering_until = 0.0

    def handle_close(self) -> None:
        if self.will_close and not self.lingering_until and self.socket is not None:
            self._linger()
        else:
            super().handle_close()

    def _linger(self) -> None:
        try:
            self.socket.shutdown(socket.SHUT_WR)
        except OSError:
            super().handle_close()
            return
        self.lingering_until = time.monotonic() + LINGER_SECONDS
        self.will_close = self.close_when_flushed = self.connected = False
        self.requests = []

    def readable(self) -> bool:
        return bool(self.lingering_until) or super().readable()

    def writable(self) -> bool:
        return not self.lingering_until and super().writable()

    def handle_read(self) -> None:
        if not self.lingering_until:
            return super().handle_read()
        try:
            data = self.socket.recv(LINGER_READ)
        except OSError:
            data = b""
        if not data:
            super().handle_close()


class Peers(Protocol):
    """The other workers on the same listening socket, as a worker sees them (prefork's Heartbeat)."""

    def share_connections(self, count: int) -> None: ...

    def fewest_elsewhere(self) -> int | None: ...


class Listener(TcpWSGIServer):
    """waitress's server on a socket bound elsewhere (by us, or by the supervisor before it
    forked), accepting while it has room and answering the excess with a 503 at once.

    `peers`, given to a worker that shares its listening socket with others, publishes this
    worker's connection count (`share_connections`) and reads the fewest another holds
    (`fewest_elsewhere`): a worker that holds more rests before accepting, so that connections
    spread over the workers instead of all going to whichever woke first."""

    channel_class = _Channel
    stopping = False
    _closed = False

    def __init__(self, app, sock: socket.socket, *, threads: int, connection_limit: int,
                 head_timeout: float = HEAD_TIMEOUT, idle_timeout: float = IDLE_TIMEOUT,
                 peers: Peers | None = None):
        self.connection_limit = connection_limit
        self.peers = peers
        self.head_timeout = head_timeout
        self.idle_timeout = idle_timeout
        self._resting_until = self._balance_rest_ends = 0.0
        self._balance_rests = 0
        self._spare_fd = _spare_fd()
        adj = Adjustments(
            threads=threads, ident="news-search", max_request_header_size=REQUEST_HEAD_LIMIT,
            # Any body at all is refused (413) as soon as its headers are read: nothing here takes one.
            max_request_body_size=1, log_socket_errors=False,
            # One request read ahead keeps a connection readable while it is answered, so the app
            # can see (waitress.client_disconnected) that its client left.
            channel_request_lookahead=1, asyncore_use_poll=True)
        _quieten_waitress_logs()
        # Our own socket map (waitress's default is a module global): every connection of this
        # server, polled by `poll_once`, closed by `close_everything`.
        self.socket_map: dict = {}
        # `_sock` is waitress's way to serve on a socket bound elsewhere.
        super().__init__(app, map=self.socket_map, _sock=sock, adj=adj, bind_socket=False,
                         sockinfo=(sock.family, sock.type, sock.proto, sock.getsockname()))

    # ---- accepting

    def readable(self) -> bool:
        return self.accepting and time.monotonic() >= self._resting_until

    def handle_accept(self) -> None:
        for _ in range(ACCEPT_BATCH):
            if self._more_than_a_peer():
                self._resting_until = self._balance_rest_ends = time.monotonic() + BALANCE_PAUSE
                return
            try:
                pair = self.accept()
            except OSError as e:
                self._accept_error(e)
                return
            if pair is None:
                return
            self._take(*pair)

    def _take(self, conn: socket.socket, addr) -> None:
        if len(self.active_channels) >= self.connection_limit:
            _turned_away.warn("%d connections open, the most this process holds: turning new "
                              "ones away with 503", len(self.active_channels))
            _refuse_at_once(conn)
            return
        try:
            self.set_socket_options(conn)
            self.channel_class(self, conn, addr, self.adj, map=self.socket_map)
        except OSError:  # the client reset the connection before we took it
            conn.close()
        self.share_connections()

    def _more_than_a_peer(self) -> bool:
        """Whether another worker holds fewer connections than this one, so that this one
        should rest BALANCE_PAUSE first; after BALANCE_RESTS rests in a row, it takes the
        connection whatever the others hold. Counts are looked at anew after each rest: two
        workers that both rested on a count read a moment too early do not both keep waiting."""
        if self.peers is None:
            return False
        if time.monotonic() - self._balance_rest_ends > BALANCE_PAUSE:
            self._balance_rests = 0  # not the connection of the last rest: start over
        fewest = self.peers.fewest_elsewhere()
        if fewest is None or len(self.active_channels) <= fewest \
                or self._balance_rests >= BALANCE_RESTS:
            self._balance_rests = 0
            return False
        self._balance_rests += 1
        return True

    def share_connections(self) -> None:
        """Tell the other workers how many connections this one holds now."""
        if self.peers is not None:
            self.peers.share_connections(len(self.active_channels))

    def _accept_error(self, e: OSError) -> None:
        """Out of file descriptors (the connection limit is below the file limit, so something
        else took them): refuse what waits rather than leave it waiting, and say so once in a
        while, not at every turn of the loop. Any other error: rest a moment."""
        if e.errno in (errno.EMFILE, errno.ENFILE):
            _out_of_fds.warn("out of file descriptors with %d connections open (%s): refusing new "
                             "ones", len(self.active_channels), e.strerror)
            if self._refuse_waiting():
                return
        else:
            _accept_failed.warn("accepting a connection failed: %s", e)
        self._resting_until = time.monotonic() + ACCEPT_PAUSE

    def _refuse_waiting(self) -> int:
        """With the spare descriptor freed, take each waiting connection in turn and answer it
        503 (each refusal frees the descriptor again); how many were refused."""
        if self._spare_fd is not None:
            os.close(self._spare_fd)
            self._spare_fd = None
        refused = 0
        for _ in range(ACCEPT_BATCH):
            try:
                conn, _ = self.socket.accept()
            except OSError:
                break
            _refuse_at_once(conn)
            refused += 1
        self._spare_fd = _spare_fd()
        return refused

    # ---- the loop and stopping

    def poll_once(self, timeout: float) -> None:
        """One turn of waitress's loop over this server's connections, with poll(); a rest
        of the listener ends the turn early, so that it is not longer than asked."""
        resting = self._resting_until - time.monotonic()
        if resting > 0:
            timeout = min(timeout, resting)
        wasyncore.poll2(timeout, self.socket_map)

    def wake(self) -> None:
        """Make a `poll_once` waiting in another thread (or under a signal handler) return."""
        if not self._closed:
            self.trigger.pull_trigger()

    def close_overdue(self) -> None:
        """Close connections past their head or idle deadline (on the loop's next turn)."""
        now, wall_now = time.monotonic(), time.time()
        for channel in list(self.active_channels.values()):
            if channel.overdue(now, wall_now):
                channel.close_now()

    def stop_listening(self) -> None:
        """Stop accepting: this process's copy of the listening socket is closed (the other
        workers' stay open), and every answer from now on closes its connection."""
        self.stopping = True
        if self.accepting:
            wasyncore.dispatcher.close(self)

    def close_idle(self) -> None:
        for channel in list(self.active_channels.values()):
            if channel.idle():
                channel.will_close = True

    def open_connections(self) -> int:
        return len(self.active_channels)

    def close_everything(self, wait_seconds: float) -> None:
        """Close every connection, give the request threads `wait_seconds` to finish, then
        close the loop's trigger: a thread ending its answer pulls the trigger (waitress wakes
        the loop so), and a trigger closed before it raised EBADF in that thread."""
        self.stop_listening()
        self._closed = True
        wasyncore.close_all({fd: d for fd, d in self.socket_map.items() if d is not self.trigger},
                            ignore_all=True)
        self.task_dispatcher.shutdown(cancel_pending=True, timeout=wait_seconds)
        wasyncore.close_all(self.socket_map, ignore_all=True)
        if self._spare_fd is not None:
            os.close(self._spare_fd)
            self._spare_fd = None


class _AtMostEveryFewSeconds(logging.Filter):
    """Lets one record of each kind through per ten seconds: waitress logs a line per event
    ("Task queue depth is 3", "Client disconnected while serving …"), which a flood of clients
    would turn into a flood of lines."""

    def __init__(self, seconds: float = 10.0):
        super().__init__()
        self.seconds = seconds
        self._last: dict[str, float] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        kind = str(record.msg)[:30]  # "Client disconnected while serving" and its path
        now = time.monotonic()
        if now - self._last.get(kind, -self.seconds) < self.seconds:
            return False
        self._last[kind] = now
        return True


def _quieten_waitress_logs() -> None:
    for name in ("waitress", "waitress.queue"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _AtMostEveryFewSeconds) for f in logger.filters):
            logger.addFilter(_AtMostEveryFewSeconds())


def _spare_fd() -> int | None:
    try:
        return os.open(os.devnull, os.O_RDONLY)
    except OSError:
        return None


def _refuse_at_once(conn: socket.socket) -> None:
    """Answer 503 `busy` on a connection we will not serve, and close it, without blocking."""
    try:
        conn.setblocking(False)
        conn.send(raw_response(Refusal("busy")))
        conn.shutdown(socket.SHUT_WR)
        conn.recv(LINGER_READ)  # what already came, so that closing does not reset the answer
    except OSError:
        pass
    finally:
        conn.close()

