"""A Python interpreter per release, chosen from the release's own ``Requires-Python``.

Releases from 1.0.8 on declare ``>=3.12,<3.14``; the suite itself runs on 3.11. Routes, in order
(the first that satisfies wins, and the route taken is recorded for the Versions evidence):

- ``given``: ``-D python=/path`` for every release it satisfies;
- ``suite``: the suite's own interpreter (0.9.0..1.0.7: their venvs and keys stay as they were);
- ``found``: an interpreter already on the machine, by uv's own discovery on a PATH without pyenv
  shims (they are dispatchers that exit 127 and make uv error out), plus interpreters earlier runs
  put in the cache (uv-managed or built from Debian source), so nothing is built twice, plus the
  versions pyenv installed (``$PYENV_ROOT/versions/X/bin``, newest first: the shims hide them when
  pyenv's global version is another one, and minutes of building would duplicate them);
- ``uv``: a uv-managed (python-build-standalone) download into the cache, bounded by a short timeout;
- ``debian``: CPython built once into the cache from Debian's source package (see debian_python).

Choosing happens up front, for every release of the run, so "nothing satisfies" stops the run at
start; the one expensive step, building from source, waits until a release really needs it
(``ensure``), because a run whose scenarios never provision that release should not pay minutes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.parser import Parser
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version
from uv import find_uv_bin

from upgrade_suite.base.errors import SuiteError
from upgrade_suite.base.probe_runner import python_version
from upgrade_suite.releases import debian_python
from upgrade_suite.releases.debian_python import DEBIAN_SOURCES, DebianSource

ROUTES: tuple[str, ...] = ("given", "suite", "found", "uv", "debian")
#: Minors a route may ask for, newest first (the newest that satisfies is preferred).
CANDIDATE_MINORS: tuple[str, ...] = ("3.13", "3.12", "3.11")


@dataclass(frozen=True)
class Interpreter:
    """The Python a release's venv is made with, and how it was chosen."""

    path: str
    version: str  # full, e.g. 3.13.5
    route: str  # e.g. "found: /usr/bin/python3.13 (3.13.5)"
    kind: str = "found"  # one of ROUTES
    tried: tuple[str, ...] = ()  # why earlier routes did not apply, for the evidence
    build: DebianSource | None = None  # set while the debian route's interpreter is still to be built

    @property
    def minor(self) -> str:
        return ".".join(self.version.split(".")[:2])


def wheel_requires_python(wheel: Path) -> str:
    """``Requires-Python`` from a wheel's METADATA ("" when it declares none)."""
    try:
        with zipfile.ZipFile(wheel) as archive:
            name = next(
                (n for n in archive.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")), None
            )
            metadata = archive.read(name).decode(errors="replace") if name else ""
    except zipfile.BadZipFile:
        raise SuiteError(f"{wheel} is not a wheel (not a zip archive)") from None
    return (Parser().parsestr(metadata).get("Requires-Python") or "").strip()


def source_requires_python(tree: Path) -> str:
    """``project.requires-python`` of a source tree's pyproject.toml ("" when absent)."""
    return str(
        tomllib.loads((tree / "pyproject.toml").read_text()).get("project", {}).get("requires-python", "")
    ).strip()


def specifier(requires_python: str, what: str) -> SpecifierSet:
    try:
        return SpecifierSet(requires_python)
    except InvalidSpecifier:
        raise SuiteError(
            f"{what} declares Requires-Python {requires_python!r}, which is not a version specifier"
        ) from None


def satisfies(version: str, requires_python: str) -> bool:
    return SpecifierSet(requires_python).contains(version, prereleases=True)


def minors_for(requires_python: str, minors: Sequence[str] = CANDIDATE_MINORS) -> list[str]:
    """The candidate minors (newest first) with some patch release the specifier admits."""
    spec = SpecifierSet(requires_python)
    return [m for m in minors if any(spec.contains(f"{m}.{patch}", prereleases=True) for patch in (0, 5, 99))]


def is_shim_dir(directory: Path, pyenv_root: str | None) -> bool:
    """pyenv's shims dir: it is $PYENV_ROOT/shims, or its ``python`` is a script that mentions pyenv."""
    if pyenv_root and directory.resolve() == (Path(pyenv_root) / "shims").resolve():
        return True
    try:
        with (directory / "python").open("rb") as shim:
            return b"pyenv" in shim.read(4096)
    except OSError:
        return False


def search_path(environ: Mapping[str, str], extra: Sequence[Path] = ()) -> str:
    """The PATH uv searches: the caller's without pyenv shims, then the cache's own interpreters."""
    pyenv_root = environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    kept = [d for d in environ.get("PATH", "").split(os.pathsep) if d and not is_shim_dir(Path(d), pyenv_root)]
    return os.pathsep.join([*kept, *(str(d) for d in extra)])


def pyenv_versions(environ: Mapping[str, str]) -> list[Path]:
    """The ``bin`` dirs of the interpreters pyenv installed, newest first; its virtualenvs left out (not systems).

    Measured here: pyenv holds working 3.12.1 and 3.13.0 behind shims that run 3.11 (pyenv global).
    """
    versions = Path(environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    found: list[tuple[Version, Path]] = []
    for directory in versions.glob("*/bin") if versions.is_dir() else ():
        if (directory.parent / "pyvenv.cfg").exists():
            continue
        try:
            found.append((Version(directory.parent.name), directory))
        except InvalidVersion:
            continue  # a named environment (miniconda3, pypy...): not a CPython version pyenv built
    return [directory for _, directory in sorted(found, reverse=True)]


class Interpreters:
    """Chooses (and, for the debian route, later builds) the interpreter of each release."""

    def __init__(
        self,
        cache_dir: Path,
        timeout: float = 900.0,
        routes: Sequence[str] = ROUTES,
        given: Path | None = None,
        environ: Mapping[str, str] = os.environ,
        uv_install_timeout: float = 60.0,
        build_timeout: float = 3600.0,
    ) -> None:
        unknown = set(routes) - set(ROUTES)
        assert not unknown, f"unknown routes {unknown}"
        self.cache_dir = cache_dir
        self.routes = tuple(routes)
        self.given = given
        self.environ = environ
        self.timeout = timeout
        self.uv_install_timeout = uv_install_timeout
        self.build_timeout = build_timeout
        self.given_used = False
        self._chosen: dict[str, Interpreter] = {}
        self.build_timings: dict[str, float] = {}

    @property
    def pythons(self) -> Path:
        return self.cache_dir / "pythons"

    def choose(self, requires_python: str, release: str) -> Interpreter:
        """The first route whose interpreter satisfies ``requires_python``; one line naming all tried when none does."""
        specifier(requires_python, release)
        if requires_python not in self._chosen:
            tried: list[str] = []
            for route in self.routes:
                chosen = getattr(self, f"_{route}")(requires_python, tried)
                if chosen is not None:
                    self._chosen[requires_python] = Interpreter(
                        chosen.path, chosen.version, chosen.route, route, tuple(tried), chosen.build
                    )
                    break
            else:
                raise SuiteError(
                    f"{release} requires Python {requires_python or 'any'} and no interpreter satisfies it: tried "
                    f"{'; '.join(tried)}"
                )
        chosen = self._chosen[requires_python]
        self.given_used |= chosen.kind == "given"
        return chosen

    def ensure(self, interpreter: Interpreter) -> Interpreter:
        """Make the chosen interpreter exist: the debian route builds it here, once (lazily)."""
        if interpreter.build is not None and not Path(interpreter.path).is_file():
            self.build_timings = debian_python.build(interpreter.build, self.cache_dir, self.build_timeout)
        return interpreter

    # -- the routes: each returns an Interpreter or None, appending why not to ``tried`` --

    def _given(self, requires_python: str, tried: list[str]) -> Interpreter | None:
        if self.given is None:
            return None
        version = python_version(self.given)
        if satisfies(version, requires_python):
            return Interpreter(str(self.given), version, f"given: {self.given} ({version})")
        tried.append(f"given {self.given} is {version}")
        return None

    def _suite(self, requires_python: str, tried: list[str]) -> Interpreter | None:
        version = "%d.%d.%d" % sys.version_info[:3]
        if satisfies(version, requires_python):
            return Interpreter(sys.executable, version, f"suite: {sys.executable} ({version})")
        tried.append(f"the suite's own Python {version}")
        return None

    def _found(self, requires_python: str, tried: list[str]) -> Interpreter | None:
        """uv's discovery on the shim-free PATH plus the cache's interpreters (system ones only: no venvs)."""
        cached = sorted(self.pythons.glob("debian-*/bin")) + sorted(self.pythons.glob("uv/*/bin"))
        extra = cached + pyenv_versions(self.environ)  # the cache first: runs keep the venv keys they made
        env = {**self._uv_env(), "PATH": search_path(self.environ, extra), "UV_PYTHON_PREFERENCE": "only-system"}
        request = requires_python or ">=3"
        result = self._run_uv(
            ["python", "find", "--system", "--no-python-downloads", "--no-project", request], env, self.timeout
        )
        path = result.stdout.strip().splitlines()[-1] if result.returncode == 0 and result.stdout.strip() else ""
        if not path:
            tried.append(
                f"no Python {request} on PATH (pyenv shims left out), among pyenv's versions or in the cache "
                f"({_tail(result) or 'uv found none'})"
            )
            return None
        if Path(path).is_relative_to(self.pythons):
            # uv reports bin/python3; the build recorded bin/python3.13 (its symlink target): one path, one venv key.
            path = str(Path(path).resolve())
        version = python_version(path)
        where = "cached" if Path(path).is_relative_to(self.pythons) else "found"
        return Interpreter(path, version, f"{where}: {path} ({version})")

    def _uv(self, requires_python: str, tried: list[str]) -> Interpreter | None:
        """A uv-managed Python downloaded into the cache (fails fast where downloads are blocked)."""
        minors = minors_for(requires_python)
        if not minors:
            tried.append(f"uv-managed: no minor of {', '.join(CANDIDATE_MINORS)} satisfies {requires_python}")
            return None
        env = {**self._uv_env(), "UV_PYTHON_INSTALL_DIR": str(self.pythons / "uv"), "UV_HTTP_RETRIES": "0"}
        try:
            install = self._run_uv(
                ["python", "install", "--no-bin", "--no-registry", minors[0]], env, self.uv_install_timeout
            )
        except subprocess.TimeoutExpired:
            tried.append(f"uv-managed {minors[0]}: download did not finish within {self.uv_install_timeout:.0f} s")
            return None
        if install.returncode != 0:
            tried.append(f"uv-managed {minors[0]}: {_tail(install)}")
            return None
        found = self._run_uv(
            ["python", "find", "--managed-python", "--no-python-downloads", "--no-project", minors[0]],
            env,
            self.timeout,
        )
        path = found.stdout.strip()
        if found.returncode != 0 or not path:
            tried.append(f"uv-managed {minors[0]}: installed but not found ({_tail(found)})")
            return None
        version = python_version(path)
        return Interpreter(path, version, f"uv-managed: {version} ({path})")

    def _debian(self, requires_python: str, tried: list[str]) -> Interpreter | None:
        """Plan a build from Debian source (the index only); the build itself waits for ``ensure``."""
        minors = [m for m in minors_for(requires_python, tuple(DEBIAN_SOURCES))]
        if not minors:
            tried.append(
                f"Debian source: only {', '.join(f'{m} ({s[0]})' for m, s in DEBIAN_SOURCES.items())} known, "
                f"none satisfies {requires_python} (3.12 is not in trixie or any Debian stable)"
            )
            return None
        try:
            source = debian_python.plan(self.cache_dir, minors[0], self.timeout)
        except (SuiteError, OSError, subprocess.TimeoutExpired) as error:
            tried.append(f"Debian source python{minors[0]}: {error}")
            return None
        if not satisfies(source.version, requires_python):
            tried.append(f"Debian source {source.package} is {source.version}, outside {requires_python}")
            return None
        python = source.python(self.cache_dir)
        return Interpreter(
            str(python), source.version, f"built from Debian source {source.package} {source.version}", build=source
        )

    def _uv_env(self) -> dict[str, str]:
        """The caller's environment minus what would point uv at a venv or a project instead of the machine."""
        drop = {
            "VIRTUAL_ENV",
            "CONDA_PREFIX",
            "UV_PYTHON",
            "UV_PYTHON_PREFERENCE",
            "UV_PYTHON_INSTALL_DIR",
            "UV_MANAGED_PYTHON",
            "UV_NO_MANAGED_PYTHON",
        }
        return {k: v for k, v in self.environ.items() if k not in drop}

    def _run_uv(self, args: list[str], env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        return subprocess.run(
            [find_uv_bin(), *args],
            env=env,
            cwd=self.cache_dir,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )

    def check_given_used(self) -> None:
        """``-D python=`` that no release of the run could use is a mistake, said at start."""
        if self.given is not None and not self.given_used:
            raise SuiteError(
                f"-D python={self.given} ({python_version(self.given)}) satisfies the Requires-Python of no release "
                "of this run"
            )


def _tail(result: subprocess.CompletedProcess[str]) -> str:
    """uv's most telling line: its deepest ``cause:``, or the error itself."""
    lines = [line.strip() for line in (result.stderr or result.stdout or "").splitlines() if line.strip()]
    causes = [line.removeprefix("cause: ") for line in lines if line.startswith("cause:")]
    return (causes[-1] if causes else lines[0] if lines else "").removeprefix("error: ")
