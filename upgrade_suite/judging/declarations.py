"""The known product defects of the real releases, each declared once with the exact problems it produces.

Declared where their problems were measured exactly (SQLite and PostgreSQL, 2026-12-02; the schema differences and
their consequences re-measured 2026-12-07; the workload's, the way back's and the settings' findings 2026-12-07). A
@product-defect scenario with no declaration here is a "new failure" until one is measured. How a scenario's
problems are matched against these is ``known_defects``.
"""

from __future__ import annotations

from collections.abc import Iterable

from upgrade_suite.judging.consequence_defects import CONSEQUENCES
from upgrade_suite.judging.known_defects import NOT_FILED, KnownDefect, signature_file
from upgrade_suite.judging.problems import Problem


def _schema_parity_rc1_to_ga(engine: str) -> KnownDefect:
    return KnownDefect(
        f"rc1-to-ga-schema-not-fresh-{engine}",
        "GA's own migrations do not produce GA's fresh schema (column lengths, server defaults, indexes); what each "
        "difference does is the pair's consequence declaration",
        NOT_FILED,
        (frozenset({"UPG-01", "schema-parity"}),),
        (engine,),
        "1.0.0rc1",
        "1.0.0",
        signature_file(f"schema-1.0.0rc1-to-1.0.0-{engine}"),
    )


def _ga_to_1_1_0_drift(engine: str) -> KnownDefect:
    """GA -> 1.1.0's schema drift on ``engine`` as the exact check reports it, listed in its signature file."""
    problems = signature_file(f"schema-1.0.0-to-1.1.0-{engine}")
    return KnownDefect(
        f"ga-to-1.1.0-schema-drift-{engine}",
        f"a GA database migrated to 1.1.0 differs from a fresh 1.1.0 in {len(problems)} details (defaults, types, "
        "foreign keys, uniques, indexes); what each does is the pair's consequence declaration",
        NOT_FILED,
        (frozenset({"UPG-01", "schema-parity"}),),
        (engine,),
        "1.0.0",
        "1.1.0",
        problems,
    )


#: The scenarios that judge a pair's schema by its consequences ("apart from its declared drift").
DRIFT_SCENARIOS = (
    frozenset({"UPG-01", "populated"}),
    frozenset({"UPG-05", "skip-version", "populated"}),
    frozenset({"hazard", "killed-migration"}),
)


def _unaccepted_consequences(old: str, new: str, engine: str, what: str) -> KnownDefect:
    """The differences of ``old -> new`` on ``engine`` that break or behave differently and no baseline accepts
    (``signatures/consequences-...``: the triage's class and the schema object, a line)."""
    problems = signature_file(f"consequences-{old}-to-{new}-{engine}")
    return KnownDefect(
        f"{old}-to-{new}-schema-consequences-{engine}",
        f"a {old} database migrated to {new} behaves differently from a fresh {new} install in {len(problems)} "
        f"way(s) no baseline accepts: {what}",
        NOT_FILED,
        DRIFT_SCENARIOS,
        (engine,),
        old,
        new,
        problems,
    )


def _retried_wrong(name: str, reason: str, pair: tuple[str, str], revisions: tuple[str, ...]) -> KnownDefect:
    """UPG-07 on SQLite: the revisions whose upgrade, killed inside them and retried, does not end like a clean one."""
    return KnownDefect(
        name,
        reason,
        NOT_FILED,
        (frozenset({"UPG-07", "idempotent", "product-defect"}),),
        ("sqlite",),
        *pair,
        tuple(Problem("interrupted upgrade retried wrong", (revision,)) for revision in revisions),
    )


def _helm_rollback_stalls(old: str) -> KnownDefect:
    """The upgrade guide's ``helm rollback`` after the chart's upgrade to 1.1.0: measured on PostgreSQL."""
    return KnownDefect(
        f"helm-rollback-to-{old}-without-downgrade-stalls",
        f"helm rollback re-deploys {old}'s pods and runs no downgrade: with MCPGATEWAY_SKIP_MIGRATIONS=true they meet "
        "1.1.0's schema, exit 3 ('schema is not at head') and fail their startup probe, so none becomes Ready; the "
        "rollout stalls at its progress deadline while 1.1.0's pods keep serving (no request dropped)",
        NOT_FILED,
        (frozenset({"chart", "UPG-04", "documented-rollback"}),),  # emulated, and on a cluster
        ("postgresql",),
        old,
        "1.1.0",
        (
            Problem("rollout stalled", ("a new pod never became Ready",)),
            Problem("replicas not Ready", ("target release",)),
            Problem("replica of another release serves", ()),
            Problem("database at another head", ("c7e91a2b4d60",)),
        ),
    )


def _chart_pods_refuse_while_stopping(old: str, new: str) -> KnownDefect:
    """The chart's gateway pods stop listening before the Service stops sending to them: measured on the suite's
    node (``-D cluster=node``), whichever release the pods run, on the way up and back."""
    return KnownDefect(
        f"chart-pods-refuse-connections-while-they-stop-{old}-to-{new}",
        "The chart (charts/mcp-stack 1.0.0 to 1.0.8) gives the gateway pods no preStop delay: when a rollout stops an "
        "old pod, the pod stops listening (and the newer releases cut the requests in flight) while kube-proxy still "
        "sends it new connections for a moment: they are refused or cut, no gateway answers them. Measured on the "
        "suite's node at 50 requests/s (2026-12-07): RC1 -> GA, 5 of 6,092 refused, each within a second of a pod's "
        "Killing event, and with a 5 s preStop sleep (-D pre_stop_s=5) 0 of 5,505; GA -> 1.1.0, 19 of 6,619 (2 of "
        "them health checks); 1.0.9 -> 1.1.0 and helm rollback after the downgrade, 27 of 10,451 refused or cut, at "
        "three of the four pods stopped. The upstream chart itself (charts/mcp-stack 1.0.8, -D helm_chart=), 1.0.9 -> "
        "1.1.0: 36 of 5,031, 13 of them on a kept-alive connection the stopping pod closed without an answer "
        "(RemoteProtocolError). Intermittent: it needs a connection in that second, and a health check among them to "
        "fail the plan's check too",
        NOT_FILED,
        (frozenset({"kubernetes", "product-defect"}),),
        ("postgresql",),
        old,
        new,
        (
            *(
                Problem("requests failed", ("No request dropped during the rollout", f"connection -> {error}"))
                for error in ("ConnectError", "ReadError", "RemoteProtocolError")
            ),
            Problem(
                "check failed",
                ("All health checks 200 throughout", "every health check answered 200 with a healthy body"),
            ),
        ),
        intermittent=True,
    )


DEFECTS: tuple[KnownDefect, ...] = (
    _chart_pods_refuse_while_stopping("1.0.0rc1", "1.0.0"),
    _chart_pods_refuse_while_stopping("1.0.0", "1.1.0"),
    _chart_pods_refuse_while_stopping("1.0.9", "1.1.0"),
    KnownDefect(
        "rc1-to-ga-migration-deadlocks-with-rc1-prompt-writes",
        "GA's migration runs in one transaction while RC1 serves (the chart's pre-upgrade hook) and waits for an "
        "AccessExclusiveLock on prompts while holding a lock an RC1 INSERT INTO prompts in flight needs: PostgreSQL "
        "detects the deadlock and aborts one side, the user's write (answered 400; RC1's log: 'Prompt creation "
        "failed ... DeadlockDetected') or the migration (the upgrade stops, RC1 serves on). Intermittent: it needs a "
        "write in flight at that moment; measured in 2 of 4 runs at 50 requests/s, 0 of 3 on another day, and at "
        "200 requests/s (-D probe_rate=200) in 2 of 3 runs",
        NOT_FILED,
        (frozenset({"UPG-06", "rolling", "product-defect"}),),
        ("postgresql",),
        "1.0.0rc1",
        "1.0.0",
        (
            Problem("requests failed", ("No request dropped during the rollout", "create -> 400")),
            Problem("migration failed", ("upgrade head", "psycopg.errors.DeadlockDetected")),
        ),
        intermittent=True,
    ),
    _helm_rollback_stalls("1.0.9"),
    _helm_rollback_stalls("1.0.7"),
    KnownDefect(
        "1.1.0-rate-limits-a-rolling-upgrades-reads",
        "1.1.0 enables rate limiting by default (100 requests a minute per client): once its replicas take over, a "
        "client GA served at 50 requests a second has reads answered 429; no replica is ever unavailable. Which "
        "of the prober's kinds of request the limiter answers 429 depends on how long 1.1.0 serves in the roll: "
        "reads in every run, its /health requests too in a longer one (measured 2026-12-03: 376 of 10,277 "
        "requests, a 259 s roll on a loaded machine), and the roll's own health checks too (measured 2026-12-07: 33 "
        "answered 429 beside the prober's reads, another job on the machine). Declared by the measured forms, so "
        "intermittent: they are the known defect, any other failure (a 5xx, a write refused) a new one; a roll with "
        "no 429 passes",
        NOT_FILED,
        (frozenset({"UPG-06", "rolling", "product-defect"}),),
        ("postgresql",),
        "1.0.0",
        "1.1.0",
        (
            *(
                Problem("requests failed", ("No request dropped during the rollout", failed))
                for failed in ("read -> 429", "health -> 429")
            ),
            Problem(
                "check failed",
                ("All health checks 200 throughout", "every health check answered 200 with a healthy body"),
            ),
        ),
        intermittent=True,
    ),
    _schema_parity_rc1_to_ga("sqlite"),
    _schema_parity_rc1_to_ga("postgresql"),
    _unaccepted_consequences(
        "1.0.0rc1",
        "1.0.0",
        "sqlite",
        "a unique index on a2a_agents(uaid) GA's models do not declare (a second agent with the same UAID refused), "
        "and a2a_agents.auth_value declared JSON (SQLite's NUMERIC affinity turns a number-like text into a number)",
    ),
    _unaccepted_consequences(
        "1.0.0rc1",
        "1.0.0",
        "postgresql",
        "the unique a2a_agents(uaid) index, and 11 VARCHAR columns without the length GA's models give them (an "
        "over-long value stored on the upgraded database is refused on a fresh install)",
    ),
    _unaccepted_consequences(
        "0.9.0",
        "1.0.0",
        "sqlite",
        "email_team_member_history(team_member_id) without GA's ON DELETE CASCADE (probed: deleting a user fails, "
        "0.9.0-to-ga-upgraded-sqlite-cannot-delete-a-user), and RC1 -> GA's two",
    ),
    _unaccepted_consequences(
        "0.9.0",
        "1.0.0",
        "postgresql",
        "JSONB for JSON in sso_providers, and RC1 -> GA's 11 column lengths and unique uaid",
    ),
    _unaccepted_consequences(
        "1.0.0",
        "1.1.0",
        "sqlite",
        "migration_metadata missing (1.1.0 maps it), 15 foreign keys and the unique tools(team_id, owner_email, name) "
        "1.1.0's models declare and only the upgraded database has, NOT NULL on one side only (what the workload "
        "probed with the same outcome on both sides is accepted: the unique servers and gateways per team, "
        "tokens(server_id), roles, a team's rows deleted with it, the *_by columns 1.1.0 hands over)",
    ),
    _unaccepted_consequences(
        "1.0.0",
        "1.1.0",
        "postgresql",
        "migration_metadata missing (1.1.0 maps it), foreign keys, the unique tools(team_id, owner_email, name), NOT "
        "NULL, defaults and column lengths on one side only (what the workload probed with the same outcome on both "
        "sides is accepted: the unique servers and gateways per team, tokens(server_id), roles, the user's deletion, "
        "a team's rows deleted with it, the *_by columns 1.1.0 hands over)",
    ),
    KnownDefect(
        "ga-to-1.1.0-no-migration-metadata",
        "GA's migrations to 1.1.0 never create migration_metadata, a table of 1.1.0's models",
        NOT_FILED,
        (
            frozenset({"UPG-01", "populated"}),
            frozenset({"fault", "read-only", "product-defect"}),
            frozenset({"fault", "credentials", "product-defect"}),
            frozenset({"fault", "lock-wait", "product-defect"}),
            frozenset({"fault", "disk-full", "product-defect"}),
        ),
        ("sqlite", "postgresql"),
        "1.0.0",
        "1.1.0",
        (Problem("new table missing", ("migration_metadata",)),),
    ),
    _ga_to_1_1_0_drift("sqlite"),
    _ga_to_1_1_0_drift("postgresql"),
    _retried_wrong(
        "rc1-to-ga-retry-inside-revision-sqlite",
        "killed inside 6 of GA's 25 revisions (after their first change), the retry reports success but leaves "
        "indexes missing, one of them unique (a2a_agents(uaid)): SQLite DDL is not transactional",
        ("1.0.0rc1", "1.0.0"),
        ("592625561893", "3f7e9d1a2b4c", "8f2e1c9b0d3a", "ffe4494639d3", "d2b501bf4262", "aa1b2c3d4e5f"),
    ),
    _retried_wrong(
        "ga-to-1.1.0-retry-inside-revision-sqlite",
        "killed inside 3 of 1.1.0's revisions (after their first change), the retry leaves indexes and a NOT NULL a "
        "clean upgrade does not have (password_history, a2a_agent_plugin_bindings, email_users.id); killed inside "
        "9fb98535724d or 5e211ec89cad (batch rebuilds of tool_metrics, email_users) it fails, table "
        "_alembic_tmp_<table> already exists, and the database stays below 1.1.0's head",
        ("1.0.0", "1.1.0"),
        ("9fb98535724d", "351b43e1d273", "b29af8761e97", "0a089912b5f0", "5e211ec89cad"),
    ),
    _retried_wrong(
        "1.0.9-to-1.1.0-retry-inside-revision-sqlite",
        "killed inside 5e211ec89cad (its email_users rebuild), the retry fails: table _alembic_tmp_email_users "
        "already exists, and the database stays at 1.0.9's head until someone drops it by hand",
        ("1.0.9", "1.1.0"),
        ("5e211ec89cad",),
    ),
    KnownDefect(
        "ga-index-check-hides-a-cut-connection",
        "GA's upgrade whose connection is ended inside revision 20a0e0538ac5 (composite indexes on the metrics "
        "tables) fails with 'PendingRollbackError: Can't reconnect until invalid transaction is rolled back', not with "
        "the server's 'terminating connection': the revision's _index_exists() catches every exception and answers "
        "'no index', so the next CREATE INDEX meets the dead transaction. The operator is told nothing about the cut; "
        "the database still stays at RC1's head and the retry ends like a clean upgrade",
        NOT_FILED,
        (frozenset({"fault", "terminated", "product-defect"}),),
        ("postgresql",),
        "1.0.0rc1",
        "1.0.0",
        (Problem("ended connection not a clean failure", ("20a0e0538ac5",)),),
    ),
    KnownDefect(
        "1.0.9-to-1.1.0-killed-replica-leaves-email-users-rebuild-sqlite",
        "a 1.1.0 replica killed while it migrates a 1.0.9 database (inside 5e211ec89cad, the batch rebuild of "
        "email_users) leaves _alembic_tmp_email_users behind: every gateway started after it, the killed one's "
        "restart included, fails its migration ('table _alembic_tmp_email_users already exists') and exits, and the "
        "database stays at 1.0.9's head until someone drops that table by hand. Intermittent: the kill is sent when "
        "the revision's start is logged; measured, it lands inside the rebuild in 2 of 6 runs (otherwise before its "
        "first statement, and the restart migrates cleanly). UPG-07 kills inside that revision exactly and always sees "
        "it",
        NOT_FILED,
        (frozenset({"hazard", "killed-migration", "product-defect"}),),
        ("sqlite",),
        "1.0.9",
        "1.1.0",
        (
            Problem(
                "check failed",
                (
                    "2 latest gateways started at once, the migrating one killed",
                    "every gateway is ready (the killed one after its restart)",
                ),
            ),
            Problem(
                "check failed",
                (
                    "2 latest gateways started at once, the migrating one killed",
                    "exactly one gateway ran the migration after the kill",
                ),
            ),
            Problem("database at another head", ("12d4a0c7789c",)),
            Problem("migration failed after the kill", ("table _alembic_tmp_email_users already exists",)),
            Problem("step failed", ("all existing data should be preserved",)),
            Problem("step failed", ("the schema matches a fresh latest install apart from its declared drift",)),
        ),
        intermittent=True,
    ),
    *CONSEQUENCES,
    KnownDefect(
        "1.1.0-downgrade-to-ga-leaves-global-unique-names",
        "1.1.0's Alembic downgrade to GA creates unique constraints GA's schema never had (and its models do not "
        "declare): one name per tool, prompt and server, one URI per resource, one slug and one URL per gateway, one "
        "OAuth token per gateway and user, across all teams; after the rollback GA refuses a second object of the "
        "same name that it stored before the upgrade",
        NOT_FILED,
        (frozenset({"UPG-04", "product-defect"}),),
        ("sqlite", "postgresql"),
        "1.0.0",
        "1.1.0",
        tuple(
            Problem("behaves differently", (f"unique {key}",))
            for key in (
                "gateways(slug)",
                "gateways(url)",
                "oauth_tokens(gateway_id, user_id)",
                "prompts(name)",
                "resources(uri)",
                "servers(name)",
                "tools(name)",
            )
        ),
    ),
    KnownDefect(
        "ga-downgrade-strips-team-admin-token-rights",
        "GA's Alembic downgrade to RC1 removes tokens.create/read/update/revoke from the team_admin role, which "
        "RC1 granted before the upgrade: RC1's team admins can no longer manage their tokens after the rollback",
        NOT_FILED,
        (frozenset({"UPG-04", "product-defect"}),),
        ("sqlite", "postgresql"),
        "1.0.0rc1",
        "1.0.0",
        (Problem("value changed", ("sql", "roles", "name=team_admin", "permissions")),),
    ),
    KnownDefect(
        "0.9-to-ga-direct-and-through-rc1-disagree-postgresql",
        "on PostgreSQL the two upgrade paths give different databases: through RC1 a 0.9 prompt's original_name, "
        "custom_name and display_name become its slug (upgrade-prompt-1), straight to GA they keep its name "
        "(upgrade_prompt_1); on SQLite both paths keep it",
        NOT_FILED,
        (frozenset({"UPG-05", "path-through", "product-defect"}),),
        ("postgresql",),
        "0.9.0",
        "1.0.0",
        tuple(
            Problem("value changed", ("sql", "prompts", f"name=upgrade-prompt-{n}", column))
            for n in (1, 2)
            for column in ("original_name", "custom_name", "display_name")
        ),
    ),
    KnownDefect(
        "ga-refuses-rc1-default-token-expiry",
        "GA exits at start on RC1's own default TOKEN_EXPIRY=10080 (GA's limit is 1440)",
        NOT_FILED,
        (frozenset({"hazard", "configuration", "product-defect"}),),
        ("sqlite", "postgresql"),
        "1.0.0rc1",
        "1.0.0",
        (
            Problem("refused the old settings", ("TOKEN_EXPIRY",)),
            Problem("new error with the old settings", ()),
        ),
    ),
    KnownDefect(
        "rc1-on-ga-database-reports-healthy",
        "RC1 started on a GA-head database without a downgrade starts and reports healthy; only its log says "
        '"Can\'t locate revision"',
        NOT_FILED,
        (frozenset({"hazard", "rollback", "product-defect"}),),
        ("sqlite", "postgresql"),
        "1.0.0rc1",
        "1.0.0",
        (Problem("check failed", ("Old release started on an upgraded database", "refused, or reported unhealthy")),),
    ),
)


def declared_for(tags: Iterable[str], engine: str, old: str, new: str) -> list[KnownDefect]:
    """The declarations that apply to a scenario."""
    tags = set(tags)
    return [defect for defect in DEFECTS if defect.applies(tags, engine, old, new)]
