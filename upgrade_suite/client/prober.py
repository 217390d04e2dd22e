"""Steady, bounded traffic through the load balancer, every request recorded: downtime measured, not guessed.

The plan's check (a curl loop that stops at the first non-200) can neither prove zero downtime nor
say how much there was. The prober sends requests open-loop at a fixed rate (a slow answer does
not slow the sending, as real clients do not wait for each other), cycling through what users do:
/health and an authenticated read (list tools), and, when asked, a small write path (create a
prompt, later delete it), so old code writing to the new schema is exercised too. Each request
becomes a ``ProbeRecord``: when it was sent, what, the status (0 when no HTTP answer came),
latency, and the replica that answered (HAProxy's ``X-Served-By``). It runs in a thread with its
own event loop and stops by itself after ``max_seconds`` even if nobody stops it.
"""

from __future__ import annotations

import asyncio
import csv
import io
import itertools
import statistics
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

import httpx

from upgrade_suite.base.waiting import wait_until
from upgrade_suite.services.startup import HEALTHY

#: One cycle of what the prober does, each entry one request: reads only, or reads and the write path.
READS = ("health", "read")
READS_AND_WRITES = ("health", "create", "read", "delete")


@dataclass(frozen=True)
class ProbeRecord:
    """One request sent through the balancer and what came of it (times are ``time.monotonic()``).

    ``sent_at`` is when the request went on the wire (httpcore's trace), not when it was due: under
    load a due request can wait for a pooled connection (``queued_ms``), and "who answered before it
    was ready" must be judged from when the balancer could first have seen the request.
    """

    sent_at: float
    kind: str
    status: int
    latency_ms: float
    served_by: str
    error: str = ""
    queued_ms: float = 0.0
    health: str = ""  # a /health answer's body status: HTTP 200 with "unhealthy" is a failed health check

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300 and (self.kind != "health" or self.health == HEALTHY)

    @property
    def outcome(self) -> str:
        """What came back, for a reader: the status, the error without one, or the unhealthy body."""
        if self.status and self.kind == "health" and 200 <= self.status < 300 and self.health != HEALTHY:
            return f"{self.status} {self.health or 'without a status'}"
        return str(self.status or self.error)

    @property
    def answered_at(self) -> float:
        return self.sent_at + self.latency_ms / 1000


@dataclass
class Prober:
    """Sends ``rate`` requests per second to ``url`` until stopped (or ``max_seconds``); a context manager."""

    url: str
    token: str
    rate: float
    max_seconds: float
    request_timeout: float = 10.0
    cycle: tuple[str, ...] = READS
    records: list[ProbeRecord] = field(default_factory=list)
    started_at: float = 0.0
    stopped_at: float = 0.0
    cleanup_failures: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._created: deque[str] = deque()
        self._lock = threading.Lock()

    def __enter__(self) -> Prober:
        self.started_at = time.monotonic()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), name="prober", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop sending, wait for requests in flight, delete what the write path left. Idempotent."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stop.set()
        thread.join(timeout=self.request_timeout + 5)
        self.stopped_at = time.monotonic()
        self._clean_up()

    def wait_for(self, count: int, timeout: float) -> None:
        """Block until ``count`` requests have been answered (a measurement window, not a sleep)."""
        wait_until(
            lambda: len(self.records) >= count or self._thread is None,
            timeout,
            f"the prober to record {count} requests",
        )

    def snapshot(self) -> list[ProbeRecord]:
        with self._lock:
            return list(self.records)

    async def _run(self) -> None:
        interval = 1.0 / self.rate
        deadline = self.started_at + self.max_seconds
        headers = {"Authorization": f"Bearer {self.token}"}
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=16)
        async with httpx.AsyncClient(
            base_url=self.url, headers=headers, timeout=self.request_timeout, limits=limits
        ) as client:
            pending: set[asyncio.Task[None]] = set()
            for tick, kind in enumerate(itertools.cycle(self.cycle)):
                due = self.started_at + tick * interval
                if self._stop.is_set() or due > deadline:
                    break
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                task = asyncio.create_task(self._send(client, kind, tick))
                pending.add(task)
                task.add_done_callback(pending.discard)
            if pending:
                await asyncio.wait(pending)

    async def _send(self, client: httpx.AsyncClient, kind: str, tick: int) -> None:
        due = time.monotonic()
        on_wire: list[float] = []

        async def trace(event: str, info: dict[str, object]) -> None:
            if event.endswith("send_request_headers.started") and not on_wire:
                on_wire.append(time.monotonic())

        status, served_by, error, health = 0, "", "", ""
        try:
            response = await self._request(client, kind, tick, {"trace": trace})
            status, served_by = response.status_code, response.headers.get("x-served-by", "")
            health = _body_status(response) if kind == "health" else ""
            if not 200 <= status < 300 or (kind == "health" and health != HEALTHY):
                error = response.text[:200]
        except httpx.HTTPError as failure:
            error = f"{type(failure).__name__}: {failure}"[:200]
        sent = on_wire[0] if on_wire else due
        record = ProbeRecord(
            sent,
            kind,
            status,
            round((time.monotonic() - sent) * 1000, 2),
            served_by,
            error,
            round((sent - due) * 1000, 2),
            health,
        )
        with self._lock:
            self.records.append(record)

    async def _request(
        self, client: httpx.AsyncClient, kind: str, tick: int, extensions: dict[str, object]
    ) -> httpx.Response:
        if kind == "health":
            return await client.get("/health", extensions=extensions)
        if kind == "read":
            return await client.get("/tools", extensions=extensions)
        if kind == "delete" and self._created:
            return await client.delete(f"/prompts/{self._created.popleft()}", extensions=extensions)
        body = {"prompt": {"name": f"rollout_probe_{tick}", "template": "probe {{ x }}", "arguments": [{"name": "x"}]}}
        response = await client.post("/prompts", json=body, extensions=extensions)
        if 200 <= response.status_code < 300:
            self._created.append(str(response.json()["id"]))
        return response

    def _clean_up(self) -> None:
        """Delete prompts the write path created and did not get to delete: the data checks follow."""
        with httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {self.token}"}, timeout=self.request_timeout
        ) as client:
            while self._created:
                prompt = self._created.popleft()
                try:
                    client.delete(f"/prompts/{prompt}").raise_for_status()
                except httpx.HTTPError as failure:
                    self.cleanup_failures.append(f"prompt {prompt}: {failure}")


def _body_status(response: httpx.Response) -> str:
    """``status`` of a JSON body ("" without one): the gateway's /health answers 200 while unhealthy."""
    try:
        body = response.json()
    except ValueError:
        return ""
    return str(body.get("status", "")) if isinstance(body, dict) else ""


def to_csv(records: Iterable[ProbeRecord], origin: float) -> str:
    """The request record for the report: one row per request, times in seconds from ``origin``."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["t_seconds", "kind", "status", "latency_ms", "queued_ms", "served_by", "error", "health"])
    for r in records:
        writer.writerow(
            [f"{r.sent_at - origin:.3f}", r.kind, r.status, r.latency_ms, r.queued_ms, r.served_by, r.error, r.health]
        )
    return out.getvalue()


def percentile(values: list[float], fraction: float) -> float:
    """The ``fraction`` quantile (0.99 for p99) of ``values``; 0 for no values."""
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(fraction * 100) - 1]


def longest_gap(records: Iterable[ProbeRecord], start: float, end: float) -> float:
    """The longest time between two successful answers within [start, end], the window's edges included."""
    moments = [start, *sorted(r.answered_at for r in records if r.ok and start <= r.answered_at <= end), end]
    return max(b - a for a, b in itertools.pairwise(moments))


@dataclass(frozen=True)
class Window:
    """Figures for one stretch of the probing (before the roll, during it)."""

    name: str
    sent: int
    failed: int
    longest_gap_s: float
    p50_ms: float
    p99_ms: float

    @classmethod
    def of(cls, name: str, records: list[ProbeRecord], start: float, end: float) -> Window:
        inside = [r for r in records if start <= r.sent_at < end]
        latencies = [r.latency_ms for r in inside if r.ok]
        return cls(
            name,
            len(inside),
            sum(not r.ok for r in inside),
            round(longest_gap(records, start, end), 3),
            round(percentile(latencies, 0.5), 1),
            round(percentile(latencies, 0.99), 1),
        )
