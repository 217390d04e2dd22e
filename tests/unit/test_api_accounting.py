"""The API client counts its calls and the time spent waiting for their answers, failed calls included."""

import time

import httpx
import pytest

from upgrade_suite.client.api import ApiError, GatewayApi, Routes


def test_calls_and_the_wait_for_their_answers_are_counted_refusals_and_failures_too():
    def handler(request: httpx.Request) -> httpx.Response:
        time.sleep(0.05)
        if request.url.path == "/down":
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(401 if request.url.path == "/secret" else 200, json={})

    api = GatewayApi("http://gateway", "token", 5.0, routes=Routes())
    api._client = httpx.Client(base_url="http://gateway", transport=httpx.MockTransport(handler))
    api.request("GET", "/tools")
    assert api.response("GET", "/secret").status_code == 401
    with pytest.raises(ApiError):
        api.request("GET", "/down")
    assert api.calls == 3
    assert api.answering >= 0.15, "each call's wait is added, the failed one's too"
    assert api.slowest[0] >= 0.05 and api.slowest[1] in ("GET /tools", "GET /secret", "GET /down")
