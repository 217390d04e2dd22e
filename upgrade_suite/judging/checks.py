"""Checks of a running gateway and its database, each returning a Checklist (evidence, not a boolean).

A Checklist knows whether it passed and renders itself for a reader; a check with nothing to
check fails ("assertion on nothing" is a defect), it never passes vacuously.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, inspect

from upgrade_suite.client.api import KINDS, ApiError, GatewayApi
from upgrade_suite.client.auth import login, whoami
from upgrade_suite.client.dataset import FIXTURE_GATEWAY, SeedManifest
from upgrade_suite.judging.problems import FindingsVerdict, Problem
from upgrade_suite.releases.specs import Release
from upgrade_suite.services.chain import Outcome, WalkStep
from upgrade_suite.services.database import stamped_revisions
from upgrade_suite.services.migrations import AlembicRun


@dataclass
class Checklist(FindingsVerdict):
    """Named checks with their outcome and a detail line each.

    A failed check is reported as a ``Problem``: by default of kind ``check failed`` at (title, name), the
    check's own identity; a check that knows where it failed in the database (a missing table) says so.
    """

    title: str
    items: list[tuple[str, bool, str]] = field(default_factory=list)
    where: dict[int, Problem] = field(default_factory=dict)

    def check(self, name: str, passed: bool, detail: str = "", problem: tuple[str, ...] = ()) -> bool:
        """Record one check; ``problem`` (kind, key, ...) is the structured form of its failure, when it has one."""
        if problem and not passed:
            self.where[len(self.items)] = Problem(problem[0], problem[1:])
        self.items.append((name, passed, detail))
        return passed

    def findings(self) -> list[Problem]:
        failed = [
            Problem(
                *self._where(index, name),
                text=f"{name}: {detail}",
            )
            for index, (name, passed, detail) in enumerate(self.items)
            if not passed
        ]
        return failed or (
            [] if self.items else [Problem("nothing checked", (self.title,), f"{self.title}: nothing was checked")]
        )

    def _where(self, index: int, name: str) -> tuple[str, tuple[str, ...]]:
        known = self.where.get(index)
        return (known.kind, known.keys) if known else ("check failed", (self.title, name))

    def render(self) -> str:
        lines = [f"{self.title}: {'PASS' if self.ok else 'FAIL'}"]
        lines += [
            f"  [{'ok' if passed else 'FAIL'}] {name}" + (f" - {detail}" if detail else "")
            for name, passed, detail in self.items
        ]
        return "\n".join(lines)


def services_functioning(
    api: GatewayApi, expected_tools: list[str], log_failures: list[str], health: dict[str, Any]
) -> Checklist:
    """\"All services continue functioning": health, every list endpoint, JSON-RPC tools, a new object."""
    result = Checklist("Services functioning")
    result.check("/health reports healthy", health.get("status") == "healthy", str(health))
    result.check("gateway log free of migration errors", not log_failures, " | ".join(log_failures[:3]))
    for kind in KINDS:
        try:
            count = len(api.list(kind))
            result.check(f"GET {KINDS[kind].path} answers", True, f"{count} objects")
        except ApiError as error:
            result.check(f"GET {KINDS[kind].path} answers", False, str(error))
    try:
        listed = {tool["name"] for tool in api.rpc_tools()}
        missing = sorted(set(expected_tools) - listed)
        result.check(
            "JSON-RPC tools/list returns every seeded tool",
            bool(expected_tools) and not missing,
            f"{len(listed)} listed; missing: {missing}" if missing else f"{len(expected_tools)} seeded tools listed",
        )
    except ApiError as error:
        result.check("JSON-RPC tools/list returns every seeded tool", False, str(error))
    try:
        created = api.create(
            "tools",
            {
                "name": "post_upgrade_tool",
                "url": "http://127.0.0.1:9/post-upgrade",
                "integration_type": "REST",
                "request_type": "GET",
            },
        )
        read = api.get("tools", created["id"])
        result.check("a new tool can be created and read back", read.get("id") == created["id"], f"id {created['id']}")
    except ApiError as error:
        result.check("a new tool can be created and read back", False, str(error))
    return result


def read_back(api: GatewayApi, manifest: SeedManifest, fixture_tools: tuple[str, ...]) -> Checklist:
    """Every created object is served by id (a prompt is read by rendering it with an argument)."""
    result = Checklist("Every entity type created and read back")
    for kind, ids in sorted(manifest.ids.items()):
        found = 0
        for object_id in ids:
            try:
                if kind == "prompts":
                    rendered = api.request("POST", f"/prompts/{object_id}", json={"name": "reader-7f3"})
                    found += "reader-7f3" in json.dumps(rendered)
                else:
                    found += str(api.get(kind, object_id).get("id")) == object_id
            except ApiError as error:
                result.check(f"{kind} {object_id} read back", False, str(error))
        result.check(f"{kind}: {len(ids)} created, read back by id", found == len(ids) > 0, f"{found}/{len(ids)}")
    discovered = [name for name in manifest.tool_names if name.startswith(f"{FIXTURE_GATEWAY}-")]
    result.check(
        "tools discovered from the federated MCP server", len(discovered) == len(fixture_tools), ", ".join(discovered)
    )
    return result


def serves_at_own_head(engine: Engine, release: Release, log_failures: list[str], health: dict[str, Any]) -> Checklist:
    """After a rollback: the old release's head is stamped and it started without migration errors.

    "It serves" alone proves nothing: RC1 started on a GA-head database logs a failed migration
    yet reports healthy.
    """
    result = Checklist(f"{release.spec.label} serves at its own Alembic head")
    revisions = stamped_revisions(engine)
    result.check(
        f"alembic_version is {release.spec.alias}'s head {release.head}",
        revisions == [release.head],
        f"found {revisions}",
    )
    result.check("startup log free of migration errors", not log_failures, " | ".join(log_failures[:3]))
    result.check("/health reports healthy", health.get("status") == "healthy", str(health))
    return result


def objects_fate(api: GatewayApi, made: dict[str, list[str]], kept: bool) -> Checklist:
    """Whether objects made on the newer release are still served (kept) or gone (lost)."""
    result = Checklist(f"Objects created after the upgrade are {'kept' if kept else 'lost'}")
    for kind, ids in sorted(made.items()):
        listed = {str(item["id"]) for item in api.list(kind)}
        present = [object_id for object_id in ids if object_id in listed]
        result.check(
            f"{kind} {', '.join(ids)}",
            bool(ids) and (len(present) == len(ids) if kept else not present),
            f"{len(present)}/{len(ids)} still served",
        )
    return result


#: A traceback, an ERROR-level log line, or an exception line ("sqlalchemy.exc.OperationalError: ...").
_ERROR_LINE = re.compile(r"^Traceback|\bERROR\b|^[\w.]*(Error|Exception): ")


def completed_cleanly(run: AlembicRun, revisions: list[str], head: str) -> Checklist:
    """An Alembic run that exited 0, logged no error, and left the database at ``head``."""
    result = Checklist(f"{run.command} completed")
    result.check("exit status 0", run.ok, f"exit {run.exit_code}")
    errors = [line for line in run.output.splitlines() if _ERROR_LINE.search(line)]
    result.check("no error in its output", not errors, " | ".join(errors[:3]))
    result.check(f"database at head {head}", revisions == [head], f"alembic_version = {revisions}")
    return result


def ran_no_revision(run: AlembicRun) -> Checklist:
    """``upgrade head`` on an up-to-date database: nothing to run, nothing run."""
    result = Checklist(f"{run.command} on an up-to-date database")
    result.check("exit status 0", run.ok, f"exit {run.exit_code}")
    applied = [line.strip() for line in run.output.splitlines() if "Running upgrade" in line]
    result.check("no revision applied", not applied, " | ".join(applied[:3]))
    return result


def interrupts_survived(outcomes: list[Outcome]) -> Checklist:
    """Every interrupted-then-retried upgrade reached the head with a clean upgrade's schema and data."""
    result = Checklist(f"Upgrade interrupted at each of {len(outcomes)} revisions, then retried")
    for outcome in outcomes:
        result.check(
            outcome.revision,
            outcome.ok,
            outcome.row().split(": ", 1)[1],
            ("interrupted upgrade retried wrong", outcome.revision),
        )
    return result


def _struck(struck: list[Outcome], outcomes: list[Outcome]) -> str:
    """How many interruptions struck, and the revisions that changed nothing on this engine to strike in."""
    idle = ", ".join(o.revision for o in outcomes if not o.killed) or "none"
    return f"{len(struck)} of {len(outcomes)} (the rest changed nothing on this engine: {idle})"


def rolled_back_each_time(outcomes: list[Outcome], head: str) -> Checklist:
    """A killed upgrade left the old head (one transaction); a revision that changes nothing here is not a kill."""
    result = Checklist(f"Every killed upgrade rolled back to {head}")
    killed = [o for o in outcomes if o.killed]
    result.check("upgrades were killed", bool(killed), _struck(killed, outcomes))
    for outcome in killed:
        result.check(f"{outcome.revision} left at {head}", outcome.left_at == [head], f"left at {outcome.left_at}")
    return result


#: What a migration whose connection the server ended says, by driver: psycopg 3, psycopg2, a closed socket.
CUT_CONNECTION_WORDS = (
    "terminating connection due to administrator command",
    "terminating connection due to immediate shutdown command",
    "AdminShutdown",
    "server closed the connection",
    "the database system is shutting down",
)
#: The lines the two database faults print where they struck (probes/interrupt.py), each ending "-> True" on a hit.
_DATABASE_FAULTS = ("# suite: TERMINATED", "# suite: CRASHED")


def ended_cleanly(outcomes: list[Outcome], timeout: float) -> Checklist:
    """Each upgrade whose connection the database ended (its backend terminated, or the whole server stopped): the
    fault hit, and the migration stopped at once with one error that says so (a non-zero exit, no hang, nothing
    else in its place)."""
    ended = [o for o in outcomes if o.killed.startswith(_DATABASE_FAULTS)]
    result = Checklist(f"Each upgrade whose connection was ended failed cleanly ({len(ended)} of {len(outcomes)})")
    result.check("connections were ended", bool(ended), _struck(ended, outcomes))
    for outcome in ended:
        run = outcome.interrupted
        hit = "-> True" in outcome.killed
        said = run is not None and any(words in run.output for words in CUT_CONNECTION_WORDS)
        clean = run is not None and run.exit_code not in (0, None) and run.seconds < timeout
        result.check(
            f"{outcome.revision}: its own backend ended, one error, non-zero exit, no hang",
            hit and said and clean,
            (outcome.killed.removeprefix("# suite: ") + "; ")
            + (f"exit {run.exit_code} after {run.seconds:.1f} s: {run.error}" if run else "no run recorded"),
            ("ended connection not a clean failure", outcome.revision),
        )
    return result


def walk_succeeded(steps: list[WalkStep], expected: int) -> Checklist:
    """Every revision went up and came back down; the first failure is named with its error."""
    result = Checklist(f"Revision walk, {expected} steps")
    for step in steps:
        result.check(f"{step.direction} to {step.target}", step.ok, step.error or f"{step.seconds:.2f} s")
    result.check("all steps ran", len(steps) == expected, f"{len(steps)} of {expected}")
    return result


def paginated_listing(
    api: GatewayApi,
    engine: Engine,
    hidden: Callable[[str, dict[str, Any]], bool],
    sample: int = 20,
    paged: int | None = None,
) -> Checklist:
    """Every row of each paginated kind is reached by paging the API, and a sample reads back by id.

    ``hidden(kind, row)`` says which rows the release deliberately does not show this viewer
    (declared, e.g. other users' private objects on GA); they are counted, not expected.
    ``paged``: at scale, only the first ``paged`` objects of a kind are paged through (a declared sample:
    each must be a stored row, none listed twice); SQL compares every row.
    """
    title = "Every object found through the paginated API"
    result = Checklist(title if paged is None else f"{title} (the first {paged} of each kind, a declared sample)")
    for kind in ("tools", "servers", "resources", "prompts"):
        with engine.connect() as connection:
            rows = connection.exec_driver_sql(f'SELECT id, visibility, owner_email FROM "{kind}"').all()
        not_shown = {str(r[0]) for r in rows if hidden(kind, {"visibility": r[1], "ownerEmail": r[2]})}
        stored = {str(r[0]) for r in rows} - not_shown
        if not_shown:
            result.check(f"{kind}: {len(not_shown)} rows not shown to this viewer, as declared", True)
        try:
            listed = api.paginated_ids(kind, limit=paged)
        except ApiError as error:
            result.check(f"{kind}: paged through", False, str(error))
            continue
        duplicates = len(listed) - len(set(listed))
        if paged is None:
            missing = sorted(stored - set(listed))
            result.check(
                f"{kind}: {len(stored)} rows, paged through",
                bool(stored) and not missing and not duplicates,
                f"{len(listed)} listed, {len(missing)} missing {missing[:3]}, {duplicates} listed twice",
            )
        else:
            unknown = sorted(set(listed) - stored)
            expected = min(paged, len(stored))
            result.check(
                f"{kind}: {len(listed)} of {len(stored)} rows paged through, each a stored row",
                bool(stored) and len(set(listed)) >= expected and not unknown and not duplicates,
                f"{len(listed)} listed of {expected} expected, {len(unknown)} not stored {unknown[:3]}, "
                f"{duplicates} listed twice",
            )
        if kind != "prompts":  # GET /prompts/{id} renders the prompt; listing proves presence
            unread = [
                object_id
                for object_id in sorted(stored)[:sample]
                if str(api.get(kind, object_id).get("id")) != object_id
            ]
            result.check(f"{kind}: first {min(sample, len(stored))} read back by id", not unread, f"unread: {unread}")
    return result


def new_features(engine: Engine, old: Release, new: Release) -> Checklist:
    """\"New features are available": the new head is applied and the schema the new release added exists.

    What is new is derived from the two releases (their Alembic heads and model schemas), so the
    same check judges any pair; a pair with nothing new fails rather than passing on nothing.
    """
    result = Checklist(f"New features of {new.spec.label} over {old.spec.label}")
    revisions = stamped_revisions(engine)
    result.check(
        f"database at {new.spec.alias}'s Alembic head {new.head}",
        revisions == [new.head],
        f"alembic_version = {revisions}",
    )
    result.check(f"{new.spec.alias}'s head differs from {old.spec.alias}'s ({old.head})", new.head != old.head)
    old_columns, new_columns = old.model_columns, new.model_columns
    added = {
        table: sorted(set(columns) - set(old_columns.get(table, [])))
        for table, columns in new_columns.items()
        if set(columns) - set(old_columns.get(table, []))
    }
    result.check(
        f"{new.spec.alias} defines schema {old.spec.alias} lacks",
        bool(added),
        f"{sum(1 for t in added if t not in old_columns)} new tables, "
        f"{sum(len(c) for t, c in added.items() if t in old_columns)} new columns in existing tables",
    )
    present = _columns(engine)
    for table, columns in sorted(added.items()):
        missing = [c for c in columns if c not in present.get(table, set())]
        label = f"new table {table}" if table not in old_columns else f"new columns {table}.{{{', '.join(columns)}}}"
        where = ("new table missing", table) if table not in old_columns else ("new columns missing", table, *missing)
        result.check(f"{label} present", not missing, f"missing: {missing}" if missing else "", where)
    return result


def complete_schema(engine: Engine, release: Release) -> Checklist:
    """The database is at the release's head and holds every table and column of its models."""
    result = Checklist(f"Schema of {release.spec.label}")
    revisions = stamped_revisions(engine)
    result.check(
        f"alembic_version is {release.spec.alias}'s head {release.head}",
        revisions == [release.head],
        f"found {revisions}",
    )
    present = _columns(engine)
    expected = release.model_columns
    missing_tables = sorted(set(expected) - set(present))
    result.check(
        f"all {len(expected)} model tables exist",
        bool(expected) and not missing_tables,
        f"missing: {missing_tables}" if missing_tables else "",
        ("new table missing", *missing_tables),
    )
    missing_columns = sorted(
        f"{t}.{c}" for t, cols in expected.items() if t in present for c in cols if c not in present[t]
    )
    result.check(
        "every model column exists",
        not missing_columns,
        f"missing: {missing_columns[:20]}" if missing_columns else f"{sum(map(len, expected.values()))} columns",
    )
    return result


def administrator_signs_in(api: GatewayApi, email: str, password: str) -> Checklist:
    """The platform admin logs in with the bootstrap password (changing it when the release demands)."""
    result = Checklist("Administrator sign-in")
    with api.bearer(None) as anonymous:
        status, token, change_required = login(anonymous, email, password)
        if change_required:
            result.check("bootstrap password accepted, change demanded", True, "403 X-Password-Change-Required")
            old_password, password = password, f"{password}!Changed"
            try:
                api.request(
                    "POST", "/auth/email/change-password", json={"old_password": old_password, "new_password": password}
                )
                result.check("password changed", True)
            except ApiError as error:
                result.check("password changed", False, str(error))
                return result
            status, token, _ = login(anonymous, email, password)
    result.check("login returns an access token", token is not None, f"HTTP {status}")
    if token is not None:
        me = whoami(api, token)
        result.check("the session is the platform admin", me.email == email and me.is_admin is True, me.render())
    return result


def _columns(engine: Engine) -> dict[str, set[str]]:
    inspector = inspect(engine)
    return {table: {c["name"] for c in inspector.get_columns(table)} for table in inspector.get_table_names()}
