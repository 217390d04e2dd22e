"""Release specs -> cached virtualenvs, one per release artifact, built with uv.

A release is named by a PyPI version, a wheel file or a source directory. Its dependencies are
resolved as of its release day (``uv --exclude-newer``): the package's lower bounds are open, so a
plain install today pulls libraries the release never ran with and it dies at import.
A venv is keyed by what is installed (the version for PyPI, the content hash for a wheel or a
tree) plus the resolution date and Python, so two builds sharing a version never share a venv.
Each release declares the Pythons it runs on (``Requires-Python``); the interpreter its venv is
made with is chosen from that (see interpreters.py) and is part of the key.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import cast

from packaging.version import InvalidVersion, Version

from upgrade_suite.base.config import LATEST
from upgrade_suite.base.errors import SuiteError
from upgrade_suite.probes import PROBES
from upgrade_suite.releases.interpreters import (
    Interpreter,
    Interpreters,
    source_requires_python,
    wheel_requires_python,
)
from upgrade_suite.releases.pypi import PACKAGE, PyPIReleases

#: Bump when the way a venv is built changes, so old venvs are not reused.
RECIPE = "4"
_INTROSPECT = PROBES / "introspect.py"
_SKIP_DIRS = {
    ".git",
    "__pycache__",
    ".venv",
    "venv",
    "node_modules",
    "build",
    "dist",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
}


@dataclass(frozen=True)
class ReleaseSpec:
    """What to install for one alias, fully resolved: nothing here depends on the network any more."""

    alias: str
    kind: str  # "pypi" | "wheel" | "source"
    version: str
    requirement: str
    content_id: str
    resolved_at: str
    requires_python: str = ""  # the release's Requires-Python; "" runs on anything
    interpreter: Interpreter | None = None  # chosen for requires_python; None: not yet (the suite's own)

    @property
    def key(self) -> str:
        """Cache key: the artifact, its resolution date, the Python that runs it and the recipe.

        On the suite's own interpreter the material is what it always was (major.minor only), so
        the venvs of releases that run on it are reused; any other interpreter adds its path and
        full version: a venv is bound to the interpreter it was made with.
        """
        material: dict[str, object] = {
            "kind": self.kind,
            "content": self.content_id,
            "resolved_at": self.resolved_at,
            "python": f"{sys.version_info.major}.{sys.version_info.minor}",
            "recipe": RECIPE,
            "introspect": hashlib.sha256(_INTROSPECT.read_bytes()).hexdigest(),
        }
        if self.interpreter is not None and self.interpreter.kind != "suite":
            material["python"] = self.interpreter.minor
            material["interpreter"] = {"path": self.interpreter.path, "version": self.interpreter.version}
        return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()[:16]

    @property
    def python(self) -> str:
        """The interpreter the venv is made with."""
        return self.interpreter.path if self.interpreter is not None else sys.executable

    @property
    def label(self) -> str:
        """How reports name this release: ``GA (1.0.0)`` or ``GA (1.0.0 wheel 3f2a…)``."""
        origin = "" if self.kind == "pypi" else f" {self.kind} {self.content_id[:8]}"
        return f"{self.alias} ({self.version}{origin})"


def resolve(alias: str, spec: str, index: PyPIReleases, resolved_at: str | None = None) -> ReleaseSpec:
    """Turn ``1.0.0``, ``latest``, ``dist/x.whl`` or ``~/src/mcp-context-forge`` into a concrete ReleaseSpec."""
    if spec == LATEST:
        spec = index.latest()
    path = Path(spec).expanduser()
    if spec.endswith(".whl"):
        if not path.is_file():
            raise SuiteError(f"{alias}={spec}: no such wheel file")
        version = _wheel_version(alias, path)
        return _local(alias, "wheel", path, version, _hash_file(path), wheel_requires_python(path), index, resolved_at)
    if path.is_dir():
        version = _source_version(alias, path)
        return _local(
            alias, "source", path, version, _hash_tree(path), source_requires_python(path), index, resolved_at
        )
    if path.is_file():
        raise SuiteError(
            f"{alias}={spec} is a file but not a wheel (*.whl): give a wheel, a source directory or a version"
        )
    if spec not in index.upload_times:
        recent = ", ".join(sorted(index.upload_times, key=index.upload_times.__getitem__)[-6:])
        raise SuiteError(
            f"{alias}={spec} is not a release of {PACKAGE} on PyPI (recent: {recent}); or give a wheel path or a "
            "source directory"
        )
    return ReleaseSpec(
        alias,
        "pypi",
        spec,
        f"{PACKAGE}=={spec}",
        spec,
        resolved_at or index.resolution_date(spec),
        index.requires_python.get(spec, ""),
    )


def _normalized(name: str) -> str:
    """A distribution name as PEP 503 compares them (``mcp_contextforge_gateway`` is ``mcp-contextforge-gateway``)."""
    return "-".join(filter(None, name.lower().replace("_", "-").replace(".", "-").split("-")))


def _wheel_version(alias: str, wheel: Path) -> str:
    """The version a wheel's file name declares; a file that is no wheel of the gateway is refused in one line."""
    parts = wheel.name.removesuffix(".whl").split("-")
    if len(parts) < 5 or _normalized(parts[0]) != PACKAGE:
        raise SuiteError(
            f"{alias}={wheel} is not a wheel of {PACKAGE} (expected a file named "
            "mcp_contextforge_gateway-<version>-py3-none-any.whl)"
        )
    return parts[1]


def _source_version(alias: str, tree: Path) -> str:
    """The version of a source tree of the gateway; a tree of anything else is refused in one line."""
    pyproject = tree / "pyproject.toml"
    if not pyproject.is_file():
        raise SuiteError(f"{alias}={tree}: a source directory needs a pyproject.toml")
    try:
        project = tomllib.loads(pyproject.read_text()).get("project", {})
    except tomllib.TOMLDecodeError as error:
        raise SuiteError(f"{alias}={tree}: its pyproject.toml is not valid TOML ({error})") from None
    if _normalized(str(project.get("name", ""))) != PACKAGE or "version" not in project:
        raise SuiteError(
            f"{alias}={tree} is not a source tree of {PACKAGE} (its pyproject.toml names "
            f"{project.get('name', 'no project')!r}): give a checkout of the gateway"
        )
    return str(project["version"])


def public_version(version: str) -> str:
    """The release a build is based on: PEP 440's public version (``1.0.0+local`` -> ``1.0.0``).

    A local label marks a rebuild of a release, not a new one: what is declared for the release
    (its dependency date, its drift baseline, its intended transformations) holds for the build,
    so only what the build itself changed shows.
    """
    try:
        return Version(version).public
    except InvalidVersion:
        raise SuiteError(
            f"version {version!r} is not a PEP 440 version: cannot tell which release it is based on"
        ) from None


def _local(
    alias: str,
    kind: str,
    path: Path,
    version: str,
    content: str,
    requires_python: str,
    index: PyPIReleases,
    resolved_at: str | None,
) -> ReleaseSpec:
    """A wheel or a source tree: installed from its path, keyed by its content, dated like its base release."""
    resolved = resolved_at or _base_date(alias, version, index)
    return ReleaseSpec(alias, kind, version, str(path.resolve()), content, resolved, requires_python)


def _base_date(alias: str, version: str, index: PyPIReleases) -> str:
    """A local build resolves like the PyPI release it is based on (``1.0.0+local`` -> ``1.0.0``)."""
    base = public_version(version)
    if base not in index.upload_times:
        raise SuiteError(
            f"{alias}: version {version} has no PyPI release to date its dependencies: add -D "
            f"{alias.lower()}_resolved_at=YYYY-MM-DD"
        )
    return index.resolution_date(base)


def _hash_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _hash_tree(root: Path) -> str:
    """Content hash of a source tree (paths and bytes), ignoring VCS and build debris."""
    digest = hashlib.sha256()
    for directory, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.endswith(".egg-info"))
        for name in sorted(files):
            file = Path(directory, name)
            digest.update(str(file.relative_to(root)).encode() + b"\0")
            digest.update(file.read_bytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class Release:
    """An installed release: its venv and what we learnt from it once, at install time."""

    spec: ReleaseSpec
    venv: Path
    info: Mapping[str, object]

    def bin(self, name: str) -> Path:
        """A console script or interpreter of this release's venv."""
        return self.venv / "bin" / name

    @property
    def python(self) -> Path:
        return self.bin("python")

    @property
    def version(self) -> str:
        """The version the installed package reports (not the spec: a source tree may say more)."""
        return str(self.info["version"])

    @property
    def alembic_ini(self) -> Path:
        return Path(str(self.info["alembic_ini"]))

    @property
    def alembic_heads(self) -> list[str]:
        return list(cast(list[str], self.info["alembic_heads"]))

    @property
    def head(self) -> str:
        """The single Alembic head this release migrates to (releases with several heads are refused)."""
        heads = self.alembic_heads
        if len(heads) != 1:
            raise SuiteError(f"{self.spec.label} has {len(heads)} Alembic heads {heads}: the suite needs exactly one")
        return heads[0]

    @property
    def model_columns(self) -> dict[str, list[str]]:
        """Table -> column names of the release's SQLAlchemy models (its intended schema)."""
        return dict(cast(dict[str, list[str]], self.info["model_columns"]))

    @property
    def postgres_driver(self) -> str:
        """``psycopg`` (3) or ``psycopg2``: decides the SQLAlchemy URL scheme the release is given."""
        return str(self.info["postgres_driver"])

    @property
    def token_admin_flag(self) -> bool:
        """Whether ``create_jwt_token`` knows ``--admin`` (0.9.0 does not: the user row makes admins)."""
        return bool(self.info["token_admin_flag"])


def assign_interpreter(spec: ReleaseSpec, interpreters: Interpreters) -> ReleaseSpec:
    """``spec`` with the interpreter chosen for its Requires-Python (unchanged if it has one)."""
    if spec.interpreter is not None:
        return spec
    return replace(spec, interpreter=interpreters.choose(spec.requires_python, f"{spec.alias}={spec.version}"))


def resolve_all(
    releases: Mapping[str, str],
    resolved_at: Mapping[str, str],
    index: PyPIReleases,
    interpreters: Interpreters | None = None,
    used: Collection[str] | None = None,
) -> dict[str, ReleaseSpec]:
    """Resolve every alias up front, and choose the interpreter of each one the run ``used`` (all when
    None): an unknown version, or a release of the run no interpreter satisfies, stops it before any
    work. An alias the selection never names gets its interpreter if it is ever provisioned, so a run
    of the plan's releases does not need (or plan a build of) the Python that only today's releases need."""
    specs = {alias: resolve(alias, spec, index, resolved_at.get(alias)) for alias, spec in releases.items()}
    if interpreters is None:
        return specs
    specs = {
        alias: assign_interpreter(spec, interpreters) if used is None or alias in used else spec
        for alias, spec in specs.items()
    }
    interpreters.check_given_used()
    return specs
