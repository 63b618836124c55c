"""`/api/export` over a real socket to a real waitress server: the body is streamed (chunked, no
Content-Length: Bottle passed the export on un-joined), the access log counts its bytes, and a
client that reads slowly is not cut off by the server's head and idle deadlines."""
from __future__ import annotations

import csv
import io
import logging
import socket
import time

import pytest
from built_apps import built_settings

from search.web.server import running_in_background

pytestmark = pytest.mark.slow

# About 250 KB of CSV: more than a small receive window and the server's first send. The texts
# are near copies of each other (one number in 120 repeated words), so the exports ask for every
# copy (collapse=none).
ARTICLES = [{"id": f"wheat-{n}", "title": f"Wheat market {n}", "date": "1987-03-02", "author": "",
             "url": "", "dateline": "",
             "paragraphs": [f"Wheat traders said prices moved {n} cents. " + "Grain " * 120,
                            "Wheat shipments were steady, traders said. " + "Export " * 120]}
               for n in range(150)]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    settings = built_settings(tmp_path_factory.mktemp("e2e-export"), ARTICLES)
    # Deadlines far shorter than the slow reader's pauses below.
    with running_in_background(settings, head_timeout=0.5, idle_timeout=0.5) as running:
        yield running


def raw_get(url: str, path: str, pause: float = 0.0, window: int | None = None) -> tuple[bytes, bytes]:
    """The head and the de-chunked body of GET `path`, read 4 KB at a time with `pause` seconds
    after the first read, through a receive window of `window` bytes when given."""
    host, port = url.removeprefix("http://").split(":")
    sock = socket.socket()
    if window:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, window)
    sock.connect((host, int(port)))
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
    received = bytearray()
    sock.settimeout(30)
    while chunk := sock.recv(4096):
        if not received:
            time.sleep(pause)
        received += chunk
    sock.close()
    head, _, body = bytes(received).partition(b"\r\n\r\n")
    return head, _dechunked(body)


def _dechunked(body: bytes) -> bytes:
    out, rest = bytearray(), body
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            return bytes(out)
        out += rest[:size]
        rest = rest[size + 2:]
    raise AssertionError("the chunked body ended without its last chunk")


def test_export_over_a_socket_is_chunked_and_whole(server):
    head, body = raw_get(server.url, "/api/export?q=wheat&format=csv&collapse=none")
    lines = head.decode("latin-1").lower().splitlines()
    assert lines[0].startswith("http/1.1 200")
    assert "transfer-encoding: chunked" in lines and not any(h.startswith("content-length") for h in lines)
    assert "x-index-generation: 1" in lines and "x-result-total: 300" in lines
    assert len(list(csv.reader(io.StringIO(body.decode("utf-8"))))) == 301


def test_slow_reader_gets_the_whole_export_past_the_idle_deadline(server):
    _, body = raw_get(server.url, "/api/export?q=wheat&format=jsonl&collapse=none", pause=1.5, window=4096)
    lines = body.decode("utf-8").splitlines()
    assert len(lines) == 301 and lines[-1].startswith('{"id": ')


def test_access_log_counts_the_streamed_bytes(server, caplog):
    with caplog.at_level(logging.INFO, logger="search.web.server.access"):
        _, body = raw_get(server.url, "/api/export?q=wheat&format=csv&collapse=none")
        deadline = time.monotonic() + 5
        while not caplog.records and time.monotonic() < deadline:
            time.sleep(0.05)
    line = next(r.getMessage() for r in caplog.records if "/api/export" in r.getMessage())
    assert f" 200 {len(body)} " in line and "gen=1" in line
