"""Runs INSIDE a release's venv, imported by populate.py: the rows, one builder per kind, through the release's models.

Split from the seeding order (populate.py) so each part reads on its own: here is what one row of each kind
looks like and how it is flushed (the release's own column defaults, listeners and password hashing);
there is which kinds are seeded, in which order, and in one transaction.
"""

import hashlib
from datetime import datetime, timedelta, timezone
from itertools import islice
from typing import Any, Callable, Iterable, Iterator, Optional, Sequence

BATCH = 1000

# Share of ``scale`` per kind. The rows services create alongside (a personal team, owner
# membership and roles per user, a history row per membership) are budgeted within the total.
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
#: A gateway that has served for years (the scale runs): most rows are what each call leaves behind
#: (invocation metrics, auth events, token usage), a few percent are the objects themselves.
PRODUCTION_SHARES: dict[str, float] = {
    "users": 0.002,
    "teams": 0.0005,
    "team_members": 0.0025,
    "gateways": 0.0005,
    "tools": 0.01,
    "tool_metrics": 0.5,
    "tool_metrics_hourly": 0.02,
    "resources": 0.003,
    "prompts": 0.003,
    "servers": 0.001,
    "server_tools": 0.004,
    "server_resources": 0.001,
    "server_prompts": 0.001,
    "api_tokens": 0.002,
    "server_metrics": 0.1,
    "resource_metrics": 0.05,
    "prompt_metrics": 0.05,
    "auth_events": 0.125,
    "token_usage": 0.125,
}
PROFILES = {"fixture": SHARES, "production": PRODUCTION_SHARES}
# Server relationship -> (association column of the bundled item, share of association rows).
SERVER_BUNDLES = {
    "tools": ("tool_id", "server_tools"),
    "resources": ("resource_id", "server_resources"),
    "prompts": ("prompt_id", "server_prompts"),
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
    """Up to ``count`` distinct items (wrapping around), beginning at ``start``."""
    return [items[(start + offset) % len(items)] for offset in range(min(count, len(items)))]


def tool_schema(index: int) -> dict[str, Any]:
    """A plausible JSON schema for a tool's input.

    Nine in ten declare draft-07, as zod-to-json-schema based MCP servers emit; the rest leave
    ``$schema`` out, which the release checks as draft 2020-12 (several times slower).
    """
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {
            "query": {"type": "string", "description": f"Query for bulk tool {index}"},
            "limit": {"type": "integer", "minimum": 1, "maximum": 100 + index % 900},
        },
        "required": ["query"],
        "additionalProperties": False,
    }
    if index % 10:
        schema["$schema"] = "http://json-schema.org/draft-07/schema#"
    return schema


def metric_timestamp(index: int, now: datetime) -> datetime:
    """Spread over the last week, never in the last full hour.

    From RC1 a starting release rolls raw metrics up into hourly rows and deletes the raw rows of every hour that
    ended more than an hour ago (``METRICS_DELETE_RAW_AFTER_ROLLUP``, on by default). The last full hour's turn
    comes at the next o'clock: had its rows been there, one falling between the old release's start and the new
    one's would be kept by one and deleted by the other, and a data check's verdict would depend on the clock.
    Moved an hour back, they are eligible at once, for whichever release starts first.
    """
    stamp = now - timedelta(minutes=(index * 7) % METRIC_WINDOW_MINUTES)
    last_full_hour = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    return stamp - timedelta(hours=1) if last_full_hour <= stamp < last_full_hour + timedelta(hours=1) else stamp


def metric_fields(index: int, now: datetime) -> dict[str, Any]:
    """Deterministic invocation outcome: one in ten fails, timestamps spread over the last week."""
    failed = index % 10 == 0
    return {
        "timestamp": metric_timestamp(index, now),
        "response_time": 0.02 + (index % 97) / 50,
        "is_success": not failed,
        "error_message": "bulk: simulated upstream timeout" if failed else None,
    }


class RowBuilder:
    """Builds and flushes the rows of each kind through the release's models inside one session."""

    def __init__(self, scale: int, shares: dict[str, float] = SHARES) -> None:
        # Imported here so a usage error does not pay for (or log) the gateway import.
        # pylint: disable=import-outside-toplevel
        from mcpgateway import db
        from mcpgateway.config import settings
        from mcpgateway.services.argon2_service import hash_password
        from mcpgateway.validation.tags import TagValidator
        from sqlalchemy import inspect

        self.db = db
        self.settings = settings
        self.inspect = inspect
        self.tags: Callable[[list[str]], list[Any]] = TagValidator.validate_list
        self.password_hash = hash_password(PASSWORD)  # argon2 is slow on purpose: hash once, share
        self.session = db.SessionLocal(expire_on_commit=False)
        self.scale = scale
        self.shares = shares
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

    # -- plumbing -----------------------------------------------------------------------------

    def share(self, kind: str) -> int:
        """Row budget of a kind at this scale (at least one)."""
        return max(1, round(self.scale * self.shares.get(kind, 0))) if kind in self.shares else 0

    def model(self, name: str) -> Any:
        """A model class of the release, or ``Skip`` if the release does not have it."""
        found = getattr(self.db, name, None)
        if found is None:
            raise Skip(f"mcpgateway.db has no {name}")
        return found

    def make(self, model: Any, **fields: Any) -> Any:
        """Instantiate ``model`` with the fields it maps; report the ones this release lacks."""
        if model not in self._attributes:
            self._attributes[model] = set(self.inspect(model).all_orm_descriptors.keys())
        known = self._attributes[model]
        for name in fields.keys() - known:
            self.skipped[f"{model.__tablename__}.{name}"] = "column absent in this release"
        return model(**{name: value for name, value in fields.items() if name in known})

    def tally(self, table: str, rows: int) -> None:
        """Count inserted rows of a table."""
        self.counts[table] = self.counts.get(table, 0) + rows

    def insert(self, rows: Iterable[Any]) -> list[Any]:
        """Add model instances in flushed batches (built lazily, batch by batch)."""
        stored: list[Any] = []
        for batch in chunked(rows, BATCH):
            self.session.add_all(batch)
            self.session.flush()
            stored.extend(batch)
        for row in stored:
            self.tally(row.__tablename__, 1)
        return stored

    def bulk(self, model: Any, rows: Iterable[dict[str, Any]]) -> None:
        """Insert plain rows (no ORM listener of the release touches them: metrics, events) as one executemany per
        batch through the model's table: the table's own column defaults, without building an object per row."""
        table = model.__table__
        columns = set(table.columns.keys())
        for batch in chunked(rows, BATCH * 10):
            for name in batch[0].keys() - columns:
                self.skipped[f"{table.name}.{name}"] = "column absent in this release"
            self.session.execute(table.insert(), [{k: v for k, v in row.items() if k in columns} for row in batch])
            self.tally(table.name, len(batch))

    @staticmethod
    def require(items: Sequence[Any], what: str) -> None:
        """``Skip`` when a prerequisite kind produced nothing."""
        if not items:
            raise Skip(f"no {what} to attach to")

    def scoping(self, index: int) -> dict[str, Any]:
        """Team, owner and visibility of the ``index``-th team-scoped item."""
        team = self.shared_teams[index % len(self.shared_teams)]
        return {
            "team_id": team.id,
            "owner_email": team.created_by,
            "visibility": VISIBILITIES[index % len(VISIBILITIES)],
        }

    def origin(self, index: int, federated_every: int) -> dict[str, Any]:
        """Scoping and audit fields; every ``federated_every``-th item comes from a gateway.

        Federated items get the ``gateway`` relationship itself (the release's name listeners
        read it) and inherit its team, owner and visibility, as the gateway service does.
        """
        if not self.gateways or index % federated_every:
            scope = self.scoping(index)
            return {**scope, "created_by": scope["owner_email"], "created_via": "api"}
        gateway = self.gateways[(index // federated_every) % len(self.gateways)]
        return {
            "gateway": gateway,
            "team_id": gateway.team_id,
            "owner_email": gateway.owner_email,
            "visibility": gateway.visibility,
            "created_by": gateway.owner_email,
            "created_via": "federation",
            "federation_source": gateway.name,
        }

    # -- rows ---------------------------------------------------------------------------------

    def user(self, index: int) -> Any:
        """A local user, as the email auth service registers one."""
        return self.make(
            self.model("EmailUser"),
            email=f"bulk-user-{index:06d}@example.com",
            password_hash=self.password_hash,
            full_name=f"Bulk User {index:06d}",
            is_admin=False,
            auth_provider="local",
        )

    def personal_team(self, user: Any) -> Any:
        """A user's personal team, as the personal team service creates it."""
        return self.make(
            self.model("EmailTeam"),
            name=f"{user.full_name}'s Team",
            slug="personal-" + user.email.replace("@", "-").replace(".", "-").lower(),
            description=f"Personal workspace for {user.email}",
            created_by=user.email,
            is_personal=True,
            visibility="private",
            is_active=True,
        )

    def shared_team(self, index: int) -> Any:
        """A shared team created by one of the bulk users."""
        return self.make(
            self.model("EmailTeam"),
            name=f"bulk-team-{index:06d}",
            description=f"Shared bulk team {index}",
            created_by=self.users[index % len(self.users)].email,
            is_personal=False,
            visibility=("public", "private")[index % 2],
            is_active=True,
        )

    def membership_plan(self) -> list[tuple[Any, str, str, Optional[str]]]:
        """(team, user email, role, invited by): every owner, then members round-robin."""
        plan = [(team, team.created_by, "owner", None) for team in [*self.personal_teams.values(), *self.shared_teams]]
        wanted = len(plan) + self.share("team_members")
        emails = [user.email for user in self.users]
        # Shared team t was created by user t, so user t + step (1 <= step < users) is never its owner.
        for step in range(1, len(emails)):
            for number, team in enumerate(self.shared_teams):
                if len(plan) >= wanted:
                    return plan
                plan.append((team, emails[(number + step) % len(emails)], "member", team.created_by))
        return plan

    def history(self, member: Any) -> Any:
        """The "added" history row the team services write with each membership."""
        return self.make(
            self.model("EmailTeamMemberHistory"),
            team_member_id=member.id,
            team_id=member.team_id,
            user_email=member.user_email,
            role=member.role,
            action="added",
            action_by=member.invited_by or member.user_email,
            action_timestamp=self.now,
        )

    def gateway(self, index: int) -> Any:
        """A federated peer gateway."""
        scope = self.scoping(index)
        return self.make(
            self.model("Gateway"),
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

    def tool(self, index: int) -> Any:
        """A federated MCP tool (every 3rd) or a local REST tool; listeners derive the names."""
        origin = self.origin(index, 3)
        gateway = origin.get("gateway")
        if gateway is None:
            kind = {
                "integration_type": "REST",
                "request_type": ("GET", "POST")[index % 2],
                "url": f"http://bulk-api.example.com/tools/{index:06d}",
            }
        else:
            kind = {"integration_type": "MCP", "request_type": gateway.transport, "url": gateway.url}
        description = f"Bulk tool {index}: looks things up"
        return self.make(
            self.model("Tool"),
            original_name=f"bulk-tool-{index:06d}",
            description=description,
            original_description=description,
            input_schema=tool_schema(index),
            annotations={"readOnlyHint": index % 2 == 0},
            tags=self.tags(["bulk", f"group-{index % 10}"]),
            version=1,
            **kind,
            **origin,
        )

    def resource(self, index: int) -> Any:
        """A text resource, every 4th federated."""
        text = f"Bulk resource {index} content. " * (1 + index % 5)
        return self.make(
            self.model("Resource"),
            uri=f"bulk://resources/{index:06d}",
            name=f"bulk-resource-{index:06d}",
            description=f"Bulk resource {index}",
            mime_type="text/plain",
            text_content=text,
            size=len(text),
            tags=self.tags(["bulk"]),
            version=1,
            **self.origin(index, 4),
        )

    def prompt(self, index: int) -> Any:
        """A prompt template, every 4th federated; schema shaped as the prompt service builds it."""
        name = f"bulk-prompt-{index:06d}"
        return self.make(
            self.model("Prompt"),
            name=name,
            original_name=name,
            description=f"Bulk prompt {index}",
            template="Summarise {{ topic }} for {{ audience }}.",
            argument_schema={
                "type": "object",
                "properties": {"topic": {"type": "string"}, "audience": {"type": "string"}},
                "required": ["topic"],
            },
            tags=self.tags(["bulk"]),
            version=1,
            **self.origin(index, 4),
        )

    def server(self, index: int) -> Any:
        """A virtual server (its bundled items are linked afterwards)."""
        scope = self.scoping(index)
        return self.make(
            self.model("Server"),
            name=f"bulk-server-{index:06d}",
            description=f"Bulk virtual server {index}",
            enabled=True,
            tags=self.tags(["bulk"]),
            created_by=scope["owner_email"],
            created_via="api",
            version=1,
            **scope,
        )

    def api_token(self, index: int) -> Any:
        """An API token: personal-team or unscoped, every 4th limited to a server, some revoked."""
        user = self.users[index % len(self.users)]
        name = f"bulk-token-{index:06d}"
        team = self.personal_teams.get(user.email) if index % 3 else None
        server = self.servers[index % len(self.servers)] if self.servers and index % 4 == 0 else None
        return self.make(
            self.model("EmailApiToken"),
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

    def tool_rollup(self, index: int) -> Any:
        """An hourly tool rollup; tool ``index % tools`` for the ``index // tools``-th past hour."""
        tool = self.tools[index % len(self.tools)]
        total = 10 + index % 50
        fastest = 0.02 + (index % 13) / 100
        return self.make(
            self.model("ToolMetricsHourly"),
            tool_id=tool.id,
            tool_name=tool.name,
            hour_start=self.now.replace(minute=0, second=0, microsecond=0)
            - timedelta(hours=1 + index // len(self.tools)),
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

    def auth_event(self, index: int) -> dict[str, Any]:
        """A login of user ``index % users``; one in eight failed, spread over the last week."""
        failed = index % 8 == 0
        return {
            "timestamp": self.now - timedelta(minutes=(index * 11) % METRIC_WINDOW_MINUTES),
            "user_email": self.users[index % len(self.users)].email,
            "event_type": "login_failed" if failed else "login",
            "success": not failed,
            "ip_address": f"10.{index % 250}.{index // 250 % 250}.{index % 7 + 1}",
            "user_agent": "bulk-client/1.0",
            "failure_reason": "invalid password" if failed else None,
        }

    def token_use(self, index: int) -> dict[str, Any]:
        """One call made with an API token of user ``index % users``; one in twenty refused."""
        blocked = index % 20 == 0
        return {
            "token_jti": hashlib.md5(f"bulk-token-{index % 997}".encode()).hexdigest()[:36],
            "user_email": self.users[index % len(self.users)].email,
            "timestamp": self.now - timedelta(minutes=(index * 13) % METRIC_WINDOW_MINUTES),
            "endpoint": ("/tools", "/resources", "/prompts", "/servers")[index % 4],
            "method": "GET" if index % 3 else "POST",
            "ip_address": f"10.{index % 250}.{index // 250 % 250}.9",
            "user_agent": "bulk-client/1.0",
            "status_code": 403 if blocked else 200,
            "response_time_ms": 5 + index % 400,
            "blocked": blocked,
            "block_reason": "rate limited" if blocked else None,
        }
