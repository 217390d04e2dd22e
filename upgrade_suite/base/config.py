"""All knobs of a run, read once from behave userdata and the environment, validated up front.

Steps never read ``os.environ`` or userdata themselves: a bad ``-D`` value must stop the run
before any gateway is installed or started, with one line that says what to do.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from upgrade_suite.base.errors import SuiteError
from upgrade_suite.base.probe_runner import python_version

#: The suite's version aliases and the PyPI releases they mean unless overridden with ``-D``.
#: ``latest`` is resolved once at the start of a run: the newest final release on PyPI (today's upgrade
#: target); ``1.0.x`` is a 1.0 maintenance release operators run today (1.0.9; PyPI also has 1.0.10 and 1.0.11).
LATEST = "latest"
DEFAULT_RELEASES: dict[str, str] = {
    "RC1": "1.0.0rc1",
    "GA": "1.0.0",
    "0.9.x": "0.9.0",
    "1.0.x": "1.0.9",
    "latest": LATEST,
}

#: An alias as the Gherkin writes it, a word of its own ("GA's head" names GA; "1.0.x" is not "0.x").
_ALIAS_WORD = re.compile(r"(?<![\w.])(" + "|".join(re.escape(alias) for alias in DEFAULT_RELEASES) + r")(?![\w.])")


def aliases_named(texts: Iterable[str]) -> set[str]:
    """The release aliases some step texts name: what the selected scenarios will run."""
    return {match.group(1) for text in texts for match in _ALIAS_WORD.finditer(text)}


#: A PyPI version as the Gherkin may name a release directly (1.0.7: a release no alias means).
VERSION_WORD = r"\d+\.\d+\.\d+(?:(?:a|b|rc)\d+)?(?:\.post\d+)?"
_VERSION_IN_TEXT = re.compile(rf"(?<![\w.])({VERSION_WORD})(?![\w.])")


def versions_named(texts: Iterable[str]) -> set[str]:
    """The PyPI versions some step texts name as releases: resolved with the aliases, before any work."""
    return {match.group(1) for text in texts for match in _VERSION_IN_TEXT.finditer(text)}


def releases_in_order(texts: Iterable[str]) -> list[str]:
    """The aliases and versions some texts name, each once, in the order they first appear: a scenario's title
    names its releases as it runs them ("RC1 to GA" -> RC1, GA)."""
    found: list[str] = []
    for text in texts:
        matches = sorted([*_ALIAS_WORD.finditer(text), *_VERSION_IN_TEXT.finditer(text)], key=lambda m: m.start())
        found += [match.group(1) for match in matches]
    return list(dict.fromkeys(found))


KEEP_CHOICES = ("on-failure", "always", "never")
DRIVER_CHOICES = ("process", "docker")

#: Userdata keys owned by other tools (allure-behave reads its own options from userdata).
_FOREIGN_KEY_PREFIXES = ("AllureFormatter.",)


def canonical_alias(name: str) -> str:
    """Map any spelling of an alias (``rc1``, ``Ga``, ``0.9.X``) to its canonical form, or fail."""
    for alias in DEFAULT_RELEASES:
        if name.strip().lower() == alias.lower():
            return alias
    known = ", ".join(DEFAULT_RELEASES)
    raise SuiteError(f"unknown release alias {name!r}: use one of {known}")


@dataclass(frozen=True)
class Timeouts:
    """Every bounded wait of the suite, in seconds; each named so an error can say which ran out."""

    gateway_start: float = 180.0
    gateway_stop: float = 20.0
    migration: float = 600.0
    request: float = 30.0
    install: float = 900.0
    drain: float = 30.0


@dataclass(frozen=True)
class RolloutSettings:
    """UPG-06: how many replicas roll, how hard the prober pushes, and the cluster for the Helm path."""

    replicas: int | None = None  # unset: the chart's replicaCount (2); the local rollouts' Gherkin names its count
    probe_rate: float = 50.0
    chart_time_scale: float = 0.1  # the chart's probe periods, back-off and progress deadline, scaled (chart.py)
    kube_context: str | None = None  # unset: the Helm path is skipped, saying so (unless the suite's node runs it)
    pre_stop_s: int = 0  # the suite's chart: a preStop sleep of the gateway pods (none, as upstream)
    own_node: bool = False  # -D cluster=node: the suite's own single-node cluster, built from source (cluster/)
    kube_namespace: str = "default"
    kube_url: str | None = None  # the gateway Service as clients reach it (the prober's target)
    kube_token: str | None = None  # an admin token of that deployment (its JWT secret is not the suite's)
    helm_release: str = "mcp-stack"
    helm_chart: str = "charts/mcp-stack"
    upstream_chart: str | None = None  # -D cluster=node with -D helm_chart=: that checkout's chart on the node

    @classmethod
    def from_options(cls, options: Mapping[str, str]) -> RolloutSettings:
        replicas = options.get("replicas")
        if replicas is not None and (not replicas.isdigit() or int(replicas) < 1):
            raise SuiteError(
                f"-D replicas={replicas} is not a positive number of gateway replicas (e.g. -D replicas=3)"
            )
        scale = options.get("chart_time_scale", str(cls.chart_time_scale))
        try:
            chart_time_scale = float(scale)
        except ValueError:
            chart_time_scale = 0.0
        if not 0 < chart_time_scale <= 1:
            raise SuiteError(
                f"-D chart_time_scale={scale} is not a factor between 0 and 1 for the chart's probe timing "
                "(1: the chart's own, e.g. 0.1)"
            )
        rate = options.get("probe_rate", "50")
        try:
            probe_rate = float(rate)
        except ValueError:
            probe_rate = 0.0
        if not 0 < probe_rate <= 1000:
            raise SuiteError(f"-D probe_rate={rate} is not a rate between 0 and 1000 requests per second")
        if options.get("kube_context") and not (options.get("kube_url") and options.get("kube_token")):
            raise SuiteError(
                "-D kube_context needs -D kube_url=<the gateway Service URL clients use> and -D kube_token=<an admin "
                "token of it> for the prober"
            )
        pre_stop = options.get("pre_stop_s", "0")
        if not pre_stop.isdigit() or int(pre_stop) > 120:
            raise SuiteError(
                f"-D pre_stop_s={pre_stop} is not a preStop sleep between 0 and 120 seconds for the chart's pods"
            )
        cluster = options.get("cluster", "")
        if cluster not in ("", "node"):
            raise SuiteError(
                f"-D cluster={cluster} is not a cluster the suite runs: -D cluster=node (its own node, built from "
                "source), or -D kube_context=<context> for yours"
            )
        if cluster and options.get("kube_context"):
            raise SuiteError("-D cluster=node and -D kube_context name two clusters: give one")
        upstream = options.get("helm_chart") if cluster else None
        if upstream and not (Path(upstream) / "Chart.yaml").is_file():
            raise SuiteError(
                f"-D helm_chart={upstream} has no Chart.yaml: give a checkout's charts/mcp-stack "
                "(of IBM/mcp-context-forge)"
            )
        return cls(
            own_node=cluster == "node",
            pre_stop_s=int(pre_stop),
            replicas=int(replicas) if replicas is not None else None,
            probe_rate=probe_rate,
            chart_time_scale=chart_time_scale,
            kube_context=options.get("kube_context") or None,
            kube_namespace=options.get("kube_namespace", cls.kube_namespace),
            kube_url=options.get("kube_url") or None,
            kube_token=options.get("kube_token") or None,
            helm_release=options.get("helm_release", cls.helm_release),
            helm_chart=options.get("helm_chart", cls.helm_chart),
            upstream_chart=str(Path(upstream).resolve()) if upstream else None,
        )


_ROLLOUT_OPTIONS = (
    "cluster",
    "pre_stop_s",
    "replicas",
    "probe_rate",
    "chart_time_scale",
    "kube_context",
    "kube_namespace",
    "kube_url",
    "kube_token",
    "helm_release",
    "helm_chart",
)


_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


def parse_shard(text: str) -> tuple[int, int]:
    """``"2/3"`` -> (2, 3); anything else stops the run in one line."""
    match = _SHARD.match(text)
    if not match or not 1 <= int(match.group(1)) <= int(match.group(2)):
        raise SuiteError(f"-D shard={text} is not I/N with 1 <= I <= N (e.g. -D shard=2/3)")
    return int(match.group(1)), int(match.group(2))


@dataclass(frozen=True)
class MatrixSettings:
    """The compatibility matrix: the range of releases, this machine's shard, whether to rerun all."""

    first: str = "0.9.0"
    last: str = LATEST
    fresh: bool = False  # rerun every cell, even one whose key has a recorded verdict
    shard: tuple[int, int] = (1, 1)

    @classmethod
    def from_options(cls, options: Mapping[str, str]) -> MatrixSettings:
        fresh = options.get("matrix_fresh", "false").strip().lower()
        if fresh not in ("true", "false"):
            raise SuiteError(f"-D matrix_fresh={fresh} is not true or false")
        return cls(
            first=options.get("matrix_from", cls.first).strip(),
            last=options.get("matrix_to", cls.last).strip(),
            fresh=fresh == "true",
            shard=parse_shard(options.get("shard", "1/1")),
        )


_MATRIX_OPTIONS = ("matrix_from", "matrix_to", "matrix_fresh", "shard")
#: The -D settings kept as they are given (the others are release aliases, *_resolved_at and *_timeout).
_PLAIN_OPTIONS = (
    "driver",
    "keep",
    "cache_dir",
    "reports_dir",
    "postgres_url",
    "scale",
    "python",
    *_ROLLOUT_OPTIONS,
    *_MATRIX_OPTIONS,
)


@dataclass(frozen=True)
class SuiteConfig:
    """The validated configuration of one run."""

    releases: Mapping[str, str]
    resolved_at: Mapping[str, str]
    driver: str = "process"
    keep: str = "on-failure"
    cache_dir: Path = field(default_factory=lambda: default_cache_dir())
    reports_dir: Path = Path("reports")
    timeouts: Timeouts = Timeouts()
    postgres_url: str | None = None
    scale: int = 1000
    rollout: RolloutSettings = field(default_factory=RolloutSettings)
    python: Path | None = None  # -D python=: used for every release whose Requires-Python it satisfies
    #: Where the run's verdicts go for the gate (``python -m upgrade_suite.reporting.gate`` names a file of its own).
    verdicts_file: Path = Path("reports/verdicts.json")
    matrix: MatrixSettings = field(default_factory=MatrixSettings)

    @classmethod
    def from_userdata(cls, userdata: Mapping[str, str], environ: Mapping[str, str] = os.environ) -> SuiteConfig:
        """Build the configuration from ``-D key=value`` pairs; reject what it does not know."""
        releases = dict(DEFAULT_RELEASES)
        resolved_at: dict[str, str] = {}
        options: dict[str, str] = {}
        timeouts: dict[str, float] = {}
        for key, value in userdata.items():
            if key.startswith(_FOREIGN_KEY_PREFIXES):
                continue
            name = key.strip().lower()
            if name.endswith("_resolved_at"):
                resolved_at[canonical_alias(name.removesuffix("_resolved_at"))] = _date(key, value)
            elif name.endswith("_timeout"):
                timeouts[_timeout_field(key)] = _seconds(key, value)
            elif name in _PLAIN_OPTIONS:
                options[name] = value
            else:
                try:
                    alias = canonical_alias(name)
                except SuiteError:
                    raise SuiteError(_unknown_key_message(key)) from None
                if not value.strip():
                    raise SuiteError(f"-D {key}= is empty: give a PyPI version, a wheel path or a source directory")
                releases[alias] = value.strip()
        driver = options.get("driver", "process")
        if driver not in DRIVER_CHOICES:
            raise SuiteError(f"-D driver={driver} is not a driver: use one of {', '.join(DRIVER_CHOICES)}")
        keep = options.get("keep", "on-failure")
        if keep not in KEEP_CHOICES:
            raise SuiteError(f"-D keep={keep} is not a choice: use one of {', '.join(KEEP_CHOICES)}")
        cache_dir = Path(options.get("cache_dir") or default_cache_dir(environ)).expanduser().resolve()
        reports_dir = Path(options.get("reports_dir", "reports")).expanduser().resolve()
        return cls(
            releases=releases,
            resolved_at=resolved_at,
            driver=driver,
            keep=keep,
            cache_dir=cache_dir,
            reports_dir=reports_dir,
            timeouts=Timeouts(**timeouts),
            postgres_url=_postgres_url(options["postgres_url"]) if "postgres_url" in options else None,
            scale=_scale(options.get("scale", "1000")),
            rollout=RolloutSettings.from_options(options),
            python=_python(options["python"]) if "python" in options else None,
            verdicts_file=Path(environ.get(VERDICTS_VARIABLE) or reports_dir / "verdicts.json"),
            matrix=MatrixSettings.from_options(options),
        )

    def spec_for(self, alias: str) -> str:
        """The release spec (PyPI version, wheel path or source dir) behind an alias."""
        return self.releases[canonical_alias(alias)]


#: Names the file a run writes its verdicts to (set by the gate, which reads it afterwards).
VERDICTS_VARIABLE = "UPGRADE_SUITE_VERDICTS"


def default_cache_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """Where release venvs live across runs: ``$UPGRADE_SUITE_CACHE`` or the XDG cache."""
    if environ.get("UPGRADE_SUITE_CACHE"):
        return Path(environ["UPGRADE_SUITE_CACHE"])
    base = Path(environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "gateway-upgrade-suite"


def _unknown_key_message(key: str) -> str:
    known = ", ".join(
        [
            *(a.lower() for a in DEFAULT_RELEASES),
            "<alias>_resolved_at",
            "<name>_timeout",
            *_PLAIN_OPTIONS,
        ]
    )
    return f"-D {key}=... is not a setting of this suite: use one of {known}"


def _python(value: str) -> Path:
    """``-D python=``: an interpreter that exists and runs (which releases it suits is decided at resolution)."""
    path = Path(value).expanduser()
    if not value.strip() or not path.is_file():
        raise SuiteError(f"-D python={value}: no such interpreter (give the path of a python executable)")
    python_version(path)  # fails in one line when it does not run
    return path.absolute()


def _scale(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise SuiteError(f"-D scale={value} is not a positive number of rows (e.g. -D scale=100000)")
    return int(value)


#: What a -D postgres_url may name: the suite only connects there to create and drop its own databases.
MAINTENANCE_DATABASES = ("", "postgres", "template1")


def _postgres_url(value: str) -> str:
    if not value.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        raise SuiteError(
            f"-D postgres_url={value} is not a PostgreSQL URL: write postgresql://user:password@host:port/database"
        )
    url = value.replace("postgres://", "postgresql://", 1)
    database = urlsplit(url).path.lstrip("/")
    if database not in MAINTENANCE_DATABASES:
        raise SuiteError(
            f"-D postgres_url names the database {database!r}: the suite makes (and drops) a database of its own per "
            "scenario and never works in one it did not create; name the server's maintenance database instead "
            "(postgresql://user:password@host:port/postgres)"
        )
    return url


def _timeout_field(key: str) -> str:
    name = key.strip().lower().removesuffix("_timeout")
    if name not in Timeouts.__dataclass_fields__:
        choices = ", ".join(f"{n}_timeout" for n in Timeouts.__dataclass_fields__)
        raise SuiteError(f"-D {key}=... is not a timeout of this suite: use one of {choices}")
    return name


def _seconds(key: str, value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise SuiteError(f"-D {key}={value} is not a number of seconds") from None
    if seconds <= 0:
        raise SuiteError(f"-D {key}={value} must be a positive number of seconds")
    return seconds


def _date(key: str, value: str) -> str:
    """Accept ``YYYY-MM-DD`` or a full RFC 3339 UTC time; return what uv's ``--exclude-newer`` takes."""
    text = value.strip()
    for fmt in ("%Y-%m-%d", "%Y-%m-%dT%H:%M:%SZ"):
        try:
            return datetime.strptime(text, fmt).strftime("%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            continue
    raise SuiteError(
        f"-D {key}={value} is not a date: write it as YYYY-MM-DD (dependencies are resolved as of that day)"
    )
