"""The one assertion on the API's error shape, used by every HTTP test that expects an error."""
from __future__ import annotations

import json

JSON_TYPE = "application/json; charset=utf-8"


def assert_error(response, status: int, code: str, param: str | None = None) -> dict:
    """`response` (a WebTest response) is a JSON error with this status, code and param;
    returns the error object for further checks on its message."""
    assert response.status_int == status, response.text
    assert response.headers["Content-Type"] == JSON_TYPE
    body = json.loads(response.body)
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "param"}
    assert (error["code"], error["param"]) == (code, param), error
    assert isinstance(error["message"], str) and error["message"].strip()
    assert "Traceback" not in response.text
    return error
