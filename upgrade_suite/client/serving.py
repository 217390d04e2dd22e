"""Serving: a started gateway answers an authenticated read, not only /ready.

Up to RC1 a gateway runs its database bootstrap (create the schema, stamp it, make the admin user)
as a background task beside its start-up, and /ready answers "ready" before that task commits.
Measured on RC1 and a fresh PostgreSQL database: the schema was committed 0.7 s after /ready said
ready, and the suite's first call in between (POST /gateways) was refused with 401 because the
users table did not exist yet. GA and later releases await the bootstrap before they serve.

So every start is followed by one authenticated read, repeated until it is answered; the reads
refused in between are kept in the start's timeline, where the start-up check judges them.
"""

from __future__ import annotations

import time

from upgrade_suite.base.errors import SuiteError
from upgrade_suite.base.waiting import wait_until
from upgrade_suite.client.api import GatewayApi
from upgrade_suite.services.gateway import Gateway
from upgrade_suite.services.startup import Refusal

#: The read: every release serves it, only to an authenticated caller, from its users and tools tables.
READ = ("GET", "/tools", {"limit": 1})

#: How long a started release may refuse the read before the scenario goes on and its checks judge it:
#: RC1's bootstrap ended 0.7 s after ready; a release that never serves must not cost the start timeout.
JUDGED_WAIT = 30.0


def wait_serving(api: GatewayApi, gateway: Gateway, timeout: float, required: bool = True) -> bool:
    """Poll the authenticated read until it is answered 200; each refusal goes into the start's timeline.

    ``required``: a gateway that has not served within ``timeout`` is a ``SuiteError`` (seeding needs it);
    otherwise False, and the refusals are the evidence the scenario's checks read.
    """
    timeline = gateway.timelines[-1]
    method, path, params = READ

    def answered() -> bool:
        response = api.response(method, path, params=params)
        at = time.monotonic() - gateway.launched_at
        if response.status_code == 200:
            timeline.serving_after = at
            return True
        timeline.refused.append(Refusal(at, response.status_code, response.text[:200]))
        return False

    try:
        wait_until(
            answered,
            timeout,
            f"{gateway.release.spec.label} gateway to answer an authenticated {method} {path} after /ready "
            f"(log: {gateway.log_path})",
        )
    except SuiteError:
        if required:
            raise
        return False
    return True
