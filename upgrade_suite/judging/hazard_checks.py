"""Checks of the upgrade-day hazards (replicas racing or killed, the old release on the new schema,
what users hold, settings carried over), each returning a Checklist like those in ``checks``.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine

from upgrade_suite.client.auth import Answer, AuthObservation, Credentials
from upgrade_suite.judging.carryover import STARTED, CarriedStart, CarryOver, SettingsModel
from upgrade_suite.judging.checks import Checklist
from upgrade_suite.releases.specs import Release
from upgrade_suite.services.database import stamped_revisions
from upgrade_suite.services.gateway import MIGRATION_FAILURE, migration_error
from upgrade_suite.services.replicas import KilledReplica


def migrated_once(engine: Engine, release: Release, logs: list[str]) -> Checklist:
    """Gateways started together: one migration ran, the head is stamped once, no log shows a failure."""
    result = Checklist(f"{len(logs)} {release.spec.alias} gateways started at once")
    result.check(
        f"alembic_version is {release.spec.alias}'s head, once",
        stamped_revisions(engine) == [release.head],
        f"{stamped_revisions(engine)}",
    )
    migrating = [index for index, log in enumerate(logs, 1) if "Running upgrade" in log]
    result.check(
        "exactly one gateway ran the migration",
        len(migrating) == 1,
        f"gateways that logged 'Running upgrade': {migrating}",
    )
    failed = [index for index, log in enumerate(logs, 1) if MIGRATION_FAILURE.search(log)]
    result.check("no gateway logged a migration failure", not failed, f"gateways: {failed}")
    return result


def migrated_once_after_kill(
    engine: Engine, release: Release, killed: KilledReplica | None, outcomes: list[str], logs_after_kill: list[str]
) -> Checklist:
    """The migrating replica killed half-way: the others (or its restart) finish the job once, and all come up.

    ``outcomes``: what each gateway did, the killed one's being its restart; ``logs_after_kill``:
    the survivors' logs and the restarted gateway's log since it was started again.
    """
    result = Checklist(f"{len(outcomes)} {release.spec.alias} gateways started at once, the migrating one killed")
    interrupted = killed is not None and not killed.missed(release.head)
    result.check(
        "a gateway was killed while it migrated (before the head was stamped)",
        interrupted,
        killed.render() if killed else "no gateway reached the revision the kill waited for",
    )
    result.check(
        "every gateway is ready (the killed one after its restart)",
        bool(outcomes) and all(o == STARTED for o in outcomes),
        "; ".join(f"gateway {i} {o}" for i, o in enumerate(outcomes, 1)),
    )
    stamped = stamped_revisions(engine)
    result.check(
        f"alembic_version is {release.spec.alias}'s head, once",
        stamped == [release.head],
        f"{stamped}",
        ("database at another head", *stamped),
    )
    migrating = [index for index, log in enumerate(logs_after_kill, 1) if "Running upgrade" in log]
    result.check(
        "exactly one gateway ran the migration after the kill",
        len(migrating) == 1,
        f"gateways that logged 'Running upgrade' after it: {migrating}",
    )
    failed = {index: error for index, log in enumerate(logs_after_kill, 1) if (error := migration_error(log))}
    result.check(
        "no gateway logged a migration failure after the kill",
        not failed,
        f"{failed}",
        ("migration failed after the kill", *sorted(set(failed.values()))),
    )
    return result


def refuses_newer_database(outcome: str, log_failures: list[str]) -> Checklist:
    """An old release on a database a newer one migrated must refuse it or say it is unhealthy."""
    result = Checklist("Old release started on an upgraded database")
    result.check(
        "refused, or reported unhealthy",
        outcome != "started and reported healthy",
        f"it {outcome}; its log: {' | '.join(log_failures[:2]) or 'nothing about the schema'}",
    )
    return result


def passwords_sign_in(held: Credentials, seen: AuthObservation) -> Checklist:
    """The admin and the regular user log in with the passwords they had, as themselves."""
    result = Checklist("Password logins")
    for who, email, admin in (("admin", held.admin_email, True), ("user", held.user_email, False)):
        answer = seen.logins.get(who, Answer(0))
        ok = answer.status == 200 and answer.email == email and answer.is_admin is admin
        result.check(
            f"{who} {email} logs in with the password set before",
            ok,
            answer.render() + ("" if ok else f"; expected HTTP 200 as {email} (is_admin={admin})"),
        )
    return result


def credentials_authenticate(held: Credentials, seen: AuthObservation) -> Checklist:
    """Every bearer credential issued before (JWTs, API token) still opens its holder's session."""
    result = Checklist("Tokens and JWTs issued before")
    for name in held.bearer_tokens:
        answer, holder = seen.bearers.get(name, Answer(0)), held.holder(name)
        result.check(
            f"{name} opens {holder}'s session", answer.status == 200 and answer.email == holder, answer.render()
        )
    return result


def revoked_stays_refused(seen: AuthObservation) -> Checklist:
    """A token revoked before is refused everywhere it is presented (401 or 403, never served)."""
    result = Checklist("Token revoked before")
    for call, status in sorted(seen.revoked.items()):
        result.check(f"{call} refuses it", status in (401, 403), f"HTTP {status}")
    return result


def memberships_and_roles_kept(held: Credentials, seen: AuthObservation) -> Checklist:
    """The team's members keep their team roles and the user keeps every RBAC role; additions are shown."""
    result = Checklist("Team memberships and roles")
    lost = sorted(held.memberships - seen.memberships)
    result.check(
        f"all {len(held.memberships)} memberships of team {held.team_id} with their roles",
        bool(held.memberships) and not lost,
        f"lost or changed: {lost}; now {sorted(seen.memberships)}"
        if lost
        else ", ".join(f"{e}={r}" for e, r in sorted(held.memberships)),
    )
    lost_roles = sorted(held.user_roles - seen.user_roles)
    added = sorted(seen.user_roles - held.user_roles)
    result.check(
        f"all {len(held.user_roles)} RBAC roles of {held.user_email}",
        bool(held.user_roles) and not lost_roles,
        f"lost: {lost_roles}" if lost_roles else f"added since: {added}" if added else "none added",
    )
    for note in seen.notes:
        result.check("every read succeeded", False, note)
    return result


def starts_with_old_settings(start: CarriedStart) -> Checklist:
    """The new release comes up with the old deployment's settings, logging no error it does not log without them."""
    carry = start.carry_over
    in_mode = f" in {start.mode} mode" if start.mode else ""
    result = Checklist(f"{carry.new} started{in_mode} with every setting of {carry.old}")
    refused = (
        "; ".join(f"{name}={why}" for name, why in sorted(carry.refused.items()) if name in start.carried)
        or "none of them"
    )
    result.check(
        f"started with {len(start.carried)} settings of {carry.old} in its environment",
        start.outcome == STARTED,
        f"it {start.outcome}"
        + (
            f"; its log ends: {start.log_tail}; its settings models refuse {refused}"
            if start.outcome != STARTED
            else ""
        ),
        ("refused the old settings", *sorted(name for name in carry.refused if name in start.carried)),
    )
    result.check(
        "started without them on the same data (the comparison's reference)",
        start.plain_outcome == STARTED,
        f"it {start.plain_outcome}",
    )
    errors = start.new_errors
    result.check(
        "no error it does not also log without them",
        not errors,
        " | ".join(errors[:5]) if errors else "",
        ("new error with the old settings",),
    )
    return result


def settings_compared(carry: CarryOver, old: SettingsModel, saved: Path) -> Checklist:
    """Both settings models were read, the old one written out, and the comparison saved for the runbook."""
    result = Checklist(f"Settings of {carry.old} compared with {carry.new}")
    result.check(f"{carry.old}'s settings models read", carry.old_count > 0, f"{carry.old_count} variables")
    result.check(f"{carry.new}'s settings models read", carry.new_count > 0, f"{carry.new_count} variables")
    result.check(
        f"{carry.old}'s settings written out as an environment it reads back",
        bool(old.environment),
        f"{len(old.environment)} variables; not writable: {len(old.not_representable)} "
        f"({', '.join(sorted(old.not_representable)[:5])} ...)",
    )
    result.check(
        "the comparison is saved for the runbook",
        saved.is_file() and json.loads(saved.read_text()).get("new") == carry.new,
        f"{saved}: {len(carry.renamed)} renamed, {len(carry.dropped)} dropped, {len(carry.moved)} moved, "
        f"{len(carry.default_changed)} defaults changed",
    )
    return result
