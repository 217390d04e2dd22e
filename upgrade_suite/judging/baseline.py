"""``make baseline``: record which of a release pair's schema differences a person accepts, each for its own reason.

The only writer of ``upgrade_suite/judging/baselines/``: a test run never writes a baseline, or the gate
would declare whatever it happened to see. The drift is measured as the scenarios judge it (an
empty database given the old release's own bootstrap_db, then the new release's ``alembic upgrade
head``, against a fresh install of the new release) and triaged by its consequences with the new release's
models. Only what "breaks" or "behaves differently" needs accepting; each such line needs a reason written for
it, after its consequence was probed, so the command works in two steps:

    python -m upgrade_suite.judging.baseline --from 1.0.0 --to 1.1.0 --db sqlite [--out DIR]
        writes DIR/<baseline>.draft: each line to accept, its consequence above it, its reason empty;
    python -m upgrade_suite.judging.baseline ... --reasons DIR/<baseline>.draft [--force]
        writes the baseline when every line has a reason of its own (a reason shared by lines is refused).

It never overwrites a baseline unless asked (``--force``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from packaging.version import Version

from upgrade_suite.base.config import Timeouts, default_cache_dir
from upgrade_suite.base.errors import SuiteError
from upgrade_suite.judging.drift import JUDGED
from upgrade_suite.judging.model_facts import read_models
from upgrade_suite.judging.schema import (
    BASELINES,
    REASON_MARK,
    Baseline,
    DriftEntry,
    bootstrap_fresh,
    count_nulls,
    format_baseline,
    fresh_install,
    parity,
    read_baseline,
)
from upgrade_suite.judging.triage import Triage, null_questions, triage
from upgrade_suite.releases.pypi import PyPIReleases
from upgrade_suite.releases.specs import Release, ReleaseSpec, public_version, resolve
from upgrade_suite.releases.venvs import ReleaseCache, writable_cache
from upgrade_suite.services.database import Database, PostgresServer, new_database
from upgrade_suite.services.gateway import GatewaySecrets, gateway_environment
from upgrade_suite.services.migrations import Migrations

ENGINES = ("sqlite", "postgresql")


@dataclass(frozen=True)
class Request:
    """What the person asked for, checked before anything is installed."""

    old: str
    new: str
    engine: str
    reasons: Path | None  # None: write the draft
    out: Path
    force: bool


def parse(argv: list[str]) -> Request:
    """The command line as a Request; a missing REASON (or version, or engine) is one line saying so."""
    parser = argparse.ArgumentParser(prog="make baseline", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--from", dest="old", default="", help="the old release: a version, wheel or source dir (FROM=)"
    )
    parser.add_argument("--to", dest="new", default="", help="the new release (TO=)")
    parser.add_argument("--db", dest="engine", default="", help="sqlite or postgresql (DB=)")
    parser.add_argument(
        "--reasons", type=Path, default=None, help="the draft with a reason written on each line (REASONS=)"
    )
    parser.add_argument(
        "--out", type=Path, default=BASELINES, help="directory to write into (OUT=; default: the suite's baselines)"
    )
    parser.add_argument("--force", action="store_true", help="replace an existing baseline file (FORCE=1)")
    args = parser.parse_args(argv)
    for value, name in ((args.old, "FROM"), (args.new, "TO")):
        if not value.strip():
            raise SuiteError(
                f'{name}=<version> is required, e.g. make baseline FROM=1.0.0 TO=1.1.0 DB=sqlite REASON="..."'
            )
    if args.engine not in ENGINES:
        raise SuiteError(f"DB={args.engine or '<unset>'}: give DB=sqlite or DB=postgresql")
    if args.reasons is not None and not args.reasons.is_file():
        raise SuiteError(f"REASONS={args.reasons}: no such file (write the draft first: make baseline without REASONS)")
    return Request(args.old.strip(), args.new.strip(), args.engine, args.reasons, args.out, args.force)


def destination(request: Request, old_version: str, new_version: str) -> Baseline:
    """The file to write; refused for a local build (its drift is its base release's) or an existing file without
    force."""
    for version, name in ((old_version, "FROM"), (new_version, "TO")):
        base = public_version(version)  # also refuses a version that is not PEP 440
        if Version(version).local is not None:
            raise SuiteError(
                f"{name} is a local build ({version}): a baseline declares a release's drift; record it from "
                f"{base} (local builds are judged against their base release's file)"
            )
    baseline = Baseline(old_version, new_version, request.engine, request.out)
    if request.reasons is not None and baseline.path.exists() and not request.force:
        raise SuiteError(f"{baseline.path} exists: review it, or replace it with FORCE=1")
    return baseline


def header(old: Release, new: Release, request: Request) -> list[str]:
    """What the file says about itself: how it was measured, when, and that a person gave the reason."""
    return [
        f"Known schema drift of {new.version} from {old.version} on {request.engine}: an empty database given",
        f"{old.version}'s bootstrap_db (create_all + stamp), then {new.version}'s alembic upgrade head, vs a fresh "
        f"{new.version} install.",
        f"Recorded {time.strftime('%Y-%m-%d')} by `make baseline FROM={old.version} TO={new.version} "
        f"DB={request.engine}` for a person",
        "to review and commit. Only what breaks or behaves differently is listed, one difference a line, each with",
        "the reason a person wrote for it after probing its consequence; the loader refuses an entry without one",
        "and a reason given to several. Any such difference not listed fails the gate, and so does a listed one",
        "that no longer occurs.",
        f"Installed: {old.spec.requirement} and {new.spec.requirement}, dependencies as of their release days.",
    ]


def draft(baseline: Baseline, consequences: Triage, lines: list[str]) -> Path:
    """``<baseline>.draft`` beside where the baseline goes: each line to accept under its consequence, reason empty."""
    path = baseline.path.with_suffix(".draft")
    body = [
        f"# {c.klass}: {c.says}\n{c.difference.text}{REASON_MARK}\n"
        for c in consequences.consequences
        if c.klass in JUDGED
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"# {text}\n" for text in lines) + "\n".join(body))
    return path


def write(request: Request, baseline: Baseline, consequences: Triage, lines: list[str]) -> list[DriftEntry]:
    """The baseline of the lines the person accepts, each with the reason they wrote for it in ``request.reasons``.

    A line deleted from the draft is not accepted: it stays red (fixed by the product, or declared a known defect
    by its consequence), which is how most lines should end. Refused when a kept line has no reason or shares one
    (``read_baseline``), or when the file gives reasons for lines that no longer break or behave differently (it
    was written for another measurement).
    """
    assert request.reasons is not None
    given = {entry.line: entry for entry in read_baseline(request.reasons)}
    wanted = [c.difference.text for c in consequences.consequences if c.klass in JUDGED]
    stale = sorted(set(given) - set(wanted))
    if stale:
        raise SuiteError(
            f"{request.reasons}: {len(stale)} reason(s) are for lines this measurement does not ask about, e.g. "
            f"{stale[0][:120]} (write a fresh draft)"
        )
    if not given:
        raise SuiteError(f"{request.reasons}: no line has a reason, so nothing would be accepted (no baseline written)")
    entries = [given[line] for line in wanted if line in given]
    baseline.path.parent.mkdir(parents=True, exist_ok=True)
    baseline.path.write_text(format_baseline(entries, lines))
    return entries


def measure(old: Release, new: Release, engine: str, workdir: Path, timeout: float) -> Triage:
    """``old`` bootstrapped fresh and migrated by ``new``'s Alembic, against a fresh install of ``new``, triaged with
    ``new``'s models and the migrated database's own data."""
    secrets = GatewaySecrets()
    with ExitStack() as stack:
        servers: list[PostgresServer] = []

        def server() -> PostgresServer:  # embedded PostgreSQL, started only for DB=postgresql
            if not servers:
                servers.append(stack.enter_context(PostgresServer()))
            return servers[0]

        def environment(release: Release, database: Database) -> dict[str, str]:
            return gateway_environment(release, database.url_for(release), secrets, workdir)

        fresh_db = stack.enter_context(new_database(engine, workdir / "fresh", server))
        fresh = fresh_install(new, fresh_db, environment(new, fresh_db), workdir, timeout)
        migrated = stack.enter_context(new_database(engine, workdir / "migrated", server))
        bootstrap_fresh(old, environment(old, migrated), workdir, timeout)
        run = Migrations(new, environment(new, migrated), workdir, timeout).upgrade("head")
        if not run.ok:
            tail = run.output.strip().splitlines()[-1:]
            raise SuiteError(
                f"{new.spec.label}'s alembic upgrade head failed on {old.spec.label}'s schema (exit "
                f"{run.exit_code}): {tail}"
            )
        diff = parity(migrated, fresh, new)
        models = read_models(new, environment(new, fresh_db), workdir, workdir / "models.json", timeout)
        return triage(diff, engine, models, count_nulls(migrated, null_questions(diff)))


def record(
    request: Request, provision: Callable[[str, str], tuple[ReleaseSpec, Callable[[], Release]]]
) -> tuple[Baseline, Triage, Path | None]:
    """Check, install, measure, then write the draft (no REASONS) or the baseline; the draft's path, if written."""
    (old_spec, install_old), (new_spec, install_new) = provision("FROM", request.old), provision("TO", request.new)
    destination(request, old_spec.version, new_spec.version)  # refuse before minutes of installing
    old, new = install_old(), install_new()
    baseline = destination(request, old.version, new.version)  # a source tree may report another version
    with tempfile.TemporaryDirectory(prefix="upgrade-suite-baseline-") as scratch:
        consequences = measure(old, new, request.engine, Path(scratch), Timeouts().migration)
    if not any(consequences.of(klass) for klass in JUDGED):
        return baseline, consequences, None
    if request.reasons is None:
        return baseline, consequences, draft(baseline, consequences, header(old, new, request))
    write(request, baseline, consequences, header(old, new, request))
    return baseline, consequences, None


def _provisioner() -> Callable[[str, str], tuple[ReleaseSpec, Callable[[], Release]]]:
    """The suite's own release resolution and venv cache (the same venvs the scenarios use)."""
    cache_dir, timeouts = default_cache_dir(), Timeouts()
    writable_cache(cache_dir)
    index, cache = PyPIReleases(cache_dir, timeouts.request), ReleaseCache(cache_dir, timeouts.install)

    def provision(alias: str, spec: str) -> tuple[ReleaseSpec, Callable[[], Release]]:
        resolved = resolve(alias, spec, index)
        return resolved, lambda: cache.provision(resolved)

    return provision


def main(
    argv: list[str] | None = None,
    provision: Callable[[str, str], tuple[ReleaseSpec, Callable[[], Release]]] | None = None,
) -> int:
    try:
        request = parse(sys.argv[1:] if argv is None else argv)
        baseline, consequences, drafted = record(request, provision or _provisioner())
    except SuiteError as error:
        print(f"make baseline: {error}", file=sys.stderr)
        return 2
    print(consequences.render())
    judged = [c for c in consequences.consequences if c.klass in JUDGED]
    if not judged:
        stale = f"; {baseline.path} is no longer needed" if baseline.path.exists() else ""
        print(f"Nothing breaks or behaves differently: no baseline needed{stale}")
    elif drafted is not None:
        print(
            f"Wrote {drafted} ({len(judged)} line(s) to accept): probe each line's consequence, write a reason of its "
            f"own after its '# reason: ', then: make baseline FROM={request.old} TO={request.new} DB={request.engine} "
            f"REASONS={drafted}"
        )
    else:
        accepted = {entry.line for entry in read_baseline(baseline.path)}
        left = [c.difference.text for c in judged if c.difference.text not in accepted]
        print(f"Wrote {baseline.path} ({len(accepted)} accepted line(s)): review and commit this file")
        if left:
            print(f"{len(left)} line(s) not accepted stay red until fixed or declared, e.g. {left[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
