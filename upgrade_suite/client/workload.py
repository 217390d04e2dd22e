"""One script of user operations, run the same way on any gateway, recording what each answered.

Run on the upgraded database and on a fresh install of the same release holding the same objects, it catches
what the upgrade did that no schema comparison names: a create refused on one side (a unique constraint only
the upgraded database has), a delete that leaves dependants on one, a rename one side stores differently. The
script does not need to know what the release accepts: both sides get exactly the same requests, so what
differs between their answers is the database's doing. Everything it makes is named with ``PREFIX``, so the
state compared afterwards is the workload's own, whatever else the databases hold.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from upgrade_suite.client.api import KINDS, ApiError, GatewayApi, object_path

#: The names of everything the workload makes (and the state it compares) start with this.
PREFIX = "wl"
#: The kinds whose objects the workload makes, and whose names it reads back at the end.
STATE_KINDS = ("teams", "tools", "resources", "prompts", "servers", "gateways")


@dataclass(frozen=True)
class Observation:
    """One operation and the gateway's answer: its HTTP status, or why it was not run (an earlier step failed)."""

    operation: str
    answer: str
    detail: str = ""

    def render(self) -> str:
        return self.answer + (f" ({self.detail})" if self.detail else "")


@dataclass
class Workload:
    """The script, run against one gateway (``api``); ``mcp_url``: an MCP server it can federate."""

    api: GatewayApi
    mcp_url: str
    observations: list[Observation] = field(default_factory=list)
    ids: dict[str, str] = field(default_factory=dict)

    def run(self) -> list[Observation]:
        """Every operation in order; a failure is an observation, never an exception (the other side may agree)."""
        tool = {"url": "http://127.0.0.1:9/wl", "integration_type": "REST", "request_type": "GET"}
        self._create("create a private team", "team_a", "teams", {"name": f"{PREFIX}-team-a", "visibility": "private"})
        self._create("create a public team", "team_b", "teams", {"name": f"{PREFIX}-team-b", "visibility": "public"})
        self._create(
            "create a tool shared with a team",
            "tool",
            "tools",
            {"name": f"{PREFIX}_tool", **tool, "team_id": self.ids.get("team_a"), "visibility": "team"},
        )
        self._create(
            "create a second tool of the same name in the same team",
            "tool_same_team",
            "tools",
            {"name": f"{PREFIX}_tool", **tool, "team_id": self.ids.get("team_a"), "visibility": "team"},
        )
        self._create(
            "create a tool of the same name in another team",
            "tool_other_team",
            "tools",
            {"name": f"{PREFIX}_tool", **tool, "team_id": self.ids.get("team_b"), "visibility": "team"},
        )
        self._call("rename the tool", "PUT", "tools", "tool", {"name": f"{PREFIX}_tool_renamed"})
        self._create(
            "create a resource",
            "resource",
            "resources",
            {"uri": f"{PREFIX}://doc", "name": f"{PREFIX}-doc", "content": "workload", "mime_type": "text/plain"},
        )
        self._create(
            "create a resource with the same URI",
            "resource_again",
            "resources",
            {"uri": f"{PREFIX}://doc", "name": f"{PREFIX}-doc-again", "content": "again", "mime_type": "text/plain"},
        )
        self._create(
            "create a prompt",
            "prompt",
            "prompts",
            {
                "name": f"{PREFIX}_prompt",
                "template": "Hi {{ name }}",
                "arguments": [{"name": "name", "required": True}],
            },
        )
        bundle = {
            "associated_tools": [self.ids[k] for k in ("tool",) if k in self.ids],
            "associated_resources": [self.ids[k] for k in ("resource",) if k in self.ids],
            "associated_prompts": [self.ids[k] for k in ("prompt",) if k in self.ids],
        }
        self._create("create a server bundling them", "server", "servers", {"name": f"{PREFIX}-server", **bundle})
        self._create("create a server of the same name", "server_again", "servers", {"name": f"{PREFIX}-server"})
        gateway = {"url": self.mcp_url, "transport": "STREAMABLEHTTP"}
        self._create("register a federated gateway", "gateway", "gateways", {"name": f"{PREFIX}-gateway", **gateway})
        self._create(
            "register a second gateway of the same name", "gateway_again", "gateways", {"name": f"{PREFIX}-gateway"}
        )
        agent = {"name": f"{PREFIX}-agent", "endpoint_url": "http://127.0.0.1:9/wl-agent", "generate_uaid": True}
        for key, team, operation in (
            ("agent_a", "team_a", "register an A2A agent with a generated UAID in a team"),
            ("agent_b", "team_b", "register the same agent (so the same UAID) in another team"),
        ):
            self._post(operation, key, "/a2a", {"agent": agent, "team_id": self.ids.get(team), "visibility": "team"})
        self._call("delete the tool the server bundles", "DELETE", "tools", "tool")
        self._read_back("the server's tools after its tool was deleted", "servers", "server", "associated_tools")
        self._call("delete a team that shares a tool", "DELETE", "teams", "team_a")
        self._call("delete the federated gateway", "DELETE", "gateways", "gateway")
        for kind, key in (("servers", "server"), ("resources", "resource"), ("prompts", "prompt")):
            self._call(f"delete the {key}", "DELETE", kind, key)
        for key in ("agent_a", "agent_b"):
            self._call(f"delete A2A agent {key[-1].upper()}", "DELETE", "a2a", key)
        return self.observations

    def state(self) -> dict[str, list[str]]:
        """The names of the workload's objects each kind lists afterwards."""
        return {
            kind: sorted(str(o.get("name")) for o in self.api.list(kind) if str(o.get("name", "")).startswith(PREFIX))
            for kind in STATE_KINDS
        }

    def _create(self, operation: str, key: str, kind: str, fields: dict[str, Any]) -> None:
        spec = KINDS[kind]
        self._post(operation, key, spec.path, {spec.wrapper: fields} if spec.wrapper else fields)

    def _post(self, operation: str, key: str, path: str, body: dict[str, Any]) -> None:
        """A create; the id it answers is kept under ``key``. Not run when a value it needs was not made."""
        inner = [v for v in body.values() if isinstance(v, dict)]
        if any(value is None for part in (body, *inner) for value in part.values()):
            self._note(operation, "not run: what it needs was not made")
            return
        answer = self._ask("POST", path, body)
        if isinstance(answer, str):
            self._note(operation, answer)
            return
        if answer.status_code < 400:
            self.ids[key] = str(answer.json()["id"])
        self._note(operation, str(answer.status_code))

    def _call(self, operation: str, method: str, kind: str, key: str, body: dict[str, Any] | None = None) -> None:
        if key not in self.ids:
            self._note(operation, "not run: what it needs was not made")
            return
        path = f"/{kind}/{self.ids[key]}" if kind not in KINDS else object_path(kind, self.ids[key])
        answer = self._ask(method, path, body)
        self._note(operation, answer if isinstance(answer, str) else str(answer.status_code))

    def _read_back(self, operation: str, kind: str, key: str, attribute: str) -> None:
        if key not in self.ids:
            self._note(operation, "not run: what it needs was not made")
            return
        answer = self._ask("GET", object_path(kind, self.ids[key]))
        if isinstance(answer, str):
            self._note(operation, answer)
            return
        body = answer.json() if answer.status_code < 400 else {}
        value = body.get(attribute, body.get(_camel(attribute)))
        self._note(operation, str(answer.status_code), f"{len(value)} listed" if isinstance(value, list) else "")

    def _ask(self, method: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response | str:
        """The gateway's answer, or "no answer" and why (a dropped connection is an outcome, e.g. 1.1.0 resets it
        on an error it does not handle, and the other side may do the same)."""
        try:
            return self.api.response(method, path, json=body)
        except ApiError as error:
            return f"no answer ({str(error).rpartition(': ')[2][:60]})"

    def _note(self, operation: str, answer: str, detail: str = "") -> None:
        self.observations.append(Observation(operation, answer, detail))


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def run_workload(api: GatewayApi, mcp_url: str) -> tuple[list[Observation], dict[str, list[str]]]:
    """The script's observations and the state it leaves on the gateway ``api`` reaches."""
    workload = Workload(api, mcp_url)
    return workload.run(), workload.state()
