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

from upgrade_suite.client.api import GatewayApi
from upgrade_suite.client.asking import Looker, Observation
from upgrade_suite.client.people import PREFIX, People

#: Just over the length older releases gave names (255) and URLs (767) in their schemas.
LONG_NAME, LONG_URL = 256, 800
#: The length older releases gave a choice column (an integration, request or transport type): VARCHAR(20).
WIDE_CHOICE = 20
#: How much of a name the end state shows.
SHOWN_NAME = 40
#: The tag the first tool, server and gateway carry, and the lists filtered by it: on PostgreSQL a fresh 1.1.0 keeps
#: tags as JSONB and an upgraded database as JSON, and the release filters them with JSONB's containment.
TAG = f"{PREFIX}-tag"
#: The kinds whose objects the workload makes, and whose names it reads back at the end.
STATE_KINDS = ("teams", "tools", "resources", "prompts", "servers", "gateways")


class Workload(People):
    """The script, run against one gateway (``api``); ``mcp_url``: an MCP server it can federate."""

    def __init__(self, api: GatewayApi, mcp_url: str, look: Looker | None = None) -> None:
        super().__init__(api, look)
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
            {"name": f"{PREFIX}_tool", **tool, "team_id": self.ids.get("team_a"), "visibility": "team", "tags": [TAG]},
        )
        self._read("list the tools tagged as the tool is", "tool", lambda _: f"/tools?tags={TAG}", _listed)
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
        self._create(
            "create a prompt without a template",
            "prompt_bare",
            "prompts",
            {"name": f"{PREFIX}_prompt_bare", "arguments": []},
        )
        bundle = {
            "associated_tools": [self.ids[k] for k in ("tool",) if k in self.ids],
            "associated_resources": [self.ids[k] for k in ("resource",) if k in self.ids],
            "associated_prompts": [self.ids[k] for k in ("prompt",) if k in self.ids],
        }
        self._create(
            "create a server bundling them", "server", "servers", {"name": f"{PREFIX}-server", **bundle, "tags": [TAG]}
        )
        self._read("list the servers tagged as the server is", "server", lambda _: f"/servers?tags={TAG}", _listed)
        self._create("create a server of the same name", "server_again", "servers", {"name": f"{PREFIX}-server"})
        gateway = {"url": self.mcp_url, "transport": "STREAMABLEHTTP"}
        self._create(
            "register a federated gateway",
            "gateway",
            "gateways",
            {"name": f"{PREFIX}-gateway", **gateway, "tags": [TAG]},
        )
        self._read_back("the federated gateway's tags", "gateways", "gateway", "tags")
        self._create(
            "register a second gateway of the same name", "gateway_again", "gateways", {"name": f"{PREFIX}-gateway"}
        )
        # an endpoint without a path: 1.1.0 refuses a generated UAID whose endpoint has one
        agent = {"name": f"{PREFIX}-agent", "endpoint_url": "http://127.0.0.1:9", "generate_uaid": True}
        for key, team, operation in (
            ("agent_a", "team_a", "register an A2A agent with a generated UAID in a team"),
            ("agent_b", "team_b", "register the same agent (so the same UAID) in another team"),
        ):
            self._post(operation, key, "/a2a", {"agent": agent, "team_id": self.ids.get(team), "visibility": "team"})
        self._people_and_tokens()
        self._roles()
        self._second_administrator()
        self._personal_team(gateway)
        self._join_requests()
        self._inviter()
        self._single_sign_on()
        self._same_name_in_a_team(gateway)
        self._long_values(gateway)
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

    def _same_name_in_a_team(self, gateway: dict[str, str]) -> None:
        """Two servers, then two gateways, of one name in one team: what a unique (team, owner, name) refuses; and
        one of each named (and a gateway at a URL) as in another team: what a unique over all teams refuses."""
        in_team = {"team_id": self.ids.get("team_b"), "visibility": "team"}
        elsewhere = {"team_id": self.ids.get("team_a"), "visibility": "team"}
        for key, operation, where in (
            ("server_team", "create a server in a team", in_team),
            ("server_team_again", "create a server of the same name in the same team", in_team),
            ("server_elsewhere", "create a server of the same name in another team", elsewhere),
        ):
            self._create(operation, key, "servers", {"name": f"{PREFIX}-team-server", **where})
        federated = {**gateway, "url": f"{gateway['url']}?team=b"}
        for key, operation, fields in (
            ("gateway_team", "register a gateway in a team", {**federated, **in_team}),
            (
                "gateway_team_again",
                "register a second gateway of the same name in the same team",
                {**federated, **in_team},
            ),
            (
                "gateway_elsewhere",
                "register a gateway of the same name in another team",
                {**federated, "url": f"{gateway['url']}?team=a", **elsewhere},
            ),
        ):
            self._create(operation, key, "gateways", {"name": f"{PREFIX}-team-gateway", **fields})
        self._create(
            "register a gateway at the same URL in another team",
            "gateway_same_url",
            "gateways",
            {"name": f"{PREFIX}-gateway-same-url", **federated, **elsewhere},
        )

    def _long_values(self, gateway: dict[str, str]) -> None:
        """Names, URLs and choices just over the lengths an upgraded database may keep from older releases (255 for a
        name, 767 for a URL, 20 for a type or an auth type): refused by the database on one side only, unless the
        release refuses them itself first."""
        tool = {"integration_type": "REST", "request_type": "GET"}
        name = f"{PREFIX}_" + "n" * (LONG_NAME - len(PREFIX) - 1)
        for key, operation, kind, fields in (
            (
                "long_tool",
                "create a tool with a 256-character name",
                "tools",
                {"name": name, "url": "http://127.0.0.1:9/wl", **tool},
            ),
            (
                "long_url_tool",
                "create a tool with an 800-character URL",
                "tools",
                {"name": f"{PREFIX}_long_url", "url": _long_url("http://127.0.0.1:9/"), **tool},
            ),
            ("long_server", "create a server with a 256-character name", "servers", {"name": name.replace("_", "-")}),
            (
                "long_icon_server",
                "create a server with an 800-character icon URL",
                "servers",
                {"name": f"{PREFIX}-long-icon", "icon": _long_url("http://127.0.0.1:9/", ".png")},
            ),
            (
                "long_gateway",
                "register a gateway with a 256-character name",
                "gateways",
                {**gateway, "url": f"{gateway['url']}?long=name", "name": name.replace("_", "-")},
            ),
            (
                "long_url_gateway",
                "register a gateway at an 800-character URL",
                "gateways",
                {**gateway, "url": _long_url(f"{gateway['url']}?pad="), "name": f"{PREFIX}-long-url"},
            ),
        ):
            self._create(operation, key, kind, fields)
        wide = "X" * (WIDE_CHOICE + 1)
        for key, operation, kind, fields in (
            (
                "wide_integration",
                "create a tool with a 21-character integration type",
                "tools",
                {**tool, "integration_type": wide},
            ),
            ("wide_request", "create a tool with a 21-character request type", "tools", {**tool, "request_type": wide}),
        ):
            self._create(operation, key, kind, {"name": f"{PREFIX}_{key}", "url": "http://127.0.0.1:9/wl", **fields})
        self._create(
            "create a tool with a 21-character auth type",
            "wide_tool_auth",
            "tools",
            {"name": f"{PREFIX}_wide_auth", "url": "http://127.0.0.1:9/wl", **tool, "auth": {"auth_type": wide}},
        )
        self._create(
            "register a gateway with a 21-character auth type",
            "wide_gateway_auth",
            "gateways",
            {**gateway, "url": f"{gateway['url']}?wide=auth", "name": f"{PREFIX}-wide-auth", "auth_type": wide},
        )
        agent = {"name": f"{PREFIX}-wide-auth-agent", "endpoint_url": "http://127.0.0.1:9/wl-wide", "auth_type": wide}
        self._post("register an A2A agent with a 21-character auth type", "wide_agent_auth", "/a2a", {"agent": agent})
        self._create(
            "register a gateway with a 21-character transport",
            "wide_transport",
            "gateways",
            {
                **gateway,
                "url": f"{gateway['url']}?wide=transport",
                "name": f"{PREFIX}-wide-transport",
                "transport": wide,
            },
        )

    def state(self) -> dict[str, list[str]]:
        """The names of the workload's objects each kind lists afterwards (a long one by its start and length)."""
        return {
            kind: sorted(
                _shown(str(o.get("name"))) for o in self.api.list(kind) if str(o.get("name", "")).startswith(PREFIX)
            )
            for kind in STATE_KINDS
        }


def _long_url(start: str, end: str = "") -> str:
    """A URL of exactly ``LONG_URL`` characters: ``start``, padding, ``end``."""
    return start + "p" * (LONG_URL - len(start) - len(end)) + end


def _listed(body: Any) -> str:
    """How many of the workload's objects a list answers (a bare list, or a page's ``items``)."""
    items = body.get("items", []) if isinstance(body, dict) else body
    return f"{sum(str(item.get('name', '')).startswith(PREFIX) for item in items)} of the workload's listed"


def _shown(name: str) -> str:
    return name if len(name) <= SHOWN_NAME else f"{name[:SHOWN_NAME]}... ({len(name)} characters)"


def run_workload(api: GatewayApi, mcp_url: str, look: Looker | None = None) -> Workload:
    """The script, run on the gateway ``api`` reaches (``look`` reads its database): its observations, the state it
    left and what it deleted."""
    workload = Workload(api, mcp_url, look)
    workload.run()
    return workload
