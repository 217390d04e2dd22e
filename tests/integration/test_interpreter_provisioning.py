"""An interpreter per release, on this machine: no Python 3.12+ on PATH, no python-build-standalone downloads.

The first test builds CPython 3.13 from Debian trixie's source into the suite's own cache, as on a
machine without pyenv's versions (this one has 3.12.1 and 3.13.0 there: the runs use them, and a
test below proves that route; the build is the fallback for every other machine, so CI proves it
too). It builds into the suite's own cache (the one
its runs use in this CI job: $UPGRADE_SUITE_CACHE or ~/.cache/gateway-upgrade-suite), so the
minutes it takes are paid once: the later tests, and the suite's runs after them, reuse it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from uv import find_uv_bin

from upgrade_suite.base.config import SuiteConfig
from upgrade_suite.base.probe_runner import python_version
from upgrade_suite.releases import debian_python
from upgrade_suite.releases.interpreters import Interpreters, pyenv_versions
from upgrade_suite.releases.pypi import PyPIReleases
from upgrade_suite.releases.specs import assign_interpreter, resolve
from upgrade_suite.releases.venvs import ReleaseCache

ROOT = Path(__file__).resolve().parents[2]
#: 1.1.0 was uploaded 2026-10-20: its dependencies as of the next day.
RESOLVED_AT = "2026-10-21T00:00:00Z"


def suite_cache() -> Path:
    return SuiteConfig.from_userdata({}).cache_dir


@pytest.fixture(scope="module")
def release_1_1_0(tmp_path_factory: pytest.TempPathFactory):
    """1.1.0 provisioned from scratch on an interpreter chosen for its Requires-Python (built from Debian source).

    pyenv's installed versions are hidden (an empty PYENV_ROOT), as on a machine that has none.
    """
    cache = suite_cache()
    no_pyenv = {**os.environ, "PYENV_ROOT": str(tmp_path_factory.mktemp("no-pyenv"))}
    interpreters = Interpreters(cache, 900, environ=no_pyenv)
    spec = assign_interpreter(resolve("NEW", "1.1.0", PyPIReleases(cache), RESOLVED_AT), interpreters)
    started = time.monotonic()
    release = ReleaseCache(cache, 900, interpreters).provision(spec)
    print(
        f"\nroute: {spec.interpreter.route}; tried: {spec.interpreter.tried}; build: {interpreters.build_timings}; "
        f"install: {release.info.get('install_seconds')} s; provision: {time.monotonic() - started:.1f} s"
    )
    return release, interpreters


@pytest.mark.timeout(3600)  # the first run on a machine builds CPython (218 s on one core, measured)
def test_release_1_1_0_runs_on_python_built_from_debian_source(release_1_1_0):
    release, _ = release_1_1_0
    spec = release.spec
    assert spec.requires_python == "<3.14,>=3.12"
    assert spec.interpreter is not None
    built_dir = suite_cache() / "pythons"
    # Built now ("built from Debian source") or by an earlier run of this CI job ("cached: ...").
    assert spec.interpreter.kind in ("debian", "found"), spec.interpreter.route
    assert Path(spec.interpreter.path).is_relative_to(built_dir / "debian-python3.13-3.13.5"), spec.interpreter.route
    assert any("uv-managed" in t for t in spec.interpreter.tried) or spec.interpreter.route.startswith("cached: ")
    assert release.version == "1.1.0"
    assert str(release.info["python"]).startswith("3.13.")
    assert len(release.alembic_heads) == 1
    imported = subprocess.run(
        [str(release.python), "-c", "import mcpgateway, ssl, sqlite3; print(mcpgateway.__file__)"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert imported.returncode == 0, imported.stderr
    assert "python3.13/site-packages" in imported.stdout
    assert release.alembic_ini.is_file()
    assert not list(built_dir.glob(".build-*")), "a build left its temporary directory behind"


def test_an_interpreter_on_path_is_found_and_nothing_is_built(
    release_1_1_0, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Route b on a fake machine: python3.13 on PATH (a symlink to the one built above), pyenv shims first on PATH."""
    release, _ = release_1_1_0
    built = Path(release.spec.interpreter.path)
    machine = tmp_path / "bin"
    machine.mkdir()
    (machine / "python3.13").symlink_to(built)
    shims = tmp_path / "pyenv" / "shims"
    shims.mkdir(parents=True)
    for name in ("python", "python3.12", "python3.13"):  # dispatchers that exit 127, as pyenv's do here
        (shims / name).write_text("#!/usr/bin/env bash\n# pyenv shim\necho 'pyenv: command not found' >&2\nexit 127\n")
        (shims / name).chmod(0o755)
    environ = {**os.environ, "PATH": f"{shims}:{machine}:/usr/bin:/bin", "PYENV_ROOT": str(tmp_path / "pyenv")}

    def no_build(*args, **kwargs):
        raise AssertionError("route b must not build anything")

    monkeypatch.setattr(debian_python, "build", no_build)
    interpreters = Interpreters(suite_cache(), 120, environ=environ)
    chosen = interpreters.choose("<3.14,>=3.12", "NEW=1.1.0")
    assert chosen.kind == "found"
    assert chosen.route == f"found: {machine / 'python3.13'} ({release.info['python']})"
    assert chosen.build is None
    interpreters.ensure(chosen)
    venv = tmp_path / "venv"
    made = subprocess.run(
        [find_uv_bin(), "venv", "--quiet", "--python", chosen.path, str(venv)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0, made.stderr


@pytest.mark.skipif(not pyenv_versions(os.environ), reason="this machine has no pyenv-installed Python versions")
def test_a_python_pyenv_installed_is_found_behind_its_shims(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Here pyenv's global version is 3.11 and its shims hide 3.12.1 and 3.13.0: they are used, nothing is built."""
    monkeypatch.setattr(debian_python, "build", lambda *a, **k: pytest.fail("a pyenv version must not be rebuilt"))
    empty_cache = tmp_path / "cache"
    wanted = "<3.14,>=3.12"
    satisfying = [d for d in pyenv_versions(os.environ) if d.parent.name.startswith(("3.12.", "3.13."))]
    if not satisfying:
        pytest.skip(f"pyenv has no version satisfying {wanted}")
    chosen = Interpreters(empty_cache, 120).choose(wanted, "NEW=1.1.0")
    assert chosen.kind == "found", chosen.route
    assert Path(chosen.path).parent in satisfying, chosen.route
    assert chosen.version == satisfying[0].parent.name  # the newest pyenv version first
    assert python_version(chosen.path) == chosen.version


_INTERRUPTED_BUILD = textwrap.dedent('''
    """Builds a tiny fake source whose configure blocks, so the test can interrupt it mid-build."""
    import sys
    from pathlib import Path
    from upgrade_suite.releases import debian_python

    def fetch(source, cache_dir, destination, timeout):
        tree = destination / "fake-python"
        tree.mkdir(parents=True)
        (tree / "configure").write_text("#!/bin/sh\\necho $$ > " + sys.argv[2] + "\\nexec sleep 300\\n")
        (tree / "configure").chmod(0o755)
        return tree

    debian_python.fetch = fetch
    debian_python.check_toolchain = lambda timeout, install=True: None
    source = debian_python.DebianSource("trixie", "python3.13", "3.13.5-2")
    debian_python.build(source, Path(sys.argv[1]), 600)
''')


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_build_leaves_no_half_built_interpreter(tmp_path: Path, sig: signal.Signals):
    cache, started = tmp_path / "cache", tmp_path / "configure-started"
    script = tmp_path / "build.py"
    script.write_text(_INTERRUPTED_BUILD)
    process = subprocess.Popen(
        [sys.executable, str(script), str(cache), str(started)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not started.exists():
        assert process.poll() is None, process.stdout.read()
        assert time.monotonic() < deadline, "the fake build never reached configure"
        time.sleep(0.1)
    assert list((cache / "pythons").glob(".build-*")), "the build works in a temporary directory"
    process.send_signal(sig)
    output, _ = process.communicate(timeout=60)
    assert process.returncode != 0
    assert "KeyboardInterrupt" in output
    pythons = cache / "pythons"
    assert not list(pythons.glob(".build-*")), "the temporary build directory was left behind"
    assert not (pythons / "debian-python3.13-3.13.5").exists(), "a half-built interpreter was left in the cache"
    configure = started.read_text().strip()
    assert not Path(f"/proc/{configure}").exists(), "the interrupted configure (and its process group) kept running"
