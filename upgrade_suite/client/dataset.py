"""Representative data, made through the gateway's own API as a user would make it.

Every entity type the older release has, with the relations between them: a federated gateway
(the suite's MCP server, so tools are discovered), teams, REST tools (one owned by a team),
resources, prompts, and a virtual server bundling tools, resources and prompts.
"""

from __future__ import annotations

import hashlib
import inspect
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from upgrade_suite.base.probe_runner import Timeout, run_probe
from upgrade_suite.client.api import GatewayApi
from upgrade_suite.client.auth import AuthObservation, Credentials, enrol
from upgrade_suite.probes import PROBES
from upgrade_suite.releases.specs import Release

_POPULATE = PROBES / "populate.py"

FIXTURE_GATEWAY = "upgrade-fixture"


@dataclass(frozen=True)
class Dataset:
    """How much of each kind to create; its fingerprint keys any cached copy of the seeded data."""

    teams: int = 2
    tools: int = 3
    resources: int = 2
    prompts: int = 2
    accounts: bool = False  # also what users hold: passwords, API tokens, JWTs, a team membership (auth.enrol)

    @property
    def fingerprint(self) -> str:
        """Changes when the definition or the seeding code changes (a cached seed is then stale)."""
        material = json.dumps(asdict(self), sort_keys=True) + inspect.getsource(seed) + inspect.getsource(enrol)
        return hashlib.sha256(material.encode()).hexdigest()[:16]


@dataclass
class SeedManifest:
    """What was created: ids per kind, the tool names a user must find on the JSON-RPC API, and the
    credentials users hold with what the release answered to them (``Dataset.accounts``)."""

    ids: dict[str, list[str]] = field(default_factory=dict)
    tool_names: list[str] = field(default_factory=list)
    credentials: Credentials | None = None
    credentials_answered: AuthObservation | None = None

    def add(self, kind: str, created: dict[str, Any]) -> dict[str, Any]:
        self.ids.setdefault(kind, []).append(str(created["id"]))
        return created

    @property
    def counts(self) -> dict[str, int]:
        return {kind: len(ids) for kind, ids in self.ids.items()}


def seed(api: GatewayApi, mcp_server_url: str, dataset: Dataset, admin_password: str) -> SeedManifest:
    """Create the dataset on a running gateway as its admin (bootstrap password ``admin_password``); every call must
    succeed."""
    manifest = SeedManifest()
    gateway = manifest.add(
        "gateways",
        api.create(
            "gateways",
            {
                "name": FIXTURE_GATEWAY,
                "url": mcp_server_url,
                "transport": "STREAMABLEHTTP",
                "description": "suite MCP server",
            },
        ),
    )
    teams = [
        manifest.add(
            "teams",
            api.create(
                "teams",
                {
                    "name": f"upgrade-team-{i}",
                    "description": f"team {i}",
                    "visibility": "private" if i % 2 else "public",
                },
            ),
        )
        for i in range(1, dataset.teams + 1)
    ]
    for i in range(1, dataset.tools + 1):
        tool = {
            "name": f"upgrade_tool_{i}",
            "url": f"http://127.0.0.1:9/tools/{i}",
            "description": f"REST tool {i}",
            "integration_type": "REST",
            "request_type": "GET",
        }
        if teams and i == 1:
            tool |= {"team_id": teams[0]["id"], "visibility": "team"}
        manifest.add("tools", api.create("tools", tool))
    for i in range(1, dataset.resources + 1):
        manifest.add(
            "resources",
            api.create(
                "resources",
                {
                    "uri": f"upgrade://docs/{i}",
                    "name": f"upgrade_doc_{i}",
                    "content": f"document {i}",
                    "mime_type": "text/plain",
                },
            ),
        )
    for i in range(1, dataset.prompts + 1):
        prompt = {
            "name": f"upgrade_prompt_{i}",
            "description": f"prompt {i}",
            "template": f"Hello {{{{ name }}}} from prompt {i}",
            "arguments": [{"name": "name", "required": True}],
        }
        manifest.add("prompts", api.create("prompts", prompt))
    # The REST tools made here and those discovered from the MCP server (not other rows the
    # database may hold, e.g. a populated one).
    tools = [
        t for t in api.list("tools") if t["id"] in manifest.ids.get("tools", []) or t.get("gatewayId") == gateway["id"]
    ]
    manifest.tool_names = sorted(tool["name"] for tool in tools)
    manifest.add(
        "servers",
        api.create(
            "servers",
            {
                "name": "upgrade-bundle",
                "description": "virtual server bundling every tool, resource and prompt",
                "associated_tools": [tool["id"] for tool in tools],
                "associated_resources": manifest.ids.get("resources", []),
                "associated_prompts": manifest.ids.get("prompts", []),
            },
        ),
    )
    if dataset.accounts:
        admin = api.request("GET", "/auth/email/me")["email"]
        assert api.token is not None  # an anonymous client was refused /auth/email/me just above
        manifest.credentials, manifest.credentials_answered = enrol(api, admin, admin_password, api.token)
    return manifest


def create_marked(api: GatewayApi, mark: str) -> dict[str, list[str]]:
    """One object of each simple kind, named after ``mark`` (e.g. objects made while GA ran)."""
    slug = mark.lower().replace(" ", "-")
    made = {
        "teams": api.create("teams", {"name": f"{slug}-team", "description": mark, "visibility": "private"}),
        "tools": api.create(
            "tools",
            {
                "name": f"{slug.replace('-', '_')}_tool",
                "url": "http://127.0.0.1:9/marked",
                "integration_type": "REST",
                "request_type": "GET",
            },
        ),
        "resources": api.create(
            "resources",
            {"uri": f"upgrade://{slug}/doc", "name": f"{slug}-doc", "content": mark, "mime_type": "text/plain"},
        ),
        "prompts": api.create(
            "prompts",
            {
                "name": f"{slug.replace('-', '_')}_prompt",
                "template": f"{mark}: {{{{ name }}}}",
                "arguments": [{"name": "name", "required": True}],
            },
        ),
    }
    return {kind: [str(created["id"])] for kind, created in made.items()}


def populate(
    release: Release, environment: dict[str, str], workdir: Path, scale: int, timeout: float, profile: str = "fixture"
) -> dict[str, Any]:
    """Fill a migrated database with ~``scale`` rows of every kind, through the release's own models; ``profile``:
    how they are spread (``fixture``: every kind well represented; ``production``: mostly metrics and audit rows).

    Returns the probe's report: rows per table, kinds the release lacks, seconds.
    """
    out = workdir / "populate.json"
    run_probe(
        f"populating at scale {scale}",
        release.spec.label,
        release.python,
        _POPULATE,
        [str(scale), str(out), profile],
        environment=environment,
        cwd=workdir,
        timeout=Timeout(timeout, "migration_timeout"),
    ).require(produced=out)
    return json.loads(out.read_text())
