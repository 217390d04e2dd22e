"""Runs INSIDE a release's venv (not the suite's): seeds a migrated gateway database at scale.

Usage: ``<venv>/bin/python populate.py <scale> <output.json>`` with ``DATABASE_URL`` set.

Upgrade tests need a database that looks like one a real deployment of the *old* release left
behind, with enough rows that slow or data-dependent migrations show up. Raw SQL would drift from
what the release really writes, so every row is built with the release's own SQLAlchemy models
(``mcpgateway.db``) and flushed through its ORM: column defaults, ``before_insert`` listeners (tool
and prompt names, team and gateway slugs), tag normalisation and password hashing are the
release's own. Relations mirror the services: each user has a personal team and global role,
shared teams have owners and members (with history and team roles), gateways own federated
tools/resources/prompts, virtual servers bundle tools/resources/prompts, users hold API tokens,
and tools, servers, resources and prompts have metrics.

``scale`` is the approximate total number of rows, spread over the kinds in ``SHARES``; names are
deterministic (``bulk-tool-000123``), so equal scales give the same logical data. Everything is
inserted in one transaction, flushed in batches of ``BATCH``. A kind whose model is absent from
the release is skipped, as is a column the release lacks; both are reported under ``skipped``.

Output (JSON, to the path in argv[2]): ``{"scale", "counts": {table: rows}, "skipped": {kind:
reason}, "seconds"}``. Written to a file, not stdout, because importing the gateway logs to stdout.
"""

import hashlib
import json
import os
import sys
import time
from datetime import datetime, timedelta, timezone
from itertools import islice
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Optional, Sequence

BATCH = 1000

# Share of ``scale`` per kind. Rows the services create alongside others (a personal team, owner
# membership and roles per user, history per membership) come on top and are budgeted for here.
SHARES: dict[str, float] = {
    "users": 0.02,
    "teams": 0.005,
    "team_members": 0.025,
    "gateways": 0.005,
    "tools": 0.35,
    "tool_metrics": 0.17,
    "tool_metrics_hourly": 0.02,
    "resources": 0.04,
    "prompts": 0.04,
    "servers": 0.02,
    "server_tools": 0.06,
    "server_resources": 0.01,
    "server_prompts": 0.01,
    "api_tokens": 0.03,
    "server_metrics": 0.01,
    "resource_metrics": 0.01,
    "prompt_metrics": 0.01,
}
VISIBILITIES = ("public", "team", "private")
PASSWORD = "Bulk-Passw0rd-not-secret"
METRIC_WINDOW_MINUTES = 7 * 24 * 60


class Skip(Exception):
    """A kind cannot be seeded in this release (or without its prerequisites)."""


def chunked(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Yield lists of at most ``size`` items."""
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def spread(total: int, buckets: int) -> list[int]:
    """Split ``total`` into ``buckets`` near-equal parts."""
    base, extra = divmod(total, buckets)
    return [base + (1 if index < extra else 0) for index in range(buckets)]


def pick(items: Sequence[Any], start: int, count: int) -> list[Any]:
    """``count`` distinct items (wrapping around), beginning at ``start``."""
    count = min(count, len(items))
    return [items[(start + offset) % len(items)] for offset in range(count)]


def tool_schema(index: int) -> dict[str, Any]:
    """A plausible JSON schema for a tool's input."""
    return {
        "type": "object",
        "properties": {
            "query": {"type": "string", "description": f"Query for bulk tool {index}"},
            "limit": {"type": "integer", "minimum": 1, "maximum": 100 + index % 900},
        },
        "required": ["query"],
    }


def metric_fields(index: int, now: datetime) -> dict[str, Any]:
    """Deterministic invocation outcome: ~10% failures, timestamps over the last week."""
    failed = index % 10 == 0
    return {
        "timestamp": now - timedelta(minutes=(index * 7) % METRIC_WINDOW_MINUTES),
        "response_time": 0.02 + (index % 97) / 50,
        "is_success": not failed,
        "error_message": "bulk: simulated upstream timeout" if failed else None,
    }


class Seeder:
    """Creates the bulk data through the release's models inside one session."""

    def __init__(self, scale: int) -> None:
        # Imported here so a usage error does not pay for (or log) the gateway import.
        from mcpgateway import db  # pylint: disable=import-outside-toplevel
        from mcpgateway.config import settings  # pylint: disable=import-outside-toplevel
        from mcpgateway.services.argon2_service import hash_password  # pylint: disable=import-outside-toplevel
        from mcpgateway.validation.tags import TagValidator  # pylint: disable=import-outside-toplevel

        self.db = db
        self.settings = settings
        self.tags: Callable[[list[str]], list[Any]] = TagValidator.validate_list
        self.password_hash = hash_password(PASSWORD)
        self.session = db.SessionLocal(expire_on_commit=False)
        self.scale = scale
        self.now = datetime.now(timezone.utc)
        self.counts: dict[str, int] = {}
        self.skipped: dict[str, str] = {}
        self._attributes: dict[type, set[str]] = {}
        self.users: list[Any] = []
        self.personal_teams: dict[str, Any] = {}
        self.shared_teams: list[Any] = []
        self.memberships: list[Any] = []
        self.gateways: list[Any] = []
        self.tools: list[Any] = []
        self.resources: list[Any] = []
        self.prompts: list[Any] = []
        self.servers: list[Any] = []

    # -- helpers ------------------------------------------------------------------------------

    def share(self, kind: str) -> int:
        """Row budget of a kind at this scale (at least one)."""
        return max(1, round(self.scale * SHARES[kind]))

    def model(self, name: str) -> Any:
        """A model class of the release, or ``Skip`` if the release does not have it."""
        found = getattr(self.db, name, None)
        if found is None:
            raise Skip(f"mcpgateway.db has no {name}")
        return found

    def make(self, model: Any, **fields: Any) -> Any:
        """Instantiate ``model`` with the fields it knows; report the ones this release lacks."""
        if model not in self._attributes:
            from sqlalchemy import inspect  # pylint: disable=import-outside-toplevel

            self._attributes[model] = set(inspect(model).all_orm_descriptors.keys())
        known = self._attributes[model]
        for name in fields.keys() - known:
            self.skipped[f"{model.__tablename__}.{name}"] = "column absent in this release"
        return model(**{name: value for name, value in fields.items() if name in known})

    def insert(self, rows: Iterable[Any]) -> list[Any]:
        """Add rows in flushed batches and count them per table."""
        stored: list[Any] = []
        for batch in chunked(rows, BATCH):
            self.session.add_all(batch)
            self.session.flush()
            stored.extend(batch)
        for row in stored:
            table = row.__tablename__
            self.counts[table] = self.counts.get(table, 0) + 1
        return stored

    def count_links(self, model: Any, relation: str, owners: Sequence[Any]) -> None:
        """Count association rows created through a many-to-many relationship."""
        table = getattr(model, relation).property.secondary.name
        self.counts[table] = self.counts.get(table, 0) + sum(len(getattr(owner, relation)) for owner in owners)

    def require(self, items: Sequence[Any], what: str) -> None:
        """``Skip`` when a prerequisite kind produced nothing."""
        if not items:
            raise Skip(f"no {what} to attach to")

    def scoping(self, index: int) -> dict[str, Any]:
        """Team, owner and visibility of the ``index``-th team-scoped item."""
        team = self.shared_teams[index % len(self.shared_teams)]
        return {"team_id": team.id, "owner_email": team.created_by, "visibility": VISIBILITIES[index % len(VISIBILITIES)]}

    # -- kinds --------------------------------------------------------------------------------

    def seed_users(self) -> None:
        """Local users, as the email auth service registers them."""
        user = self.model("EmailUser")
        self.users = self.insert(
            self.make(
                user,
                email=f"bulk-user-{index:06d}@example.com",
                password_hash=self.password_hash,
                full_name=f"Bulk User {index:06d}",
                is_admin=False,
                auth_provider="local",
            )
            for index in range(self.share("users"))
        )

    def seed_teams(self) -> None:
        """A personal team per user (as the personal team service does) plus shared teams."""
        self.require(self.users, "users")
        team = self.model("EmailTeam")
        personal = self.insert(
            self.make(
                team,
                name=f"{user.full_name}'s Team",
                slug="personal-" + user.email.replace("@", "-").replace(".", "-").lower(),
                description=f"Personal workspace for {user.email}",
                created_by=user.email,
                is_personal=True,
                visibility="private",
                is_active=True,
            )
            for user in self.users
        )
        self.personal_teams = {row.created_by: row for row in personal}
        self.shared_teams = self.insert(
            self.make(
                team,
                name=f"bulk-team-{index:06d}",
                description=f"Shared bulk team {index}",
                created_by=self.users[index % len(self.users)].email,
                is_personal=False,
                visibility=("public", "private")[index % 2],
                is_active=True,
            )
            for index in range(self.share("teams"))
        )

    def membership_plan(self) -> list[tuple[Any, str, str, Optional[str]]]:
        """(team, user email, role, invited by): owners first, then members round-robin."""
        plan = [(team, team.created_by, "owner", None) for team in self.personal_teams.values()]
        plan += [(team, team.created_by, "owner", None) for team in self.shared_teams]
        wanted = len(plan) + self.share("team_members")
        emails = [user.email for user in self.users]
        # Member j of shared team t is user (t + j): distinct from the owner (user t) for j >= 1.
        for step in range(1, len(emails)):
            for number, team in enumerate(self.shared_teams):
                if len(plan) >= wanted:
                    return plan
                plan.append((team, emails[(number + step) % len(emails)], "member", team.created_by))
        return plan

    def seed_team_members(self) -> None:
        """Memberships of personal and shared teams."""
        self.require(self.shared_teams, "teams")
        member = self.model("EmailTeamMember")
        self.memberships = self.insert(
            self.make(member, team_id=team.id, user_email=email, role=role, invited_by=inviter, joined_at=self.now, is_active=True)
            for team, email, role, inviter in self.membership_plan()
        )

    def seed_team_member_history(self) -> None:
        """The "added" history entry the team services write for every membership."""
        self.require(self.memberships, "team members")
        history = self.model("EmailTeamMemberHistory")
        self.insert(
            self.make(
                history,
                team_member_id=row.id,
                team_id=row.team_id,
                user_email=row.user_email,
                role=row.role,
                action="added",
                action_by=row.invited_by or row.user_email,
                action_timestamp=self.now,
            )
            for row in self.memberships
        )

    def role_id(self, setting: str, scope: str) -> str:
        """Id of the seeded RBAC role a release setting names."""
        name = getattr(self.settings, setting, None)
        if name is None:
            raise Skip(f"release has no {setting} setting (assigns no roles on creation)")
        role = self.model("Role")
        found = self.session.query(role).filter(role.name == name, role.scope == scope).first()
        if found is None:
            raise Skip(f"role {name!r} ({scope}) not seeded in the database")
        return found.id

    def seed_user_roles(self) -> None:
        """Global default role per user and a team role per membership, as the services assign."""
        self.require(self.memberships, "team members")
        user_role = self.model("UserRole")
        global_role = self.role_id("default_user_role", "global")
        team_roles = {"owner": self.role_id("default_team_owner_role", "team"), "member": self.role_id("default_team_member_role", "team")}
        grants = [(user.email, global_role, "global", None, user.email) for user in self.users]
        grants += [(row.user_email, team_roles[row.role], "team", row.team_id, row.invited_by or row.user_email) for row in self.memberships]
        self.insert(
            self.make(user_role, user_email=email, role_id=role, scope=scope, scope_id=scope_id, granted_by=granter, is_active=True)
            for email, role, scope, scope_id, granter in grants
        )

    def seed_gateways(self) -> None:
        """Federated peer gateways."""
        self.require(self.shared_teams, "teams")
        gateway = self.model("Gateway")
        rows = []
        for index in range(self.share("gateways")):
            scope = self.scoping(index)
            rows.append(
                self.make(
                    gateway,
                    name=f"bulk-gateway-{index:06d}",
                    url=f"http://bulk-gateway-{index:06d}.example.com:9000/mcp",
                    description=f"Federated bulk peer {index}",
                    transport=("SSE", "STREAMABLEHTTP")[index % 2],
                    capabilities={"tools": {"listChanged": True}, "resources": {"subscribe": False}, "prompts": {}},
                    tags=self.tags(["bulk", "federated"]),
                    enabled=True,
                    reachable=True,
                    last_seen=self.now,
                    created_by=scope["owner_email"],
                    created_via="api",
                    **scope,
                )
            )
        self.gateways = self.insert(rows)

    def federation(self, index: int, every: int, of: int) -> Optional[Any]:
        """The gateway owning the ``index``-th item, for ``every`` out of ``of`` items."""
        if not self.gateways or index % of >= every:
            return None
        return self.gateways[index % len(self.gateways)]

    def origin(self, index: int, gateway: Optional[Any]) -> dict[str, Any]:
        """Scoping and audit fields: inherited from the gateway for federated items."""
        if gateway is None:
            scope = self.scoping(index)
            return {**scope, "created_by": scope["owner_email"], "created_via": "api"}
        return {
            "gateway": gateway,
            "team_id": gateway.team_id,
            "owner_email": gateway.owner_email,
            "visibility": gateway.visibility,
            "created_by": gateway.owner_email,
            "created_via": "federation",
            "federation_source": gateway.name,
        }

    def tool(self, index: int) -> Any:
        """A federated MCP tool (2 in 5) or a local REST tool."""
        gateway = self.federation(index, 2, 5)
        name = f"bulk-tool-{index:06d}"
        description = f"Bulk tool {index}: looks things up"
        if gateway is None:
            kind = {"integration_type": "REST", "request_type": ("GET", "POST")[index % 2], "url": f"http://bulk-api.example.com/tools/{index:06d}"}
        else:
            kind = {"integration_type": "MCP", "request_type": gateway.transport, "url": gateway.url}
        return self.make(
            self.model("Tool"),
            original_name=name,
            description=description,
            original_description=description,
            input_schema=tool_schema(index),
            annotations={"readOnlyHint": index % 2 == 0},
            tags=self.tags(["bulk", f"group-{index % 10}"]),
            version=1,
            **kind,
            **self.origin(index, gateway),
        )

    def seed_tools(self) -> None:
        """Tools; the release's listener derives custom/display/slugged names."""
        self.require(self.shared_teams, "teams")
        self.tools = self.insert(self.tool(index) for index in range(self.share("tools")))

    def seed_resources(self) -> None:
        """Text resources, one in four federated."""
        self.require(self.shared_teams, "teams")
        resource = self.model("Resource")
        rows = []
        for index in range(self.share("resources")):
            text = f"Bulk resource {index} content. " * (1 + index % 5)
            rows.append(
                self.make(
                    resource,
                    uri=f"bulk://resources/{index:06d}",
                    name=f"bulk-resource-{index:06d}",
                    description=f"Bulk resource {index}",
                    mime_type="text/plain",
                    text_content=text,
                    size=len(text),
                    tags=self.tags(["bulk"]),
                    version=1,
                    **self.origin(index, self.federation(index, 1, 4)),
                )
            )
        self.resources = self.insert(rows)

    def seed_prompts(self) -> None:
        """Prompt templates, one in four federated; the listener derives the name columns."""
        self.require(self.shared_teams, "teams")
        prompt = self.model("Prompt")
        schema = {"type": "object", "properties": {"topic": {"type": "string"}, "audience": {"type": "string"}}, "required": ["topic"]}
        self.prompts = self.insert(
            self.make(
                prompt,
                name=f"bulk-prompt-{index:06d}",
                original_name=f"bulk-prompt-{index:06d}",
                description=f"Bulk prompt {index}",
                template="Summarise {{ topic }} for {{ audience }}.",
                argument_schema=schema,
                tags=self.tags(["bulk"]),
                version=1,
                **self.origin(index, self.federation(index, 1, 4)),
            )
            for index in range(self.share("prompts"))
        )

    def seed_servers(self) -> None:
        """Virtual servers bundling tools, resources and prompts (association rows)."""
        self.require(self.tools, "tools")
        server = self.model("Server")
        count = self.share("servers")
        bundles = {
            "tools": (self.tools, spread(self.share("server_tools"), count)),
            "resources": (self.resources, spread(self.share("server_resources"), count)),
            "prompts": (self.prompts, spread(self.share("server_prompts"), count)),
        }
        rows = []
        for index in range(count):
            members = {relation: pick(items, index * sizes[index], sizes[index]) if items else [] for relation, (items, sizes) in bundles.items()}
            scope = self.scoping(index)
            rows.append(
                self.make(
                    server,
                    name=f"bulk-server-{index:06d}",
                    description=f"Bulk virtual server {index}",
                    enabled=True,
                    tags=self.tags(["bulk"]),
                    created_by=scope["owner_email"],
                    created_via="api",
                    version=1,
                    **scope,
                    **members,
                )
            )
        self.servers = self.insert(rows)
        for relation in bundles:
            self.count_links(server, relation, self.servers)

    def seed_api_tokens(self) -> None:
        """API tokens: personal-team or unscoped, some limited to one server, some revoked."""
        self.require(self.users, "users")
        token = self.model("EmailApiToken")
        rows = []
        for index in range(self.share("api_tokens")):
            user = self.users[index % len(self.users)]
            name = f"bulk-token-{index:06d}"
            team = self.personal_teams.get(user.email) if index % 3 else None
            server = self.servers[index % len(self.servers)] if self.servers and index % 4 == 0 else None
            rows.append(
                self.make(
                    token,
                    user_email=user.email,
                    team_id=team.id if team else None,
                    name=name,
                    token_hash=hashlib.sha256(name.encode()).hexdigest(),
                    description=f"Bulk token {index}",
                    server_id=server.id if server else None,
                    resource_scopes=["tools.read", "tools.execute"] if index % 2 else [],
                    expires_at=self.now + timedelta(days=90) if index % 2 else None,
                    is_active=index % 10 != 9,
                    created_at=self.now,
                )
            )
        self.insert(rows)

    def seed_metrics(self, model_name: str, key: str, kind: str, parents: Sequence[Any]) -> None:
        """Raw invocation metrics spread over ``parents``."""
        self.require(parents, key.replace("_id", "s"))
        metric = self.model(model_name)
        self.insert(
            self.make(metric, **{key: parents[index % len(parents)].id}, **metric_fields(index, self.now))
            for index in range(self.share(kind))
        )

    def seed_tool_metrics_hourly(self) -> None:
        """Hourly tool rollups, one row per (tool, past hour)."""
        self.require(self.tools, "tools")
        hourly = self.model("ToolMetricsHourly")
        this_hour = self.now.replace(minute=0, second=0, microsecond=0)
        rows = []
        for index in range(self.share("tool_metrics_hourly")):
            tool = self.tools[index % len(self.tools)]
            total = 10 + index % 50
            fastest = 0.02 + (index % 13) / 100
            rows.append(
                self.make(
                    hourly,
                    tool_id=tool.id,
                    tool_name=tool.name,
                    hour_start=this_hour - timedelta(hours=1 + index // len(self.tools)),
                    total_count=total,
                    success_count=total - total // 10,
                    failure_count=total // 10,
                    min_response_time=fastest,
                    max_response_time=fastest * 20,
                    avg_response_time=fastest * 4,
                    p50_response_time=fastest * 3,
                    p95_response_time=fastest * 12,
                    p99_response_time=fastest * 18,
                )
            )
        self.insert(rows)

    # -- driver -------------------------------------------------------------------------------

    def steps(self) -> list[tuple[str, Callable[[], None]]]:
        """Kinds in dependency order."""
        return [
            ("users", self.seed_users),
            ("teams", self.seed_teams),
            ("team_members", self.seed_team_members),
            ("team_member_history", self.seed_team_member_history),
            ("user_roles", self.seed_user_roles),
            ("gateways", self.seed_gateways),
            ("tools", self.seed_tools),
            ("resources", self.seed_resources),
            ("prompts", self.seed_prompts),
            ("servers", self.seed_servers),
            ("api_tokens", self.seed_api_tokens),
            ("tool_metrics", lambda: self.seed_metrics("ToolMetric", "tool_id", "tool_metrics", self.tools)),
            ("tool_metrics_hourly", self.seed_tool_metrics_hourly),
            ("server_metrics", lambda: self.seed_metrics("ServerMetric", "server_id", "server_metrics", self.servers)),
            ("resource_metrics", lambda: self.seed_metrics("ResourceMetric", "resource_id", "resource_metrics", self.resources)),
            ("prompt_metrics", lambda: self.seed_metrics("PromptMetric", "prompt_id", "prompt_metrics", self.prompts)),
        ]

    def run(self) -> None:
        """Seed every kind in one transaction; commit only if all of it worked."""
        try:
            for kind, step in self.steps():
                try:
                    step()
                except Skip as reason:
                    self.skipped[kind] = str(reason)
            self.session.commit()
        except BaseException:
            self.session.rollback()
            raise
        finally:
            self.session.close()


def parse_args(argv: list[str]) -> tuple[int, Path]:
    """``<scale> <output.json>``; exits with usage on anything else."""
    if len(argv) != 3 or not argv[1].isdigit() or int(argv[1]) < 1:
        sys.exit(f"usage: {Path(argv[0]).name} <scale: positive integer> <output.json>  (DATABASE_URL must point at a migrated database)")
    if not os.environ.get("DATABASE_URL"):
        # Without it the release would silently fall back to ./mcp.db in the working directory.
        sys.exit("populate.py: DATABASE_URL is not set")
    return int(argv[1]), Path(argv[2])


def main(argv: list[str]) -> int:
    """Seed, then write the counts report."""
    scale, output = parse_args(argv)
    started = time.monotonic()
    try:
        seeder = Seeder(scale)
        seeder.run()
    except Exception as error:  # pylint: disable=broad-exception-caught
        print(f"populate.py: seeding failed, nothing committed: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    report = {
        "scale": scale,
        "counts": dict(sorted(seeder.counts.items())),
        "skipped": dict(sorted(seeder.skipped.items())),
        "seconds": round(time.monotonic() - started, 2),
    }
    output.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
