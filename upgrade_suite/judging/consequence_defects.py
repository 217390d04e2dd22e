"""The known defects the workload proved on the running releases: what users meet after an upgrade.

Each is a user operation (``client/workload.py``) that ends one way on an upgraded database and another on a fresh
install of the same release holding the same objects, measured through the API on both engines (2026-12-07), with
the schema difference that causes it. Kept apart from ``declarations`` (which includes them) because they are the
consequences a release manager reads first, and grow as the workload reaches further.
"""

from __future__ import annotations

from upgrade_suite.client.people import SHOW_THEIR_TEAM
from upgrade_suite.judging.known_defects import NOT_FILED, KnownDefect
from upgrade_suite.judging.operations import OUTCOME_DIFFERS
from upgrade_suite.judging.problems import Problem
from upgrade_suite.judging.row_probes import WRITE_DIFFERS

#: Every engine, where a defect is the same on both.
BOTH = ("sqlite", "postgresql")
#: The read-backs of what the platform admin shared with a personal team, after its owner (and so it) was deleted.
SHARED_WITH_THE_DELETED_TEAM = tuple(f"the {kind} shared with the deleted personal team" for kind in SHOW_THEIR_TEAM)


def _proven(
    name: str, reason: str, engines: tuple[str, ...], old: str, new: str, operations: tuple[str, ...]
) -> KnownDefect:
    """A defect the workload proved: ``operations`` (and the end states, "<what> left afterwards") end differently
    on the upgraded database of ``old -> new`` than on a fresh ``new``."""
    return _declared(
        name, f"{reason}; measured through the API by the workload", OUTCOME_DIFFERS, engines, old, new, operations
    )


def _written(
    name: str, reason: str, engines: tuple[str, ...], old: str, new: str, writes: tuple[str, ...]
) -> KnownDefect:
    """A defect proven in SQL on a table no user operation reaches (``row_probes``): ``writes`` end differently on
    the upgraded database of ``old -> new`` than on a fresh ``new``."""
    how = "proven by writes in SQL on both databases, rolled back, since no user operation reaches these tables"
    return _declared(name, f"{reason}; {how}", WRITE_DIFFERS, engines, old, new, writes)


def _declared(
    name: str, reason: str, kind: str, engines: tuple[str, ...], old: str, new: str, keys: tuple[str, ...]
) -> KnownDefect:
    return KnownDefect(
        name,
        reason,
        NOT_FILED,
        (frozenset({"UPG-01", "consequence", "product-defect"}),),
        engines,
        old,
        new,
        tuple(Problem(kind, (key,)) for key in keys),
    )


#: The writes of an A2A agent's task a length decides (``row_probes``): ids of 255 characters, states of 50.
A2A_TASK_LENGTHS = (
    "storing an a2a_tasks row whose context_id has 256 characters",
    "storing an a2a_tasks row whose task_id has 256 characters",
    "storing an a2a_tasks row whose state has 51 characters",
    "storing a server_task_mappings row whose agent_task_id has 256 characters",
    "storing a server_task_mappings row whose server_task_id has 256 characters",
    "storing a server_task_mappings row whose status has 51 characters",
)

CONSEQUENCES: tuple[KnownDefect, ...] = (
    *(
        _proven(
            f"{old}-to-ga-upgraded-refuses-a-second-agent-of-one-uaid",
            "GA's migrations create a unique index on a2a_agents(uaid) that GA's models do not declare: the same A2A "
            "agent registered with a generated UAID (its name and endpoint hash into it) in a second team is refused "
            "(409) on an upgraded database and stored (201) on a fresh GA install",
            BOTH,
            old,
            "1.0.0",
            ("register the same agent (so the same UAID) in another team", "delete A2A agent B"),
        )
        for old in ("0.9.0", "1.0.0rc1")
    ),
    _proven(
        "1.1.0-upgraded-stores-a-second-agent-of-one-uaid",
        "a GA database upgraded to 1.1.0 lacks the unique index on a2a_agents(uaid) a fresh 1.1.0 install has (GA's "
        "migrations made one, 1.1.0's drop it): the same A2A agent registered with a generated UAID in a second team "
        "is stored (201) on the upgraded database and refused (409) on a fresh install, the reverse of GA, where the "
        "upgraded database refused it; 1.1.0 looks an agent up by its UAID expecting one row (invoking by UAID), "
        "which two agents of one UAID break (not probed: the workload invokes no agent). Measured with "
        "UAID_ALLOW_ALL_DOMAINS=true and an endpoint without a path, since 1.1.0 refuses a generated UAID otherwise",
        BOTH,
        "1.0.0",
        "1.1.0",
        ("register the same agent (so the same UAID) in another team", "delete A2A agent B"),
    ),
    _proven(
        "1.1.0-fresh-and-upgraded-disagree-on-a-tool-name-in-a-team",
        "a GA database upgraded to 1.1.0 has 1.1.0's unique (team, owner, name) of tools and a fresh 1.1.0 install "
        "does not: a second tool of the same name in the same team is refused (409) after the upgrade and stored on "
        "a fresh install, which then refuses renaming the first (400)",
        BOTH,
        "1.0.0",
        "1.1.0",
        ("create a second tool of the same name in the same team", "rename the tool", "tools left afterwards"),
    ),
    _proven(
        "0.9.0-to-ga-upgraded-sqlite-cannot-delete-a-user",
        "on a GA database upgraded from 0.9.0 on SQLite an administrator cannot delete a user: DELETE "
        "/auth/email/admin/users/<email> answers 500 (FOREIGN KEY constraint failed, deleting the memberships of the "
        "user's personal team, which every user gets), because 0.9.0's migrations leave "
        "email_team_member_history(team_member_id) without the ON DELETE CASCADE of a fresh GA and GA runs SQLite with "
        "foreign keys on; the user, their memberships, roles and token stay, and the token keeps answering (200, "
        "where a fresh GA answers 401). No user can be deleted: a second administrator, a co-owner of a team and a "
        "user in no team but their own are refused alike (500), so the team an administrator made, the personal team "
        "and what the platform admin shared with it stay",
        ("sqlite",),
        "0.9.0",
        "1.0.0",
        (
            "delete the user",
            "the deleted user's API token lists the tools",
            "rows naming the deleted user left afterwards",
            "delete the second administrator",
            "rows naming the administrator's deleted team right after",
            "the team the deleted administrator made",
            "rows naming the deleted administrator left afterwards",
            "rows naming the administrator's deleted team left afterwards",
            "teams left afterwards",
            "delete the owner, and with them their personal team",
            *SHARED_WITH_THE_DELETED_TEAM,
            "rows naming the deleted owner left afterwards",
            "rows naming the owner's deleted personal team left afterwards",
            "delete the co-owner who added a member",
            "rows naming the deleted co-owner left afterwards",
        ),
    ),
    _proven(
        "1.1.0-fresh-sqlite-cannot-delete-a-member-of-a-team-another-made",
        "a fresh 1.1.0 install on SQLite refuses deleting a user who is or was a member of a team someone else made "
        "(409, 'Cannot delete user due to existing references'): the membership's history rows reference it through "
        "email_team_member_history(team_member_id), which lacks the ON DELETE CASCADE 1.1.0's models declare, and "
        "1.1.0 turns SQLite's foreign keys on; a GA database upgraded to 1.1.0 has the cascade and deletes the user. "
        "Met twice: a user added to a team and removed from it, and a co-owner still in the team who added a member "
        "to it. A user in no team but their own, and an administrator in only the team they made, are deleted on "
        "both. The first user's request to join a team that was deleted meanwhile stays with them on the fresh "
        "install, naming the deleted team",
        ("sqlite",),
        "1.0.0",
        "1.1.0",
        (
            "delete the user",
            "rows naming the deleted user left afterwards",
            "rows naming the administrator's deleted team left afterwards",
            "delete the co-owner who added a member",
            "rows naming the deleted co-owner left afterwards",
        ),
    ),
    _proven(
        "1.1.0-upgraded-cannot-delete-an-sso-provider-a-sign-in-was-started-with",
        "on a GA database upgraded to 1.1.0 an SSO provider cannot be deleted once a sign-in was started with it and "
        "not finished (409; a user who closed the provider's page leaves one, and 1.1.0 deletes such a session only "
        "when its callback comes): the session row references the provider through "
        "sso_auth_sessions(provider_id), a foreign key 1.1.0's models declare and the upgraded database has, and "
        "1.1.0 deletes the provider without its sessions; a fresh 1.1.0 install lacks the foreign key, deletes the "
        "provider (200) and keeps the session naming it",
        BOTH,
        "1.0.0",
        "1.1.0",
        ("delete the SSO provider a sign-in was started with", "the SSO provider after its deletion"),
    ),
    _proven(
        "1.1.0-fresh-keeps-the-id-of-a-deleted-personal-team",
        "deleting a user deletes their personal team; what an administrator shared with that team (a tool, a "
        "server, a gateway, an A2A agent, a prompt, a resource) keeps the deleted team's id on a fresh 1.1.0 "
        "install, which lacks the foreign keys to email_teams(id) with ON DELETE SET NULL that 1.1.0's models "
        "declare, and loses its team (team_id null) on a GA database upgraded to 1.1.0, which has them; read back "
        "through the API (team_id set against empty) and counted in the database",
        BOTH,
        "1.0.0",
        "1.1.0",
        (*SHARED_WITH_THE_DELETED_TEAM, "rows naming the owner's deleted personal team left afterwards"),
    ),
    _proven(
        "1.0.4-to-1.1.0-upgraded-keeps-unique-names-over-all-teams",
        "a 1.0.4 database upgraded to 1.1.0 keeps 1.0.4's unique constraints over all teams on tools(name), "
        "servers(name), gateways(slug) and gateways(url), which 1.1.0's models do not declare and a fresh 1.1.0 "
        "install lacks: a tool, a server or a gateway named as one in another team, and a gateway at a URL another "
        "team uses, are refused (409) after the upgrade and stored on a fresh install; a second tool of the same "
        "name in the same team is refused there too (stored on a fresh install, which then refuses renaming the "
        "first, 400)",
        BOTH,
        "1.0.4",
        "1.1.0",
        (
            "create a second tool of the same name in the same team",
            "create a tool of the same name in another team",
            "rename the tool",
            "create a server of the same name in another team",
            "register a gateway of the same name in another team",
            "register a gateway at the same URL in another team",
            *(f"{kind} left afterwards" for kind in ("gateways", "prompts", "resources", "servers", "tools")),
        ),
    ),
    _proven(
        "1.1.0-upgraded-postgresql-refuses-urls-over-767-characters",
        "on PostgreSQL a GA database upgraded to 1.1.0 keeps GA's VARCHAR(767) on tools.url, servers.icon and "
        "gateways.url, where a fresh 1.1.0 has no length: a tool with an 800-character URL, a server with an "
        "800-character icon URL and a gateway at an 800-character URL (1.1.0 accepts all three) fail on the upgraded "
        "database (400, 'an unexpected error occurred') and are stored on a fresh install; names over 255 characters "
        "1.1.0 refuses itself (422) on both, and SQLite ignores lengths",
        ("postgresql",),
        "1.0.0",
        "1.1.0",
        (
            "create a tool with an 800-character URL",
            "create a server with an 800-character icon URL",
            "register a gateway at an 800-character URL",
            *(f"{kind} left afterwards" for kind in ("gateways", "prompts", "resources", "servers")),
        ),
    ),
    _proven(
        "1.1.0-upgraded-postgresql-refuses-a-tool-auth-type-over-20-characters",
        "on PostgreSQL a GA database upgraded to 1.1.0 keeps GA's VARCHAR(20) on tools.auth_type, where a fresh 1.1.0 "
        "has no length, and 1.1.0 does not check a tool's auth type (a gateway's and an agent's it refuses itself, "
        "422, on both): a tool whose auth object names a 21-character type fails on the upgraded database (400, 'an "
        "unexpected error occurred') and is stored on a fresh install; GA refused it too, so only what 1.1.0 newly "
        "accepts is lost",
        ("postgresql",),
        "1.0.0",
        "1.1.0",
        ("create a tool with a 21-character auth type",),
    ),
    _proven(
        "1.1.0-fresh-keeps-join-requests-to-a-deleted-team",
        "deleting an administrator deletes the public team only they were in; the requests to join it (one turned "
        "down by them, one pending) stay on a fresh 1.1.0 install naming the deleted team, which lacks the ON DELETE "
        "CASCADE of email_team_join_requests(team_id) that 1.1.0's models declare, and are removed with the team on "
        "a GA database upgraded to 1.1.0, which has it; read in the database right after the deletion",
        BOTH,
        "1.0.0",
        "1.1.0",
        ("rows naming the administrator's deleted team right after",),
    ),
    *(
        _written(
            f"{old}-to-ga-upgraded-postgresql-stores-a2a-task-ids-a-fresh-ga-refuses",
            "on PostgreSQL a database upgraded to GA has a2a_tasks and server_task_mappings without the lengths GA's "
            "models declare and a fresh GA install has (task_id, context_id, agent_task_id and server_task_id 255, "
            "state and status 50): a task id over 255 characters or a state over 50 that an A2A agent answers is "
            "stored after the upgrade and refused on a fresh GA install",
            ("postgresql",),
            old,
            "1.0.0",
            A2A_TASK_LENGTHS,
        )
        for old in ("0.9.0", "1.0.0rc1")
    ),
    _written(
        "1.1.0-upgraded-postgresql-refuses-a2a-task-ids-over-255-characters",
        "on PostgreSQL a GA database upgraded to 1.1.0 keeps GA's lengths on a2a_tasks and server_task_mappings "
        "(ids 255, states 50), as 1.1.0's models declare them, where a fresh 1.1.0 install (its own migrations) has "
        "none: a task id over 255 characters or a state over 50 that an A2A agent answers is refused after the "
        "upgrade and stored on a fresh install; the reverse of GA",
        ("postgresql",),
        "1.0.0",
        "1.1.0",
        A2A_TASK_LENGTHS,
    ),
    _written(
        "1.1.0-upgraded-postgresql-refuses-session-ids-over-255-characters",
        "on PostgreSQL a GA database upgraded to 1.1.0 keeps VARCHAR(255) on mcp_sessions.session_id and "
        "mcp_messages.session_id, where a fresh 1.1.0 install has no length: with the database session cache, a "
        "session id over 255 characters is refused after the upgrade and stored on a fresh install",
        ("postgresql",),
        "1.0.0",
        "1.1.0",
        (
            "storing a mcp_sessions row whose session_id has 256 characters",
            "storing a mcp_messages row whose session_id has 256 characters",
        ),
    ),
    _written(
        "1.1.0-upgraded-stores-an-audit-entry-without-a-resource",
        "a GA database upgraded to 1.1.0 lets audit_trails.resource_id be NULL, as 1.1.0's models declare it, where "
        "a fresh 1.1.0 install (its own migrations) has NOT NULL: with the audit trail on, an entry without a "
        "resource id is stored after the upgrade and refused on a fresh install",
        BOTH,
        "1.0.0",
        "1.1.0",
        ("storing an audit_trails row whose resource_id is NULL",),
    ),
    _written(
        "1.1.0-upgraded-refuses-toolops-test-cases-without-a-run-status",
        "a GA database upgraded to 1.1.0 keeps NOT NULL on toolops_test_cases.run_status and test_cases, as 1.1.0's "
        "models declare them, where a fresh 1.1.0 install lets them be NULL: a ToolOps test case stored without a "
        "run status or its cases is refused after the upgrade and stored on a fresh install",
        BOTH,
        "1.0.0",
        "1.1.0",
        (
            "storing a toolops_test_cases row whose run_status is NULL",
            "storing a toolops_test_cases row whose test_cases is NULL",
        ),
    ),
    _written(
        "1.1.0-upgraded-refuses-deleting-a-user-an-approval-or-a-sign-in-names",
        "a GA database upgraded to 1.1.0 keeps GA's foreign keys of pending_user_approvals(approved_by) and "
        "sso_auth_sessions(user_email) to email_users, which a fresh 1.1.0 install lacks: deleting a user who "
        "approved a pending sign-up, or whose single sign-on session is recorded, is refused by the upgraded "
        "database and done on a fresh one, leaving those rows naming nobody; 1.1.0's own user deletion clears both "
        "first (read in its source, not run: only an identity provider's callback writes these rows), so what "
        "differs is a deletion by any other way, an operator's SQL or a clean-up job",
        BOTH,
        "1.0.0",
        "1.1.0",
        (
            "deleting the row a pending_user_approvals row's approved_by refers to",
            "deleting the row a sso_auth_sessions row's user_email refers to",
        ),
    ),
)
