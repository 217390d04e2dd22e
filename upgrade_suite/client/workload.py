"""One script of user operations, run the same way on any gateway, recording what each answered.

Run on the upgraded database and on a fresh install of the same release holding the same objects, it catches
what the upgrade did that no schema comparison names: a create refused on one side (a unique constraint only
the upgraded database has), a delete that leaves dependants on one, a rename one side stores differently. The
script does not need to know what the release accepts: both sides get exactly the same requests, so what
differs between their answers is the database's doing. Everything it makes is named with ``PREFIX``, so the
state compared afterwards is the workload's own, whatever else the databases hold.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from upgrade_suite.client.api import KINDS, ApiError, GatewayApi, object_path

#: The names of everything the workload makes (and the state it compares) start with this.
PREFIX = "wl"
#: The kinds whose objects the workload makes, and whose names it reads back at the end.
STATE_KINDS = ("teams", "tools", "resources", "prompts", "servers", "gateways")
#: Each operation on a connection of its own: after an error 1.1.0 may close a kept-alive connection, and the next
#: operation sent on it would be reset for the previous one's sake (seen on PostgreSQL: "create a user" reset right
#: after an A2A registration answered 500), a difference of timing, not of the databases.
ONE_REQUEST = {"Connection": "close"}
#: How much of a refusal's body the evidence shows.
REFUSAL_SHOWN = 160
#: The ordinary user the workload creates, adds to a team, logs in as and deletes (a password every release's
#: policy accepts: long, mixed case, a digit and a symbol).
USER = {"email": f"{PREFIX}-user@example.com", "password": "Wl-Upgrade-Passw0rd!", "full_name": "Workload User"}


@dataclass(frozen=True)
class Observation:
    """One operation and the gateway's answer: its HTTP status, or why it was not run (an earlier step failed)."""

    operation: str
    answer: str
    detail: str = ""
    #: What a refusal said (its body's start): evidence for a person, never compared (it may name ids).
    said: str = ""

    def render(self) -> str:
        return self.answer + (f" ({self.detail})" if self.detail else "") + (f" {self.said!r}" if self.said else "")


@dataclass
class Workload:
    """The script, run against one gateway (``api``); ``mcp_url``: an MCP server it can federate."""

    api: GatewayApi
    mcp_url: str
    observations: list[Observation] = field(default_factory=list)
    ids: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)  # bearer tokens the workload was given, by key

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
        self._people_and_tokens()
        self._same_name_in_a_team(gateway)
        self._call("delete the tool the server bundles", "DELETE", "tools", "tool")
        self._read_back("the server's tools after its tool was deleted", "servers", "server", "associated_tools")
        self._call("delete a team that shares a tool", "DELETE", "teams", "team_a")
        self._call("delete the federated gateway", "DELETE", "gateways", "gateway")
        for kind, key in (("servers", "server"), ("resources", "resource"), ("prompts", "prompt")):
            self._call(f"delete the {key}", "DELETE", kind, key)
        self._read_back("the server-scoped token after its server was deleted", "tokens", "token_server", "server_id")
        self._deletions_of_people()
        for key in ("agent_a", "agent_b"):
            self._call(f"delete A2A agent {key[-1].upper()}", "DELETE", "a2a", key)
        return self.observations

    def _people_and_tokens(self) -> None:
        """A user in the public team, an invitation, and API tokens of a user, a server and a team: the rows whose
        foreign keys to users, teams and servers a deletion later meets."""
        self._post("create a user", "user", "/auth/email/admin/users", USER, keep=lambda body: str(body["email"]))
        member = {"email": USER["email"], "role": "member"}
        self._post("add the user to the public team", "member", self._in_team("team_b", "/teams/{}/members"), member)
        invitee = {"email": f"{PREFIX}-invitee@example.com", "role": "member"}
        self._post(
            "invite an address to the public team",
            "invitation",
            self._in_team("team_b", "/teams/{}/invitations"),
            invitee,
        )
        login = {"email": USER["email"], "password": USER["password"]}
        self._post("log in as the user", "user_session", "/auth/email/login", login, keep=self._secret("user_session"))
        self._post(
            "the user creates an API token",
            "user_token",
            "/tokens",
            {"name": f"{PREFIX}-user-token", "expires_in_days": 30},
            keep=self._secret("user_token"),
            bearer="user_session",
        )
        self._get_as("the user's API token lists the tools", "/tools", "user_token")
        scope = {"server_id": self.ids.get("server")}
        self._post(
            "create an API token scoped to the server",
            "token_server",
            "/tokens",
            {"name": f"{PREFIX}-server-token", "expires_in_days": 30, "scope": scope},
            keep=self._secret("token_server"),
        )
        self._post(
            "create an API token of the public team",
            "token_team",
            self._in_team("team_b", "/tokens/teams/{}"),
            {"name": f"{PREFIX}-team-token", "expires_in_days": 30},
            keep=self._secret("token_team"),
        )

    def _same_name_in_a_team(self, gateway: dict[str, str]) -> None:
        """Two servers, then two gateways, of one name in one team: what a unique (team, owner, name) refuses."""
        in_team = {"team_id": self.ids.get("team_b"), "visibility": "team"}
        for key, operation in (
            ("server_team", "create a server in a team"),
            ("server_team_again", "create a server of the same name in the same team"),
        ):
            self._create(operation, key, "servers", {"name": f"{PREFIX}-team-server", **in_team})
        federated = {**gateway, "url": f"{gateway['url']}?team=b"}
        for key, operation in (
            ("gateway_team", "register a gateway in a team"),
            ("gateway_team_again", "register a second gateway of the same name in the same team"),
        ):
            self._create(operation, key, "gateways", {"name": f"{PREFIX}-team-gateway", **federated, **in_team})

    def _deletions_of_people(self) -> None:
        """The member removed, the user deleted, the team deleted, and what their tokens answer afterwards."""
        if "user" in self.ids and "team_b" in self.ids:
            self.ids["team_b_member"] = f"{self.ids['team_b']}/members/{self.ids['user']}"
        self._call("remove the user from the public team", "DELETE", "teams", "team_b_member")
        self._call("delete the user", "DELETE", "auth/email/admin/users", "user")
        self._get_as("the deleted user's API token lists the tools", "/tools", "user_token")
        self._call(
            "delete the public team, holding servers, gateways, an agent, a token and an invitation",
            "DELETE",
            "teams",
            "team_b",
        )
        self._read_back("the team's token after its team was deleted", "tokens", "token_team", "team_id")

    def state(self) -> dict[str, list[str]]:
        """The names of the workload's objects each kind lists afterwards."""
        return {
            kind: sorted(str(o.get("name")) for o in self.api.list(kind) if str(o.get("name", "")).startswith(PREFIX))
            for kind in STATE_KINDS
        }

    def _create(self, operation: str, key: str, kind: str, fields: dict[str, Any]) -> None:
        spec = KINDS[kind]
        self._post(operation, key, spec.path, {spec.wrapper: fields} if spec.wrapper else fields)

    def _post(
        self,
        operation: str,
        key: str,
        path: str | None,
        body: dict[str, Any],
        keep: Callable[[dict[str, Any]], str] = lambda answered: str(answered["id"]),
        bearer: str | None = None,
    ) -> None:
        """A create; what ``keep`` reads from its answer (its id) is kept under ``key``. Not run when a value it
        needs was not made (``path`` None: the object it goes under; ``bearer``: the key of a token not given)."""
        inner = [v for v in body.values() if isinstance(v, dict)]
        if (
            path is None
            or (bearer is not None and bearer not in self.secrets)
            or any(value is None for part in (body, *inner) for value in part.values())
        ):
            self._note(operation, "not run: what it needs was not made")
            return
        answer = self._ask("POST", path, body, bearer)
        if isinstance(answer, str):
            self._note(operation, answer)
            return
        if answer.status_code < 400:
            try:
                self.ids[key] = keep(answer.json())
            except (ValueError, KeyError, TypeError, AttributeError):
                self._note(operation, str(answer.status_code), "its answer lacks what later operations need")
                return
        self._answered(operation, answer)

    def _secret(self, key: str) -> Callable[[dict[str, Any]], str]:
        """A ``keep`` for an answer carrying a bearer token: the token is kept as a secret, its object's id (a
        session has none: the token stands for it) as the id."""

        def keep(answered: dict[str, Any]) -> str:
            self.secrets[key] = str(answered["access_token"])
            return str(answered.get("token", {}).get("id", key))

        return keep

    def _in_team(self, team: str, template: str) -> str | None:
        """``template`` with the id of ``team`` in it, or None if the team was not made."""
        return template.format(self.ids[team]) if team in self.ids else None

    def _get_as(self, operation: str, path: str, bearer: str) -> None:
        """A read with one of the workload's tokens instead of the admin's."""
        if bearer not in self.secrets:
            self._note(operation, "not run: what it needs was not made")
            return
        answer = self._ask("GET", path, None, bearer)
        self._answered(operation, answer)

    def _call(self, operation: str, method: str, kind: str, key: str, body: dict[str, Any] | None = None) -> None:
        if key not in self.ids:
            self._note(operation, "not run: what it needs was not made")
            return
        path = f"/{kind}/{self.ids[key]}" if kind not in KINDS else object_path(kind, self.ids[key])
        answer = self._ask(method, path, body)
        self._answered(operation, answer)

    def _read_back(self, operation: str, kind: str, key: str, attribute: str) -> None:
        """An object read again: its status and ``attribute`` (how many a list holds; whether a value is set)."""
        if key not in self.ids:
            self._note(operation, "not run: what it needs was not made")
            return
        answer = self._ask("GET", f"/{kind}/{self.ids[key]}" if kind not in KINDS else object_path(kind, self.ids[key]))
        if isinstance(answer, str):
            self._note(operation, answer)
            return
        body = answer.json() if answer.status_code < 400 else {}
        value = body.get(attribute, body.get(_camel(attribute)))
        if isinstance(value, list):
            self._note(operation, str(answer.status_code), f"{len(value)} listed")
        else:
            self._note(
                operation, str(answer.status_code), "" if not body else f"{attribute} {'set' if value else 'empty'}"
            )

    def _ask(
        self, method: str, path: str, body: dict[str, Any] | None = None, bearer: str | None = None
    ) -> httpx.Response | str:
        """The gateway's answer (to the admin, or to the bearer of the workload's token ``bearer``), or "no answer"
        and why (a dropped connection is an outcome, e.g. 1.1.0 resets it on an error it does not handle, and the
        other side may do the same)."""
        try:
            if bearer is None:
                return self.api.response(method, path, json=body, headers=ONE_REQUEST)
            with self.api.bearer(self.secrets[bearer]) as api:
                return api.response(method, path, json=body, headers=ONE_REQUEST)
        except ApiError as error:
            return f"no answer ({str(error).rpartition(': ')[2][:60]})"

    def _note(self, operation: str, answer: str, detail: str = "") -> None:
        self.observations.append(Observation(operation, answer, detail))

    def _answered(self, operation: str, answer: httpx.Response | str) -> None:
        """The answer's status (or why none came), with what a refusal said."""
        if isinstance(answer, str):
            self._note(operation, answer)
            return
        said = answer.text[:REFUSAL_SHOWN] if answer.status_code >= 400 else ""
        self.observations.append(Observation(operation, str(answer.status_code), said=said))


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def run_workload(api: GatewayApi, mcp_url: str) -> tuple[list[Observation], dict[str, list[str]]]:
    """The script's observations and the state it leaves on the gateway ``api`` reaches."""
    workload = Workload(api, mcp_url)
    return workload.run(), workload.state()
