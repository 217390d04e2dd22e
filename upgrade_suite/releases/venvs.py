"""Cached release virtualenvs: built once per release artifact and interpreter with uv, then reused.

A venv is complete only when its ``release.json`` (what the introspection probe learnt) is written,
last; a half-built one from an interrupted run is removed; two runs building the same venv take
turns under a file lock. A complete venv is reused only where it was built: its console scripts name
their interpreter by absolute path, so a venv moved or copied from another cache directory (or whose
base interpreter is gone) cannot start its programs, and is rebuilt.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import time
from dataclasses import asdict
from email.parser import Parser
from pathlib import Path

from packaging.requirements import Requirement
from uv import find_uv_bin

from upgrade_suite.base.errors import SuiteError
from upgrade_suite.base.probe_runner import Timeout, run_probe
from upgrade_suite.base.progress import console, exclusive
from upgrade_suite.releases.interpreters import Interpreters
from upgrade_suite.releases.specs import _INTROSPECT, Release, ReleaseSpec, assign_interpreter


class ReleaseCache:
    """Builds and reuses release venvs under ``<cache>/releases``; safe when two runs race."""

    def __init__(self, cache_dir: Path, install_timeout: float, interpreters: Interpreters | None = None) -> None:
        self.root = cache_dir / "releases"
        self._install_timeout = install_timeout
        self.interpreters = interpreters or Interpreters(cache_dir, install_timeout)

    def provision(self, spec: ReleaseSpec) -> Release:
        """Return the release's venv, building it (and, the first time, its interpreter) if no complete one exists."""
        spec = assign_interpreter(spec, self.interpreters)
        self.interpreters.ensure(spec.interpreter)  # type: ignore[arg-type]
        venv = self.root / f"{spec.version}-{spec.key}"
        info_file = venv / "release.json"
        with exclusive(venv.parent / f"{venv.name}.lock"):
            stale = unusable(venv) if info_file.exists() else None
            if stale:
                console.print(f"Reinstalling {spec.label}: the cached venv {stale}")
            if stale or not info_file.exists():
                self._build(spec, venv)
            info = json.loads(info_file.read_text())
        return Release(spec, venv, info)

    def _build(self, spec: ReleaseSpec, venv: Path) -> None:
        if venv.exists():
            shutil.rmtree(venv)  # a half-built venv from an interrupted run
        started = time.monotonic()
        with console.status(f"Installing {spec.label} with dependencies as of {spec.resolved_at[:10]} ..."):
            try:
                self._uv("venv", "--quiet", "--python", spec.python, str(venv))
                # Both installs resolve as of the release's date, into its venv.
                pip_install = (
                    "pip",
                    "install",
                    "--quiet",
                    "--compile-bytecode",
                    "--python",
                    str(venv / "bin" / "python"),
                    "--exclude-newer",
                    spec.resolved_at,
                )
                self._uv(*pip_install, spec.requirement)
                postgres = _postgres_requirements(venv)
                if postgres:
                    self._uv(*pip_install, *postgres)
                info = _introspect(venv / "bin" / "python", self._install_timeout)
            except BaseException:
                shutil.rmtree(venv, ignore_errors=True)
                raise
        info["install_seconds"] = round(time.monotonic() - started, 2)
        info["spec"] = asdict(spec)
        (venv / "release.json").write_text(json.dumps(info, indent=2))  # written last: marks the venv complete
        console.print(f"Installed {spec.label} in {info['install_seconds']:.1f} s -> {venv}")

    def _uv(self, *args: str) -> None:
        command = [find_uv_bin(), *args]
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=self._install_timeout)
        except subprocess.TimeoutExpired:
            raise SuiteError(
                f"installing timed out after {self._install_timeout:.0f} s: {' '.join(command)} (raise -D "
                "install_timeout=)"
            ) from None
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).strip().splitlines()[-3:]
            raise SuiteError(f"{' '.join(command[1:3])} failed: {' | '.join(detail)}")


def unusable(venv: Path) -> str | None:
    """Why a complete venv cannot run its programs here, or None.

    Checked on every reuse because a cache may be copied or moved (a CI cache restored elsewhere, a
    cache directory renamed): the scripts then point at an interpreter that is not there, and the
    first gateway start fails with "No such file or directory" on a program that plainly exists.
    """
    python = venv / "bin" / "python"
    if not python.resolve().is_file():
        return f"has lost its interpreter ({python} -> {python.resolve()})"
    for script in sorted((venv / "bin").glob("*")):
        if not script.is_file() or script.is_symlink():
            continue
        with script.open("rb") as handle:
            head = handle.read(4096).decode(errors="replace")
        runs = _SCRIPT_INTERPRETER.search(head)
        interpreter = runs and (runs["short"] or runs["long"])
        if interpreter and interpreter != str(python):
            return f"was built elsewhere: {script.name} runs {interpreter}"
    return None


#: The interpreter a console script runs: on its ``#!`` line, or, for paths too long for ``#!``, on the
#: exec line of the ``#!/bin/sh`` trampoline that uv and pip write instead.
_SCRIPT_INTERPRETER = re.compile(
    r"\A#!(?:(?P<short>\S+/bin/python)\n|/bin/sh\n'''exec' \"?(?P<long>[^\"\s]+/bin/python)[\"\s])"
)


def _postgres_requirements(venv: Path) -> list[str]:
    """The release's own ``[postgres]`` extra, minus psycopg's ``c`` extra.

    ``psycopg[c]`` compiles against libpq headers, which a fresh machine lacks; ``psycopg[binary]``
    (also in the extra) is the same driver prebuilt.
    """
    metadata = next(venv.glob("lib/python*/site-packages/mcp_contextforge_gateway-*.dist-info/METADATA"), None)
    if metadata is None:
        return []
    requirements = []
    for line in Parser().parsestr(metadata.read_text()).get_all("Requires-Dist") or []:
        requirement = Requirement(line)
        if (
            requirement.marker
            and requirement.marker.evaluate({"extra": "postgres"})
            and not requirement.marker.evaluate({"extra": ""})
        ):
            requirement.extras.discard("c")
            requirement.marker = None
            requirements.append(str(requirement))
    return requirements


def _introspect(python: Path, timeout: float) -> dict[str, object]:
    """Ask the installed release about itself (version, Alembic heads, model schema), once."""
    with tempfile.TemporaryDirectory(prefix="upgrade-suite-introspect-") as scratch:
        out = Path(scratch) / "info.json"
        # Strong throwaway secrets: from 1.0.8 on, importing the settings refuses weak or default ones.
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": scratch,
            "DATABASE_URL": f"sqlite:///{scratch}/probe.db",
            **probe_secrets(),
        }
        run_probe(
            "importing the installed release",
            python.parent.parent.name,
            python,
            _INTROSPECT,
            [str(out)],
            environment=env,
            cwd=Path(scratch),
            timeout=Timeout(timeout, "install_timeout"),
            merge_stderr=False,
        ).require(produced=out, hint=": its dependencies may need another -D <alias>_resolved_at")
        return json.loads(out.read_text())


def probe_secrets() -> dict[str, str]:
    """Values every release accepts, so a probe that imports the settings is judged on the release, not on defaults."""
    password = f"Probe!{secrets.token_hex(12)}#1a"
    return {
        "JWT_SECRET_KEY": secrets.token_urlsafe(48),
        "AUTH_ENCRYPTION_SECRET": secrets.token_urlsafe(48),
        "BASIC_AUTH_PASSWORD": password,
        "PLATFORM_ADMIN_PASSWORD": password,
        "DEFAULT_USER_PASSWORD": password,
    }


#: Free space a cache needs before a run starts: one release venv is about 125 MB (an interpreter built from
#: source about 250 MB), so less than this ends the run with "no space left" halfway through an install.
CACHE_MIN_FREE_MB = 256


def writable_directory(directory: Path, what: str, advice: str, min_free_mb: int = 0) -> None:
    """Fail early, in one line, when ``directory`` cannot be made and written, or holds less than ``min_free_mb``."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory):
            pass
        free_mb = shutil.disk_usage(directory).free // 2**20
    except OSError as error:
        raise SuiteError(f"{what} {directory} is not writable ({error.strerror}): {advice}") from None
    if free_mb < min_free_mb:
        raise SuiteError(
            f"{what} {directory} has {free_mb} MB free, less than the {min_free_mb} MB a run may write there: "
            f"free some space, or {advice}"
        )


def writable_cache(cache_dir: Path) -> None:
    """The release cache: writable, with room for a venv."""
    writable_directory(
        cache_dir, "cache directory", "set -D cache_dir= or UPGRADE_SUITE_CACHE", min_free_mb=CACHE_MIN_FREE_MB
    )
