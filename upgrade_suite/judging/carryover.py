"""Configuration carry-over: which settings an older release read that a newer one no longer reads.

Both releases' own settings models are asked (``probes/settings.py`` in each venv) which
environment variables they read, with types and defaults. The comparison names variables the new
release renamed (a new variable with the same type and default and a similar name), dropped
(read by no settings model any more: silently ignored, since the models ignore unknown
variables), moved to another model, or whose default or type changed. The old release's
``environment`` (every setting it reads, written out at its default) is what an operator who kept
the old deployment's configuration would start the new release with.
"""

from __future__ import annotations

import difflib
import json
import re
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from upgrade_suite.base.probe_runner import ProbeRun, Timeout, run_probe
from upgrade_suite.probes import PROBES
from upgrade_suite.releases.specs import Release
from upgrade_suite.releases.venvs import probe_secrets

_PROBE = PROBES / "settings.py"

#: How similar a new variable's name must be to a vanished one to be reported as its rename.
_RENAME_SIMILARITY = 0.8


@dataclass(frozen=True)
class SettingsModel:
    """What one release's settings models read: variable -> model/field/type/default, and its full environment."""

    release: str
    variables: dict[str, dict[str, Any]]
    environment: dict[str, str]
    not_representable: dict[str, str]
    refused: dict[str, str]  # variables of the environment it was asked about that it refuses, and why
    #: Per variable: the values at the edges of what this release accepts; just beyond its numeric bounds; and, of
    #: the values it was asked about (another release's edges), those it refuses and why.
    edges: dict[str, list[str]] = field(default_factory=dict)
    outside: dict[str, list[str]] = field(default_factory=dict)
    edges_refused: dict[str, dict[str, str]] = field(default_factory=dict)


def read_settings(
    release: Release,
    timeout: float,
    carried: dict[str, str] | None = None,
    values: dict[str, list[str]] | None = None,
    edges: bool = False,
) -> SettingsModel:
    """Run the settings probe in ``release``'s venv with nothing set but a scratch database: its own defaults.

    ``carried``: an environment (another release's) to ask about: which of it this release refuses. ``values``:
    per variable, values to ask about one at a time (another release's edges): which this release refuses.
    ``edges``: also find the values at the edges of what this release accepts (a few seconds more).
    """
    with tempfile.TemporaryDirectory(prefix="upgrade-suite-settings-") as scratch:
        out, asked = Path(scratch) / "settings.json", Path(scratch) / "carried.json"
        asked.write_text(json.dumps(carried or {}))
        (Path(scratch) / "values.json").write_text(json.dumps(values or {}))
        environment = {
            "PATH": f"{release.venv / 'bin'}:/usr/bin:/bin",
            "HOME": scratch,
            "DATABASE_URL": "sqlite:///./probe.db",
        }
        result = _run_probe(release, environment, out, asked, timeout, edges)
        strong: dict[str, str] = {}
        if result.exit_code != 0 and _REFUSES_OWN_DEFAULTS in result.stdout:
            # From 1.0.8 the release refuses its own placeholder secrets: read it with strong ones, and
            # report those variables as settings an operator must set, not as defaults to carry.
            strong = probe_secrets()
            result = _run_probe(release, {**environment, **strong}, out, asked, timeout, edges)
        result.require(produced=out)
        data = json.loads(out.read_text())
    for variable in strong:
        data["environment"].pop(variable, None)
        data["not_representable"][variable] = (
            "this release refuses placeholder or weak secrets at import (it would not start on its defaults): an "
            "operator must set a strong value"
        )
    return SettingsModel(
        release.spec.label,
        data["variables"],
        data["environment"],
        data["not_representable"],
        data["refused"],
        data["edges"],
        data["outside"],
        data["edges_refused"],
    )


#: What a release from 1.0.8 raises at import when a secret or password is its placeholder or weak.
_REFUSES_OWN_DEFAULTS = "SecurityConfigurationError"


def _run_probe(
    release: Release, environment: dict[str, str], out: Path, asked: Path, timeout: float, edges: bool
) -> ProbeRun:
    return run_probe(
        "reading the settings models",
        release.spec.label,
        release.python,
        _PROBE,
        [str(out), str(asked), str(out.parent / "values.json"), *(["--edges"] if edges else [])],
        environment=environment,
        cwd=out.parent,
        timeout=Timeout(timeout, "migration_timeout"),
    )


#: The setting that puts GA and later releases in a deployment mode (development, staging, production).
MODE = "ENVIRONMENT"


@dataclass
class CarryOver:
    """The differences an operator must know before starting ``new`` with ``old``'s configuration."""

    old: str
    new: str
    old_count: int
    new_count: int
    renamed: dict[str, str] = field(default_factory=dict)  # old variable -> new variable
    dropped: list[str] = field(default_factory=list)
    moved: dict[str, list[str]] = field(default_factory=dict)  # variable -> [old model, new model]
    default_changed: dict[str, list[Any]] = field(default_factory=dict)  # variable -> [old default, new default]
    type_changed: dict[str, list[str]] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)  # old settings at their defaults the new release refuses
    #: Values the old release accepts (at its edges, or beyond the new release's bounds) that the new one refuses:
    #: variable -> {value: why}. An operator who set one finds the new release refusing to start.
    shrank: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def no_longer_read(self) -> list[str]:
        """Variables the new release silently ignores."""
        return sorted([*self.renamed, *self.dropped])

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def render(self) -> str:
        lines = [
            f"Settings of {self.old} ({self.old_count} variables) vs {self.new} ({self.new_count} variables)",
            f"Refused ({len(self.refused)}): {self.new} does not start with {self.old}'s default value",
        ]
        lines += [f"  {name}: {why}" for name, why in sorted(self.refused.items())]
        lines += [f"Accepted values shrank ({len(self.shrank)}): {self.old} accepts them, {self.new} refuses to start"]
        lines += [
            f"  {name}={value}: {why}" for name, values in sorted(self.shrank.items()) for value, why in values.items()
        ]
        lines += [f"Renamed ({len(self.renamed)}): the old name is ignored by {self.new}"]
        lines += [f"  {old} -> {new}" for old, new in sorted(self.renamed.items())]
        lines.append(f"Dropped ({len(self.dropped)}): read by no settings model of {self.new}, ignored")
        lines += [f"  {name}" for name in self.dropped]
        lines.append(f"Moved to another settings model ({len(self.moved)}): still read")
        lines += [f"  {name}: {old} -> {new}" for name, (old, new) in sorted(self.moved.items())]
        lines.append(
            f"Default changed ({len(self.default_changed)}): an environment that spells out {self.old}'s default "
            f"keeps {self.old}'s behaviour"
        )
        lines += [f"  {name}: {old!r} -> {new!r}" for name, (old, new) in sorted(self.default_changed.items())]
        lines.append(f"Type changed ({len(self.type_changed)})")
        lines += [f"  {name}: {old} -> {new}" for name, (old, new) in sorted(self.type_changed.items())]
        return "\n".join(lines)


def compare_settings(old: SettingsModel, new: SettingsModel) -> CarryOver:
    """What changed for an operator between two releases' settings models (``new`` asked about ``old``'s
    environment)."""
    result = CarryOver(
        old.release,
        new.release,
        len(old.variables),
        len(new.variables),
        refused=dict(new.refused),
        shrank={name: dict(values) for name, values in new.edges_refused.items()},
    )
    appeared = {name: spec for name, spec in new.variables.items() if name not in old.variables}
    for name, spec in sorted(old.variables.items()):
        now = new.variables.get(name)
        if now is None:
            successor = _successor(name, spec, appeared)
            if successor:
                result.renamed[name] = successor
            else:
                result.dropped.append(name)
            continue
        if now["model"] != spec["model"]:
            result.moved[name] = [spec["model"], now["model"]]
        if now["type"] != spec["type"]:
            result.type_changed[name] = [spec["type"], now["type"]]
        if now["default"] != spec["default"] and name not in old.not_representable:
            result.default_changed[name] = [spec["default"], now["default"]]
    return result


def _successor(name: str, spec: dict[str, Any], appeared: dict[str, dict[str, Any]]) -> str | None:
    """The one new variable of the same type and default whose name is closest to ``name``, if close enough."""
    scored = sorted(
        (
            (difflib.SequenceMatcher(None, name, other).ratio(), other)
            for other, candidate in appeared.items()
            if candidate["type"] == spec["type"] and candidate["default"] == spec["default"]
        ),
        reverse=True,
    )
    if not scored or scored[0][0] < _RENAME_SIMILARITY or (len(scored) > 1 and scored[1][0] == scored[0][0]):
        return None
    return scored[0][1]


#: Timestamps, process ids, hex ids and numbers: what differs between two starts of the same code.
_NOISE = re.compile(r"\d{4}-\d\d-\d\dT[\d:.]+Z?|\b[0-9a-f]{8,}\b|\d+")
_ERROR = re.compile(r"\b(ERROR|CRITICAL)\b|^Traceback|^[\w.]*(Error|Exception): ")


def log_messages(log: str, level: re.Pattern[str] = _ERROR) -> set[str]:
    """The distinct messages of a gateway log at a level (errors by default), with run-specific noise removed.

    Lines are JSON records or text; a JSON record's logger, level and message are kept.
    """
    found = set()
    for line in log.splitlines():
        text = line
        if line.startswith("{"):
            try:
                record = json.loads(line)
                text = f"{record.get('name', '')} {record.get('levelname', '')} {record.get('message', '')}"
            except ValueError:
                pass
        if level.search(text):
            found.add(_NOISE.sub("#", text).strip())
    return found


#: Where the last comparison is kept for the runbook, under the reports directory.
RUNBOOK_FILE = "settings-carry-over.json"

#: What ``UpgradeScenario`` says of a gateway that came up healthy and ready.
STARTED = "started and reported healthy"


@dataclass(frozen=True)
class CarriedStart:
    """The new release started with the old release's settings, and on the same data without them (both in the
    deployment ``mode`` when one is given)."""

    carry_over: CarryOver
    carried: dict[str, str]  # the old settings it was started with
    outcome: str
    plain_outcome: str
    log: str
    plain_log: str
    mode: str | None = None

    @property
    def log_tail(self) -> str:
        """The last lines of the start with the old settings (where a refusal says why)."""
        return " | ".join(line.strip() for line in self.log.strip().splitlines()[-3:])

    @property
    def new_errors(self) -> list[str]:
        """Error messages only the start with the old settings logged."""
        return sorted(log_messages(self.log) - log_messages(self.plain_log))


def save_for_runbook(reports_dir: Path, carry_over: CarryOver) -> Path:
    """Keep the comparison where ``python -m upgrade_suite.reporting.runbook`` finds it
    (``reports/settings-carry-over.json``)."""
    path = reports_dir / RUNBOOK_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(carry_over.as_dict(), indent=1, sort_keys=True, default=str))
    return path


def values_to_try(
    old: SettingsModel, old_refuses: dict[str, dict[str, str]], new_outside: dict[str, list[str]]
) -> dict[str, list[str]]:
    """What to ask the new release about, per variable: the old release's own edges, and the values just beyond the
    new release's bounds that the old one accepts (``old_refuses``: the old release asked about ``new_outside``)."""
    tried = {name: list(values) for name, values in old.edges.items()}
    for name, values in new_outside.items():
        accepted = [v for v in values if v not in old_refuses.get(name, {})]
        if name in old.variables and accepted:
            tried[name] = list(dict.fromkeys([*tried.get(name, []), *accepted]))
    return tried
