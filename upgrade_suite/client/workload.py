"""One script of user operations, run the same way on any gateway, recording what each answered.

Run on the upgraded database and on a fresh install of the same release holding the same objects, it catches
what the upgrade did that no schema comparison names: a create refused on one side (a unique constraint only
the upgraded database has), a delete that leaves dependants on one, a rename one side stores differently. The
script does not need to know what the release accepts: both sides get exactly the same requests, so what
differs between their answers is the database's doing. Everything it makes is named with ``PREFIX``, so the
state compared afterwards is the workload's own, whatever else the databases hold.
"""

from __future__ import annotations

from typing import Any

from upgrade_suite.client.api import KINDS, GatewayApi
from upgrade_suite.client.asking import Asker, Observation

#: The names of everything the workload makes (and the state it compares) start with this.
PREFIX = "wl"
#: The kinds whose objects the workload makes, and whose names it reads back at the end.
STATE_KINDS = ("teams", "tools", "resources", "prompts", "servers", "gateways")
#: The ordinary user the workload creates, adds to a team, logs in as and deletes (a password every release's
#: policy accepts: long, mixed case, a digit and a symbol).
USER = {"email": f"{PREFIX}-user@example.com", "password": "Wl-Upgrade-Passw0rd!", "full_name": "Workload User"}


class Workload(Asker):
    """The script, run against one gateway (``api``); ``mcp_url``: an MCP server it can federate."""

    def __init__(self, api: GatewayApi, mcp_url: str) -> None:
        super().__init__(api)
        self.mcp_url = mcp_url

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
        self._roles()
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

    def _roles(self) -> None:
        """A role, a second one inheriting it, assigned to the user, and a tool the user makes in their personal
        team: the rows whose foreign keys to roles and to the user's personal team the deletions later meet."""
        role: dict[str, Any] = {"description": "workload", "scope": "global"}
        self._post(
            "create a role", "role", "/rbac/roles", {"name": f"{PREFIX}-role", **role, "permissions": ["tools.read"]}
        )
        child = {"name": f"{PREFIX}-role-child", **role, "permissions": [], "inherits_from": self.ids.get("role")}
        self._post("create a role inheriting it", "role_child", "/rbac/roles", child)
        self._post(
            "assign the inheriting role to the user",
            "assignment",
            None if "user" not in self.ids else f"/rbac/users/{self.ids['user']}/roles",
            {"role_id": self.ids.get("role_child"), "scope": "global"},
        )
        tool = {"url": "http://127.0.0.1:9/wl-user", "integration_type": "REST", "request_type": "GET"}
        self._post(
            "the user creates a private tool",
            "user_tool",
            KINDS["tools"].path,
            {"tool": {"name": f"{PREFIX}_user_tool", **tool, "visibility": "private"}},
            bearer="user_session",
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
        self._call("delete the inherited role", "DELETE", "rbac/roles", "role")
        self._read_back(
            "the inheriting role after the role it inherits was deleted", "rbac/roles", "role_child", "inherits_from"
        )
        self._read_back_list("the user's roles after the inherited role was deleted", "user", "/rbac/users/{}/roles")
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


def run_workload(api: GatewayApi, mcp_url: str) -> tuple[list[Observation], dict[str, list[str]]]:
    """The script's observations and the state it leaves on the gateway ``api`` reaches."""
    workload = Workload(api, mcp_url)
    return workload.run(), workload.state()
