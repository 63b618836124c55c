"""One GET over a real socket, for the tests that start a real server: the status, the headers
and the JSON body, 4xx and 5xx included."""
from __future__ import annotations

import json
import urllib.error
import urllib.request


def get(url: str) -> tuple[int, dict, dict]:
    """Status, headers and JSON body of a GET, 4xx and 5xx included."""
    try:
        with urllib.request.urlopen(url, timeout=10) as res:
            return res.status, dict(res.headers), json.loads(res.read())
    except urllib.error.HTTPError as e:
        with e:
            return e.code, dict(e.headers), json.loads(e.read())
