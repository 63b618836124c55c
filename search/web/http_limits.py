"""What a request may look like before it reaches the app, and how long it may take to arrive:
the limits, the checks on a raw request head, the connection limit this process can hold, and
the JSON answer for each refusal. Pure policy: imports `search.web.app`'s error shape and the
standard library, never a server.
"""
from __future__ import annotations

import json
import logging
import re
import resource
import threading
import time
from dataclasses import dataclass

from search.web.app import JSON_TYPE, error_body
from search.web.errors import BUSY_RETRY_AFTER_SECONDS

log = logging.getLogger(__name__)

# The longest request line read: a query of 1,000 characters (search.service.params.MAX_QUERY_CHARS),
# percent-encoded as UTF-8, fits; longer is a JSON 414.
REQUEST_LINE_LIMIT = 8190
# Header lines and the size of each (what gunicorn allowed), and of the whole head: more is a JSON 431.
# The whole head is bounded well below 100 x 8,190 because every open connection may buffer one.
REQUEST_FIELDS_LIMIT = 100
REQUEST_FIELD_SIZE_LIMIT = 8190
REQUEST_HEAD_LIMIT = 32 * 1024
# Seconds a request line and its headers may take to arrive once the first byte came: a client
# that sends a header a second holds a connection (not a thread) for at most this long.
HEAD_TIMEOUT = 10.0
# Seconds a connection may stay silent (before its first request or between two) before it is
# closed: a kept-alive browser gets its next request through; a silent client holds one file
# descriptor for this long, never a thread.
IDLE_TIMEOUT = 15.0
# File descriptors one server process keeps for itself, out of RLIMIT_NOFILE: two generations
# open at once during a switch (about 40 each on the Reuters index: segments, columns, postings),
# log files, pipes. The rest are for connections.
RESERVED_FDS = 256
# Connections one process holds at most, however high the file limit: each may buffer a request
# head (32 KB) and costs a few KB of its own; above this, new connections get a quick 503.
CONNECTION_CAP = 10_000

# A request line we read: METHOD SP target SP HTTP/1.x, the target without spaces or control
# bytes (a NUL in it is refused, as gunicorn does), no HTTP/0.9 (a line without a version).
_REQUEST_LINE = re.compile(rb"[A-Z]+ [^\x00-\x20\x7f]+ HTTP/1\.[01]")
_FIELD_NAME = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


@dataclass(frozen=True)
class Refusal:
    """A request answered before the app: its kind (a key of REFUSALS) and what was wrong."""

    kind: str
    detail: str = ""


# kind -> (status, reason, error code, message); `{detail}` is the Refusal's.
REFUSALS = {
    "uri_too_long": (414, "URI Too Long", "uri_too_long",
                     f"the request line is longer than {REQUEST_LINE_LIMIT:,} bytes; shorten the query"),
    "headers_too_large": (431, "Request Header Fields Too Large", "headers_too_large",
                          f"at most {REQUEST_FIELDS_LIMIT} header lines of {REQUEST_FIELD_SIZE_LIMIT:,} "
                          f"bytes each, {REQUEST_HEAD_LIMIT:,} bytes in all"),
    "bad_request": (400, "Bad Request", "bad_request", "the request could not be read: {detail}"),
    "body_not_accepted": (413, "Content Too Large", "body_not_accepted",
                          "this service takes no request body; send the parameters in the query "
                          "string of a GET"),
    "busy": (503, "Service Unavailable", "busy",
             "this server process has all the connections it can hold open; try again in a moment"),
    "internal_error": (500, "Internal Server Error", "internal_error",
                       "the server failed while answering; the failure was logged"),
}


def head_problem(head: bytes) -> Refusal | None:
    """What is wrong with a complete request head (request line and header lines, up to the
    blank line), or None: checked before the server parses it, so that a request smuggled with
    both Content-Length and Transfer-Encoding, a body, HTTP/0.9 or a NUL never reaches the app."""
    line, _, fields = head.removesuffix(b"\r\n\r\n").partition(b"\r\n")
    if len(line) > REQUEST_LINE_LIMIT:
        return Refusal("uri_too_long")
    if not _REQUEST_LINE.fullmatch(line):
        return Refusal("bad_request", "the request line is not `METHOD target HTTP/1.0` or `HTTP/1.1`")
    lines = fields.split(b"\r\n") if fields else []
    if len(lines) > REQUEST_FIELDS_LIMIT or any(len(f) > REQUEST_FIELD_SIZE_LIMIT for f in lines):
        return Refusal("headers_too_large")
    return _fields_problem(lines)


def _fields_problem(lines: list[bytes]) -> Refusal | None:
    """Header lines we refuse: malformed ones, and any that announce a body (we take none)."""
    names = set()
    for field in lines:
        name, colon, _ = field.partition(b":")
        if not colon or not _FIELD_NAME.fullmatch(name) or b"\x00" in field:
            return Refusal("bad_request", "a header line is malformed")
        names.add(name.lower())
    if b"transfer-encoding" in names and b"content-length" in names:
        return Refusal("bad_request", "both Content-Length and Transfer-Encoding")
    if b"transfer-encoding" in names:
        return Refusal("body_not_accepted")
    return None


def line_too_long(head_so_far: bytes) -> bool:
    """Whether the request line being received is already over the limit (answered 414 at once,
    instead of 431 once the whole head limit is reached)."""
    head_so_far = head_so_far.lstrip(b"\r\n")
    end = head_so_far.find(b"\r\n")
    return (end if end >= 0 else len(head_so_far)) > REQUEST_LINE_LIMIT


def refusal_response(refusal: Refusal) -> tuple[str, list[tuple[str, str]], bytes]:
    """Status line, headers and JSON body of a refusal, in the API's one error shape."""
    status, reason, code, message = REFUSALS[refusal.kind]
    body = json.dumps(error_body(code, message.format(detail=refusal.detail))).encode("utf-8")
    headers = [("Content-Type", JSON_TYPE), ("Content-Length", str(len(body)))]
    if status == 503:
        headers.append(("Retry-After", str(BUSY_RETRY_AFTER_SECONDS)))
    return f"{status} {reason}", headers, body


def raw_response(refusal: Refusal) -> bytes:
    """The whole HTTP/1.1 answer to a refusal, closing the connection (sent straight to a socket
    the server cannot take on)."""
    status, headers, body = refusal_response(refusal)
    lines = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in headers), "Connection: close"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def connection_limit(soft: int | None = None) -> int:
    """Connections one process may hold: its file limit less what it keeps for itself, at most
    CONNECTION_CAP. Without `soft`, the process's own soft RLIMIT_NOFILE, first raised towards
    the hard limit when that allows more (safe: the server polls with poll(), not select())."""
    if soft is None:
        soft = _raise_file_limit(CONNECTION_CAP + RESERVED_FDS)
    return max(1, min(CONNECTION_CAP, soft - min(RESERVED_FDS, soft // 2)))


def _raise_file_limit(wanted: int) -> int:
    """The soft RLIMIT_NOFILE after raising it to `wanted` where the hard limit allows."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            log.info("raised the open-file limit from %d to %d for connections", soft, target)
            return target
        except (ValueError, OSError) as e:
            log.warning("could not raise the open-file limit from %d: %s", soft, e)
    return soft if soft != resource.RLIM_INFINITY else wanted


class EveryFewSeconds:
    """A warning logged at most once per `seconds`, with how many were held back since: a flood
    of bad clients must not become a flood of log lines."""

    def __init__(self, logger: logging.Logger, seconds: float = 10.0):
        self.logger = logger
        self.seconds = seconds
        self._next = 0.0
        self._held = 0
        self._lock = threading.Lock()

    def warn(self, message: str, *args) -> None:
        with self._lock:
            now = time.monotonic()
            if now < self._next:
                self._held += 1
                return
            held, self._held, self._next = self._held, 0, now + self.seconds
        suffix = f" ({held} more like it in the last {self.seconds:.0f} s not logged)" if held else ""
        self.logger.warning(message + suffix, *args)
