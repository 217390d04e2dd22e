"""Runs INSIDE a release's venv (not the suite's): seeds a migrated gateway database at scale.

Usage: ``<venv>/bin/python populate.py <scale> <output.json> [fixture|production]`` with ``DATABASE_URL`` set.

Upgrade tests need a database that looks like one a real deployment of the *old* release left
behind, with enough rows that slow or data-dependent migrations show up. Raw SQL would drift from
what the release really writes, so every row is built with the release's own SQLAlchemy models
(``mcpgateway.db``) and flushed through its ORM: column defaults, ``before_insert`` listeners (tool
and prompt names, team and gateway slugs, JSON-schema checks), tag normalisation and password
hashing are the release's own. Relations mirror what its services create: each user has a personal
team and a global role; shared teams have an owner and members, with history rows and team roles;
gateways own federated tools, resources and prompts; virtual servers bundle tools, resources and
prompts; users hold API tokens; tools, servers, resources and prompts have metrics.

``scale`` is the approximate total number of rows, spread over the kinds by a profile: ``fixture``
(``SHARES``, every kind well represented: UPG-03) or ``production`` (``PRODUCTION_SHARES``, mostly
metrics and audit rows, as a gateway that served for years: the migration-cost runs). Rows no
listener of the release touches (metrics, events) go in as one executemany per batch. Names are
deterministic (``bulk-tool-000123``), so equal scales give the same logical data; ids are whatever
the models generate. Everything goes in one transaction, flushed in batches of ``BATCH``, so a
failure leaves the database untouched. A kind whose model is missing from the release is skipped,
as is a column the release lacks; both are reported under ``skipped``.

Output (JSON, to the path in argv[2]): ``{"scale", "counts": {table: rows}, "skipped": {kind:
reason}, "seconds"}``. Written to a file, not stdout, because importing the gateway logs to stdout.
"""

import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable, Sequence

from populate_rows import (  # the probes directory is sys.path[0]: this runs as a script
    BATCH,
    PROFILES,
    SERVER_BUNDLES,
    RowBuilder,
    Skip,
    chunked,
    metric_fields,
    pick,
    spread,
)


class Seeder(RowBuilder):
    """Seeds every kind, in dependency order, in one transaction."""

    # -- kinds --------------------------------------------------------------------------------

    def seed_users(self) -> None:
        """Users."""
        self.users = self.insert(self.user(index) for index in range(self.share("users")))

    def seed_teams(self) -> None:
        """A personal team per user plus shared teams."""
        self.require(self.users, "users")
        self.personal_teams = {
            team.created_by: team for team in self.insert(self.personal_team(user) for user in self.users)
        }
        self.shared_teams = self.insert(self.shared_team(index) for index in range(self.share("teams")))

    def seed_team_members(self) -> None:
        """Owners of every team and members of the shared teams."""
        self.require(self.shared_teams, "teams")
        member = self.model("EmailTeamMember")
        self.memberships = self.insert(
            self.make(
                member,
                team_id=team.id,
                user_email=email,
                role=role,
                invited_by=inviter,
                joined_at=self.now,
                is_active=True,
            )
            for team, email, role, inviter in self.membership_plan()
        )

    def seed_team_member_history(self) -> None:
        """History rows of the memberships."""
        self.require(self.memberships, "team members")
        self.insert(self.history(member) for member in self.memberships)

    def role_id(self, setting: str, scope: str) -> str:
        """Id of the seeded RBAC role that a release setting names."""
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
        team_roles = {
            "owner": self.role_id("default_team_owner_role", "team"),
            "member": self.role_id("default_team_member_role", "team"),
        }
        grants = [(user.email, global_role, "global", None, user.email) for user in self.users]
        grants += [
            (row.user_email, team_roles[row.role], "team", row.team_id, row.invited_by or row.user_email)
            for row in self.memberships
        ]
        self.insert(
            self.make(
                user_role,
                user_email=email,
                role_id=role,
                scope=scope,
                scope_id=scope_id,
                granted_by=granter,
                is_active=True,
            )
            for email, role, scope, scope_id, granter in grants
        )

    def seed_gateways(self) -> None:
        """Gateways."""
        self.require(self.shared_teams, "teams")
        self.gateways = self.insert(self.gateway(index) for index in range(self.share("gateways")))

    def seed_tools(self) -> None:
        """Tools."""
        self.require(self.shared_teams, "teams")
        self.tools = self.insert(self.tool(index) for index in range(self.share("tools")))

    def seed_resources(self) -> None:
        """Resources."""
        self.require(self.shared_teams, "teams")
        self.resources = self.insert(self.resource(index) for index in range(self.share("resources")))

    def seed_prompts(self) -> None:
        """Prompts."""
        self.require(self.shared_teams, "teams")
        self.prompts = self.insert(self.prompt(index) for index in range(self.share("prompts")))

    def seed_servers(self) -> None:
        """Virtual servers, then their association rows in the release's association tables.

        The link rows go straight into the tables behind ``Server.tools`` etc.: appending to the
        relationship would also mark every bundled tool dirty and re-run its update listeners.
        """
        self.require(self.shared_teams, "teams")
        server = self.model("Server")
        self.servers = self.insert(self.server(index) for index in range(self.share("servers")))
        for relation, (column, kind) in SERVER_BUNDLES.items():
            items = {"tools": self.tools, "resources": self.resources, "prompts": self.prompts}[relation]
            if not items:
                self.skipped[f"server_{relation}"] = f"no {relation} to bundle"
                continue
            table = getattr(server, relation).property.secondary
            sizes = spread(self.share(kind), len(self.servers))
            links = (
                {"server_id": row.id, column: item.id}
                for number, row in enumerate(self.servers)
                for item in pick(items, number * sizes[number], sizes[number])
            )
            for batch in chunked(links, BATCH):
                self.session.execute(table.insert(), batch)
                self.tally(table.name, len(batch))

    def seed_api_tokens(self) -> None:
        """API tokens."""
        self.require(self.users, "users")
        self.insert(self.api_token(index) for index in range(self.share("api_tokens")))

    def seed_metrics(self, model_name: str, key: str, kind: str, parents: Sequence[Any]) -> None:
        """Raw invocation metrics spread over ``parents``."""
        self.require(parents, key.replace("_id", "s"))
        self.bulk(
            self.model(model_name),
            (
                {key: parents[index % len(parents)].id, **metric_fields(index, self.now)}
                for index in range(self.share(kind))
            ),
        )

    def seed_auth_events(self) -> None:
        """Logins and failed logins of the users, as the auth service records them."""
        self.require(self.users, "users")
        self.bulk(self.model("EmailAuthEvent"), (self.auth_event(index) for index in range(self.share("auth_events"))))

    def seed_token_usage(self) -> None:
        """Calls made with the users' API tokens, as the token middleware logs them."""
        self.require(self.users, "users")
        self.bulk(self.model("TokenUsageLog"), (self.token_use(index) for index in range(self.share("token_usage"))))

    def seed_tool_metrics_hourly(self) -> None:
        """Hourly tool rollups."""
        self.require(self.tools, "tools")
        self.insert(self.tool_rollup(index) for index in range(self.share("tool_metrics_hourly")))

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
            (
                "resource_metrics",
                lambda: self.seed_metrics("ResourceMetric", "resource_id", "resource_metrics", self.resources),
            ),
            ("prompt_metrics", lambda: self.seed_metrics("PromptMetric", "prompt_id", "prompt_metrics", self.prompts)),
            ("auth_events", self.seed_auth_events),
            ("token_usage", self.seed_token_usage),
        ]

    def check_database(self) -> None:
        """Refuse anything but an existing, migrated database (and never create an SQLite file)."""
        url = self.db.engine.url
        shown = url.render_as_string(hide_password=True)
        if (
            url.get_backend_name() == "sqlite"
            and url.database not in (None, "", ":memory:")
            and not Path(url.database).exists()
        ):
            raise RuntimeError(f"no database file at {shown}")
        if not self.inspect(self.db.engine).has_table("alembic_version"):
            raise RuntimeError(f"{shown} is not a migrated gateway database (no alembic_version table)")

    def run(self) -> None:
        """Seed every kind in one transaction; commit only if all of it worked."""
        self.check_database()
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
            # Closing the pooled connections lets SQLite checkpoint its WAL into the database
            # file; otherwise the rows stay in ``<db>-wal`` and a copy of the file alone lacks them.
            self.db.engine.dispose()


def parse_args(argv: list[str]) -> tuple[int, Path, str]:
    """``<scale> <output.json> [profile]``; exits with a message on anything else."""
    profile = argv[3] if len(argv) == 4 else "fixture"
    if len(argv) not in (3, 4) or not argv[1].isdigit() or int(argv[1]) < 1 or profile not in PROFILES:
        sys.exit(
            f"usage: {Path(argv[0]).name} <scale: positive integer> <output.json> [{'|'.join(PROFILES)}]  "
            "(DATABASE_URL must point at a migrated database)"
        )
    if not os.environ.get("DATABASE_URL"):
        # Without it the release would silently fall back to ./mcp.db in the working directory.
        sys.exit("populate.py: DATABASE_URL is not set")
    return int(argv[1]), Path(argv[2]), profile


def main(argv: list[str]) -> int:
    """Seed, then write the counts report."""
    scale, output, profile = parse_args(argv)
    started = time.monotonic()
    try:
        seeder = Seeder(scale, PROFILES[profile])
        seeder.run()
    except Exception as error:  # pylint: disable=broad-exception-caught
        # The first line names the cause; SQLAlchemy follows it with the statement and parameters.
        print(
            f"populate.py: seeding failed, nothing committed: {type(error).__name__}: {str(error).splitlines()[0]}",
            file=sys.stderr,
        )
        return 1
    report = {
        "scale": scale,
        "profile": profile,
        "counts": dict(sorted(seeder.counts.items())),
        "skipped": dict(sorted(seeder.skipped.items())),
        "seconds": round(time.monotonic() - started, 2),
    }
    output.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
