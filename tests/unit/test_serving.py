"""Serving: a started gateway is waited for until an authenticated read is answered; refusals are kept."""

import httpx
import pytest

from upgrade_suite.base.errors import SuiteError
from upgrade_suite.client.api import GatewayApi, Routes
from upgrade_suite.client.serving import wait_serving
from upgrade_suite.services.startup import StartTimeline


class Started:
    """What wait_serving reads of a gateway: its latest timeline, launch time, release label and log."""

    def __init__(self) -> None:
        self.timelines = [StartTimeline("RC1 (1.0.0rc1)")]
        self.launched_at = 0.0
        self.log_path = "seed.log"
        self.release = type("R", (), {"spec": type("S", (), {"label": "RC1 (1.0.0rc1)"})()})()


def api_answering(*statuses: int) -> GatewayApi:
    """An API whose GET /tools answers the given statuses in turn (then the last one forever)."""
    answers = list(statuses)

    def handler(request: httpx.Request) -> httpx.Response:
        assert (request.method, request.url.path) == ("GET", "/tools")
        status = answers.pop(0) if len(answers) > 1 else answers[0]
        return httpx.Response(status, json={"detail": "Invalid authentication credentials"} if status != 200 else [])

    api = GatewayApi("http://gateway", "token", 5.0, routes=Routes())
    api._client = httpx.Client(base_url="http://gateway", transport=httpx.MockTransport(handler))
    return api


def test_reads_refused_while_the_bootstrap_runs_are_kept_and_the_wait_ends_when_one_is_answered():
    gateway = Started()
    assert wait_serving(api_answering(401, 401, 200), gateway, timeout=5.0)  # type: ignore[arg-type]
    timeline = gateway.timelines[-1]
    assert [refusal.status for refusal in timeline.refused] == [401, 401]
    assert timeline.serving_after is not None and timeline.serving_after > timeline.refused[-1].at


def test_a_gateway_that_never_serves_is_a_suite_error_when_required_and_a_finding_otherwise():
    with pytest.raises(SuiteError, match="authenticated GET /tools after /ready"):
        wait_serving(api_answering(401), Started(), timeout=0.3)  # type: ignore[arg-type]
    gateway = Started()
    assert not wait_serving(api_answering(500), gateway, timeout=0.3, required=False)  # type: ignore[arg-type]
    assert gateway.timelines[-1].serving_after is None and gateway.timelines[-1].refused[0].status == 500
