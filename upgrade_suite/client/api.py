"""An httpx client for the gateway's REST and JSON-RPC API, with tokens minted by the release itself.

Entity kinds are data (path, body wrapper, list shape), so every kind gets the same create, list
and read-back verbs, and a new kind is one line.
"""

from __future__ import annotations

import builtins
import json
import re
import time
from dataclasses import dataclass
from typing import Any

import httpx

from upgrade_suite.base.probe_runner import Timeout, run_probe
from upgrade_suite.releases.specs import Release


@dataclass(frozen=True)
class EntityKind:
    """How one kind of object is reached through the REST API."""

    name: str
    path: str
    wrapper: str | None = None  # POST bodies are {"tool": {...}} for most kinds, bare for teams
    list_key: str | None = None  # GET /teams/ answers {"teams": [...], "total": N} in pages of at most 100


KINDS: dict[str, EntityKind] = {
    kind.name: kind
    for kind in (
        EntityKind("gateways", "/gateways"),
        EntityKind("teams", "/teams/", list_key="teams"),
        EntityKind("tools", "/tools", wrapper="tool"),
        EntityKind("servers", "/servers", wrapper="server"),
        EntityKind("resources", "/resources", wrapper="resource"),
        EntityKind("prompts", "/prompts", wrapper="prompt"),
    )
}


@dataclass(frozen=True)
class Routes:
    """Where a release serves its REST API, read from its own OpenAPI document, not assumed.

    From 1.0.5 the REST API lives under ``/v1`` (the legacy paths still answer, with ``Sunset``
    headers); earlier releases have no prefix, though GA already lists a few plugin paths under
    ``/v1/tools/...``. So a path goes under ``/v1`` exactly when the release lists that path
    (templates such as ``/v1/teams/{team_id}/members`` match) there; ``/health``, ``/ready`` and
    ``/mcp/`` stay where they were.
    """

    versioned: tuple[str, ...] = ()  # the OpenAPI path templates under /v1, as regular expressions

    PREFIX = "/v1"

    @classmethod
    def from_openapi(cls, document: dict[str, Any]) -> Routes:
        templates = (p for p in document.get("paths", {}) if p.startswith(f"{cls.PREFIX}/"))
        return cls(tuple(re.sub(r"\\\{[^}]*\\\}", "[^/]+", re.escape(t.rstrip("/"))) for t in templates))

    def path(self, path: str) -> str:
        """The path the release serves for ``path`` written as the legacy (unprefixed) one."""
        if path.startswith(f"{self.PREFIX}/"):
            return path
        candidate = f"{self.PREFIX}{path}"
        bare = candidate.split("?", 1)[0].rstrip("/")
        return candidate if any(re.fullmatch(pattern, bare) for pattern in self.versioned) else path


class ApiError(AssertionError):
    """The gateway answered an API call with an error: a finding about the gateway, not the suite."""


#: A token is minted in about a second; this bounds a release that hangs on import.
TOKEN_TIMEOUT = Timeout(120)


def mint_token(release: Release, environment: dict[str, str], email: str, secret: str, minutes: int = 240) -> str:
    """An unrestricted admin JWT made by the release's own ``create_jwt_token`` (run in its venv).

    RC1 and GA (whose tool knows ``--admin``): ``teams: null`` with ``is_admin`` is their admin
    bypass; without it a token is "public-only" and may not create team-owned objects, and the
    tool's ``-u`` cannot express it, so the claims go in as ``-d`` JSON. 0.9.0 has no such claim
    (it crashes on ``teams: null``): the admin user's row makes the token an admin's.
    """
    arguments = ["-e", str(minutes), f"--secret={secret}"]  # a secret may start with "-"
    if release.token_admin_flag:
        arguments += ["-d", json.dumps({"sub": email, "is_admin": True, "teams": None}), "--admin"]
    else:
        arguments += ["-u", email]
    run = run_probe(
        "minting an admin token",
        release.spec.label,
        release.python,
        "mcpgateway.utils.create_jwt_token",
        arguments,
        environment=environment,
        cwd=None,
        timeout=TOKEN_TIMEOUT,
        merge_stderr=False,
    )
    lines = run.stdout.strip().splitlines()
    if run.exit_code != 0 or not lines:
        raise run.failure()
    return lines[-1].strip()


def object_path(kind: str, object_id: str) -> str:
    """One object's path, under its kind's legacy path (``GatewayApi`` sends it where the release serves it)."""
    return f"{KINDS[kind].path.rstrip('/')}/{object_id}"


class GatewayApi:
    """Calls one gateway as a bearer of ``token`` (anonymously without one); error responses raise ``ApiError``."""

    def __init__(self, base_url: str, token: str | None, timeout: float, routes: Routes | None = None) -> None:
        self.base_url = base_url
        self.token = token
        self.timeout = timeout
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._client = httpx.Client(base_url=base_url, headers=headers, timeout=timeout)
        self._routes = routes
        #: Calls made, and the time spent waiting for their answers: what of a scenario's time is
        #: the release's, not the suite's.
        self.calls = 0
        self.answering = 0.0
        self.slowest: tuple[float, str] = (0.0, "")  # (seconds, "METHOD path") of the longest wait

    @property
    def routes(self) -> Routes:
        """The release's REST layout, read once from its ``/openapi.json`` (none served: no prefix)."""
        if self._routes is None:
            try:
                response = self._client.get("/openapi.json")
            except httpx.HTTPError as error:
                raise ApiError(f"GET /openapi.json failed: {error}") from None
            self._routes = Routes.from_openapi(response.json()) if response.status_code == 200 else Routes()
        return self._routes

    def bearer(self, token: str | None) -> GatewayApi:
        """The same gateway called as another bearer (a user's token) or anonymously (``None``); close it after."""
        return GatewayApi(self.base_url, token, self.timeout, self.routes)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> GatewayApi:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def response(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One call, whatever it answers (a refusal can be the expected answer); ``ApiError`` if none came.

        ``path`` is written as the legacy path; it is sent where this release serves it.
        """
        routed, started = self.routes.path(path), time.monotonic()
        try:
            return self._client.request(method, routed, **kwargs)
        except httpx.HTTPError as error:
            raise ApiError(f"{method} {path} failed: {error}") from None
        finally:
            waited = time.monotonic() - started
            self.calls, self.answering = self.calls + 1, self.answering + waited
            self.slowest = max(self.slowest, (waited, f"{method} {path}"))

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """One call; the parsed JSON body, or ``ApiError`` naming the call and the gateway's answer."""
        response = self.response(method, path, **kwargs)
        if response.status_code >= 400:
            raise ApiError(
                f"{method} {response.request.url.path} answered {response.status_code}: {response.text[:300]}"
            )
        return response.json() if response.content else None

    def list(self, kind: str, limit: int | None = None) -> list[dict[str, Any]]:
        """Every object of a kind (or the first ``limit`` it lists), inactive ones included, across all pages."""
        spec = KINDS[kind]
        if spec.list_key is None:
            return self.request("GET", spec.path, params={"include_inactive": "true", "limit": limit or 0})
        items: list[dict[str, Any]] = []
        while limit is None or len(items) < limit:
            page = self.request("GET", spec.path, params={"skip": len(items), "limit": 100})
            items += page[spec.list_key]
            if not page[spec.list_key] or len(items) >= page.get("total", 0):
                break
        return items

    def paginated_ids(self, kind: str, page_size: int = 100, limit: int | None = None) -> builtins.list[str]:
        """Every id of a kind (or the first ``limit``), read page by page with the API's cursor, as a client would."""
        ids: list[str] = []
        cursor: str | None = None
        while limit is None or len(ids) < limit:
            params: dict[str, Any] = {"include_pagination": "true", "include_inactive": "true", "limit": page_size}
            if cursor:
                params["cursor"] = cursor
            page = self.request("GET", KINDS[kind].path, params=params)
            ids += [str(item["id"]) for item in page[kind]]
            cursor = page.get("nextCursor")
            if not cursor or not page[kind]:
                return ids
        return ids

    def create(self, kind: str, fields: dict[str, Any]) -> dict[str, Any]:
        spec = KINDS[kind]
        return self.request("POST", spec.path, json={spec.wrapper: fields} if spec.wrapper else fields)

    def get(self, kind: str, object_id: str) -> dict[str, Any]:
        return self.request("GET", object_path(kind, object_id))

    def read(self, kind: str, object_id: str) -> httpx.Response:
        """Reading one object by id, whatever the answer (a hidden object's 404 can be the expected one)."""
        return self.response("GET", object_path(kind, object_id))

    def delete(self, kind: str, object_id: str) -> None:
        self.request("DELETE", object_path(kind, object_id))

    def legacy_paths(self) -> builtins.list[LegacyPath]:
        """Each entity kind's legacy path this release still answers beside its ``/v1`` one.

        A finding to plan for, not a failure: clients on the old paths keep working today and stop
        on the date the release announces (``Sunset``).
        """
        found = []
        for spec in KINDS.values():
            if self.routes.path(spec.path) == spec.path:
                continue
            try:
                response = self._client.get(spec.path, params={"limit": 1})
            except httpx.HTTPError as error:
                raise ApiError(f"GET {spec.path} failed: {error}") from None
            found.append(
                LegacyPath(
                    spec.path,
                    self.routes.path(spec.path),
                    response.status_code,
                    response.headers.get("sunset", ""),
                    response.headers.get("deprecation", ""),
                )
            )
        return found

    def rpc_tools(self) -> builtins.list[dict[str, Any]]:
        """Every tool JSON-RPC ``tools/list`` serves, following MCP's ``nextCursor`` (1.1.0 pages by 100)."""
        tools: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            page = self.rpc("tools/list", {"cursor": cursor} if cursor else None)
            tools += page["tools"]
            cursor = page.get("nextCursor")
            if not cursor or not page["tools"]:
                return tools

    def rpc(self, method: str, params: dict[str, Any] | None = None) -> Any:
        """A JSON-RPC call over the MCP streamable-HTTP endpoint; the ``result``, or ``ApiError``."""
        payload = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params or {}}
        headers = {"Accept": "application/json, text/event-stream"}
        try:
            response = self._client.post("/mcp/", json=payload, headers=headers)
        except httpx.HTTPError as error:
            raise ApiError(f"JSON-RPC {method} failed: {error}") from None
        if response.status_code >= 400:
            raise ApiError(f"JSON-RPC {method} answered {response.status_code}: {response.text[:300]}")
        message = _jsonrpc_message(response)
        if "error" in message:
            raise ApiError(f"JSON-RPC {method} returned an error: {message['error']}")
        return message["result"]


@dataclass(frozen=True)
class LegacyPath:
    """A legacy REST path and what the release answers on it."""

    path: str
    successor: str
    status: int
    sunset: str
    deprecation: str

    def render(self) -> str:
        served = "still answers" if self.status < 400 else "no longer answers"
        sunset = f", Sunset: {self.sunset}" if self.sunset else ", no Sunset header"
        return f"GET {self.path} {served} ({self.status}{sunset}); the release serves it at {self.successor}"


def _jsonrpc_message(response: httpx.Response) -> dict[str, Any]:
    """The JSON-RPC reply, whether the server answered with JSON or with one SSE event."""
    if response.headers.get("content-type", "").startswith("text/event-stream"):
        data = [line[5:].strip() for line in response.text.splitlines() if line.startswith("data:")]
        if not data:
            raise ApiError(f"JSON-RPC answered an event stream without data: {response.text[:200]}")
        return json.loads(data[-1])
    return response.json()
