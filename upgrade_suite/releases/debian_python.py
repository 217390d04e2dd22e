"""CPython built once into the suite's cache from Debian's own source package (the last route).

A machine without Python 3.12+ and without python-build-standalone downloads can still run the
releases that need it: Debian's archive is reachable wherever ``apt-get`` works, and trixie's
``python3.13`` source is upstream's tarball plus Debian's (security) patches. It is fetched with
a PRIVATE apt configuration kept in the cache (the system's apt setup is only read, never
written), then built with plain ``./configure && make && make install`` (not Debian's rules:
those build a distro package, far slower, and need root).

The build happens in a temporary directory inside the cache and is renamed into place only when
complete and checked, under a file lock: two runs never build twice, and an interrupt (Ctrl-C,
SIGTERM) leaves nothing half-built behind.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from upgrade_suite.base.errors import SuiteError
from upgrade_suite.base.progress import console, exclusive
from upgrade_suite.base.waiting import bounded_run, sigterm_as_interrupt

#: Python minor -> (Debian suite, source package) that ships it. Bookworm has 3.11 only (the suite's
#: own); 3.12 was never in a Debian stable release (trixie went from 3.11 straight to 3.13).
DEBIAN_SOURCES: dict[str, tuple[str, str]] = {"3.13": ("trixie", "python3.13")}
MIRROR = "http://deb.debian.org/debian"
#: CPython without its own test suite (no release imports it): measured 166 s to build, not 192 s; 237 MB, not 384.
NO_TESTS = "--disable-test-modules"
#: Standard modules a release needs, and the Debian -dev package each one is built against.
REQUIRED_MODULES: dict[str, str] = {
    "ssl": "libssl-dev",
    "sqlite3": "libsqlite3-dev",
    "ctypes": "libffi-dev",
    "lzma": "liblzma-dev",
    "bz2": "libbz2-dev",
    "zlib": "zlib1g-dev",
}
#: Also needed: dpkg-source (dpkg-dev) unpacks the source package with Debian's patches.
BUILD_PACKAGES: tuple[str, ...] = ("dpkg-dev", *REQUIRED_MODULES.values())


@dataclass(frozen=True)
class DebianSource:
    """One source package of one Debian suite, at the version its index lists today."""

    suite: str
    package: str
    debian_version: str  # e.g. 3.13.5-2+deb13u5

    @property
    def version(self) -> str:
        """Upstream's version (3.13.5): what ``sys.version`` of the built interpreter says."""
        return self.debian_version.split(":")[-1].split("-")[0].split("+")[0]

    @property
    def name(self) -> str:
        return f"debian-{self.package}-{self.version}"

    def prefix(self, cache_dir: Path) -> Path:
        return cache_dir / "pythons" / self.name

    def python(self, cache_dir: Path) -> Path:
        return self.prefix(cache_dir) / "bin" / self.package


class PrivateApt:
    """``apt-get`` with its sources, lists and archives in the cache: the system's apt state is untouched."""

    def __init__(self, cache_dir: Path, suite: str, timeout: float) -> None:
        self.root = cache_dir / "apt" / suite
        self.suite = suite
        self.timeout = timeout

    @property
    def sources_list(self) -> Path:
        return self.root / "sources.list"

    def command(self, *args: str) -> list[str]:
        """The apt-get command line: every path it may write lies under the cache."""
        options = {
            "Dir::Etc::SourceList": str(self.sources_list),
            "Dir::Etc::SourceParts": "/dev/null",
            "Dir::State::Lists": str(self.root / "lists"),
            "Dir::Cache": str(self.root / "cache"),
            "Debug::NoLocking": "1",  # the locks live in the system's dirs; ours are private anyway
        }
        if os.geteuid() == 0:
            options["APT::Sandbox::User"] = "root"  # apt would drop to _apt, who cannot write our cache
        return ["apt-get", "-q", *(item for key, value in options.items() for item in ("-o", f"{key}={value}")), *args]

    def _prepare(self) -> None:
        for directory in (self.root / "lists" / "partial", self.root / "cache" / "archives" / "partial"):
            directory.mkdir(parents=True, exist_ok=True)
        self.sources_list.write_text(f"deb-src {MIRROR} {self.suite} main\n")

    def run(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        """One apt-get command, one at a time per cache: with apt's own locking off, runs started together
        (CI starts four) rewrote each other's sources list and index mid-update ("You must put some
        'deb-src' URIs in your sources.list", "Some index files failed to download")."""
        self.root.mkdir(parents=True, exist_ok=True)
        with exclusive(self.root / "apt-get.lock"):
            self._prepare()
            return subprocess.run(
                self.command(*args),
                cwd=cwd,
                capture_output=True,
                text=True,
                timeout=self.timeout,
                stdin=subprocess.DEVNULL,
            )

    def update(self) -> None:
        """Refresh the private source index; offline, an index from an earlier run is good enough."""
        result = self.run("update")
        if result.returncode != 0 and not any((self.root / "lists").glob("*Sources*")):
            raise SuiteError(f"apt-get update of Debian {self.suite}'s sources failed: {_last_line(result)}")

    def source_version(self, package: str) -> str:
        """The version of ``package`` the private index lists (``apt-get source --print-uris``, no download)."""
        result = self.run("source", "--print-uris", package)
        match = re.search(rf"'\S+/{re.escape(package)}_([^_']+)\.dsc'", result.stdout)
        if result.returncode != 0 or not match:
            raise SuiteError(f"Debian {self.suite} has no source package {package}: {_last_line(result)}")
        return unquote(match.group(1))  # the URI spells 2+deb13u5 as 2%2bdeb13u5


def plan(cache_dir: Path, minor: str, timeout: float) -> DebianSource:
    """What to build for ``minor`` (cheap: the index only), checking up front what the build needs."""
    suite, package = DEBIAN_SOURCES[minor]
    if shutil.which("apt-get") is None:
        raise SuiteError(f"building Python {minor} from Debian source needs apt-get, which this machine lacks")
    check_toolchain(timeout, install=False)  # what is missing is said now, not minutes into the run
    apt = PrivateApt(cache_dir, suite, timeout)
    apt.update()
    return DebianSource(suite, package, apt.source_version(package))


def missing_packages(packages: Sequence[str] = BUILD_PACKAGES) -> list[str]:
    """The build's Debian packages that ``dpkg-query`` does not report installed."""
    result = subprocess.run(
        ["dpkg-query", "-W", "-f", "${Package} ${db:Status-Status}\n", *packages], capture_output=True, text=True
    )
    installed = {line.split()[0].split(":")[0] for line in result.stdout.splitlines() if line.endswith(" installed")}
    return [p for p in packages if p not in installed]


def check_toolchain(timeout: float, install: bool = True) -> None:
    """A compiler, make and the -dev packages; as root (when ``install``), missing packages are installed from
    Debian's archive."""
    tools = [t for t in ("cc", "make", "dpkg-query") if shutil.which(t) is None]
    if tools:
        raise SuiteError(
            f"building Python from Debian source needs {', '.join(tools)}: run 'apt-get install build-essential'"
        )
    missing = missing_packages()
    if missing and os.geteuid() == 0 and not install:
        return  # root: installed at build time, like haproxy (tools.py)
    if missing and os.geteuid() == 0:
        console.print(f"[cyan]installing {' '.join(missing)} from Debian's archive (to build Python)[/cyan]")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(
            ["apt-get", "install", "-y", "-q", "-o", "DPkg::Lock::Timeout=120", *missing],
            capture_output=True,
            timeout=timeout,
            env=env,
            stdin=subprocess.DEVNULL,
        )
        missing = missing_packages()
    if missing:
        raise SuiteError(
            f"building Python from Debian source needs {' '.join(missing)}: run 'apt-get install "
            f"{' '.join(missing)}' as root"
        )


def build(source: DebianSource, cache_dir: Path, timeout: float, jobs: int | None = None) -> dict[str, float]:
    """Fetch, build and install ``source`` into its prefix in the cache, atomically; returns phase timings."""
    final = source.prefix(cache_dir)
    pythons = final.parent
    with exclusive(pythons / f"{source.name}.lock"):
        if _works(source.python(cache_dir)):
            return {}  # another run built it while we waited
        for stale in pythons.glob(f".build-{source.name}-*"):
            shutil.rmtree(
                stale, ignore_errors=True
            )  # a build killed by SIGKILL (we hold the lock: nobody else builds it)
        check_toolchain(timeout)
        timings: dict[str, float] = {}
        started = time.monotonic()
        scratch = Path(tempfile.mkdtemp(prefix=f".build-{source.name}-", dir=pythons))
        log = scratch / "build.log"
        try:
            with (
                sigterm_as_interrupt(),
                console.status(
                    f"Fetching Debian {source.suite}'s {source.package} {source.debian_version} source ..."
                ) as status,
            ):
                tree = fetch(source, cache_dir, scratch / "src", timeout)
                timings["fetch"] = time.monotonic() - started
                staging = scratch / "root"
                steps = [
                    ("configure", ["./configure", f"--prefix={final}", "--with-ensurepip=no", NO_TESTS]),
                    ("make", ["make", f"-j{jobs or os.cpu_count() or 1}"]),
                    ("install", ["make", "install", f"DESTDIR={staging}"]),
                ]
                for name, command in steps:
                    status.update(
                        f"Building Python {source.version} from Debian source: {name} (niced; a few minutes) ..."
                    )
                    _step(["nice", "-n", "10", *command], tree, log, timeout, f"{name} of Python {source.version}")
                timings["build"] = time.monotonic() - started - timings["fetch"]
                staged = staging / final.relative_to("/")
                _check_modules(staged / "bin" / source.package)
                if final.exists():
                    shutil.rmtree(final)  # one that no longer runs (we hold the lock)
                os.rename(staged, final)  # the only moment the final dir appears, and it is complete
        except BaseException:
            if log.exists():
                shutil.copy(log, pythons / f"{source.name}.build.log")
            raise
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        timings["total"] = time.monotonic() - started
        console.print(
            f"Built Python {source.version} from Debian source in {timings['total']:.0f} s "
            f"(fetch {timings['fetch']:.1f} s, build {timings['build']:.0f} s) -> {final}"
        )
        return timings


def fetch(source: DebianSource, cache_dir: Path, destination: Path, timeout: float) -> Path:
    """``apt-get source`` (unpacked with Debian's patches, which carry its security fixes) into ``destination``."""
    destination.mkdir(parents=True)
    fetched = PrivateApt(cache_dir, source.suite, timeout).run(
        "source", f"{source.package}={source.debian_version}", cwd=destination
    )
    tree = next((p for p in destination.iterdir() if p.is_dir()), None)
    if fetched.returncode != 0 or tree is None:
        raise SuiteError(f"apt-get source {source.package} failed: {_last_line(fetched)}")
    return tree


def _step(command: list[str], cwd: Path, log: Path, timeout: float, what: str) -> None:
    """One build step in its own process group, so an interrupt stops the compilers too."""
    with log.open("a") as out:
        out.write(f"$ {' '.join(command)}\n")
        out.flush()
        process = subprocess.Popen(
            command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
        try:
            returncode = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            raise SuiteError(
                f"{what} did not finish within {timeout:.0f} s: see the cache's pythons/*.build.log"
            ) from None
        except BaseException:
            _kill_group(process)
            raise
    if returncode != 0:
        tail = [line for line in log.read_text(errors="replace").splitlines() if line.strip()][-1:]
        raise SuiteError(
            f"{what} failed ({tail[0].strip() if tail else f'exit {returncode}'}): see the cache's pythons/*.build.log"
        )


def _kill_group(process: subprocess.Popen[Any]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def _check_modules(python: Path) -> None:
    """The modules releases import; a missing one names the Debian -dev package it needs."""
    script = (
        "import importlib,sys\nfor m in sys.argv[1:]:\n try: importlib.import_module(m)\n except ImportError: print(m)"
    )
    result = bounded_run([str(python), "-c", script, *REQUIRED_MODULES], f"the module check of {python}", 60)
    missing = result.stdout.split() if result.returncode == 0 else list(REQUIRED_MODULES)
    if missing:
        packages = " ".join(REQUIRED_MODULES[m] for m in missing if m in REQUIRED_MODULES)
        raise SuiteError(
            f"the Python built from Debian source lacks {', '.join(missing)}: run 'apt-get install {packages}' and "
            "run again"
        )


def _works(python: Path) -> bool:
    return python.is_file() and subprocess.run([str(python), "-c", "pass"], capture_output=True).returncode == 0


def _last_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in (result.stderr or result.stdout or "").splitlines() if line.strip()]
    return lines[-1].strip() if lines else f"exit {result.returncode}"
