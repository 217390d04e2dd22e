"""What a scenario's record keeps (reports/timings.jsonl and its evidence): versions, starts, phases, API calls.

Read from a scenario's Core once it has run; kept apart from the procedure's verbs it describes.
"""

from __future__ import annotations

import platform

from upgrade_suite.lab.core import Core


def versions(core: Core) -> dict[str, dict[str, object]]:
    """What each release of the scenario really is: the evidence for "which versions were tested"."""
    return {
        alias: {
            "version": r.version,
            "spec": r.spec.requirement,
            "kind": r.spec.kind,
            "alembic_head": r.alembic_heads,
            "dependencies_as_of": r.spec.resolved_at,
            "python": r.info["python"],
            "venv": str(r.venv),
            "requires_python": r.spec.requires_python,
            "python_route": r.spec.interpreter.route if r.spec.interpreter else "",
            **(
                {"python_routes_not_taken": list(r.spec.interpreter.tried)}
                if r.spec.interpreter and r.spec.interpreter.tried
                else {}
            ),
            **({"image": core.run.image_tags[r.spec.key]} if r.spec.key in core.run.image_tags else {}),
        }
        for alias, r in core.releases.items()
    }


def starts(core: Core) -> list[dict[str, object]]:
    """Every start of every gateway of the scenario: release, database engine, time to healthy and to ready."""
    return [
        {"gateway": gateway.name, "database": engine, **timeline.as_dict()}
        for gateway, engine in core.gateways
        for timeline in gateway.timelines
    ]


def measurements(core: Core) -> dict[str, object]:
    """What reports/timings.jsonl keeps of the scenario: what ran where, and each phase's duration."""
    database = core.database
    history = core.history
    return {
        "releases": {alias: spec.label for alias, spec in core.run.specs.items()},
        # The upgrade the scenario performed (from, to): the runbook's sections are per pair.
        "pair": [history.previous.spec.alias, history.upgraded_to.spec.alias]
        if history.previous is not None and history.upgraded_to is not None
        else [],
        "heads": {alias: ",".join(release.alembic_heads) for alias, release in core.releases.items()},
        "database": database.description if database else "",
        "database_urls": {alias: database.url_for(release).split("://")[0] for alias, release in core.releases.items()}
        if database
        else {},
        "driver": core.config.driver,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "phases": core.timings.as_dict(),
        "api": [
            {
                "gateway": r.gateway.name,
                "calls": r.api.calls,
                "answering_s": round(r.api.answering, 3),
                "slowest": [round(r.api.slowest[0], 3), r.api.slowest[1]],
            }
            for r in core.started
        ],
        "starts": starts(core),
        "consequences": core.history.consequences,
        "faults": core.history.faults,
    }
