"""Choosing a release's interpreter: each route with fakes, Requires-Python sources, PATH filtering, keys, private
apt."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from upgrade_suite.base.errors import SuiteError
from upgrade_suite.releases import debian_python, interpreters
from upgrade_suite.releases.debian_python import DebianSource, PrivateApt
from upgrade_suite.releases.interpreters import (
    Interpreter,
    Interpreters,
    minors_for,
    pyenv_versions,
    search_path,
    source_requires_python,
    wheel_requires_python,
)
from upgrade_suite.releases.pypi import PyPIReleases
from upgrade_suite.releases.specs import ReleaseSpec, assign_interpreter, resolve, resolve_all

NEW = "<3.14,>=3.12"  # 1.0.8, 1.0.9, 1.1.0
OLD = "<3.14,>=3.11"  # 0.9.0 .. 1.0.7


def completed(stdout: str = "", stderr: str = "", returncode: int = 0) -> subprocess.CompletedProcess[str]:
    return subprocess.CompletedProcess([], returncode, stdout, stderr)


class FakeMachine(Interpreters):
    """Interpreters whose uv calls, interpreter probes and Debian plan are scripted, recording what ran."""

    def __init__(
        self, tmp_path: Path, found: str = "", install_error: str = "", debian: DebianSource | None = None, **kwargs
    ) -> None:
        super().__init__(tmp_path / "cache", 30, **kwargs)
        self.found, self.install_error, self.debian = found, install_error, debian
        self.calls: list[list[str]] = []

    def _run_uv(self, args, env, timeout):
        self.calls.append(args)
        if args[:2] == ["python", "find"] and "--system" in args:
            return (
                completed(self.found + "\n")
                if self.found
                else completed(
                    stderr="error: No interpreter found for Python >=3.12, <3.14 in search path", returncode=2
                )
            )
        if args[:2] == ["python", "install"]:
            return (
                completed(stderr=f"error: Failed to install\n  cause: {self.install_error}", returncode=1)
                if self.install_error
                else completed()
            )
        return completed("/cache/pythons/uv/cpython-3.13.9/bin/python3.13\n")


@pytest.fixture(autouse=True)
def versions(monkeypatch: pytest.MonkeyPatch) -> None:
    """Interpreters report a version from their name (python3.13 -> 3.13.5) instead of being run."""

    def version(path, timeout=30.0):
        name = Path(str(path)).name
        return "3.13.5" if "3.13" in name else "3.12.9" if "3.12" in name else "%d.%d.%d" % sys.version_info[:3]

    monkeypatch.setattr(interpreters, "python_version", version)


def debian_planned(monkeypatch: pytest.MonkeyPatch) -> DebianSource:
    source = DebianSource("trixie", "python3.13", "3.13.5-2+deb13u5")
    monkeypatch.setattr(debian_python, "plan", lambda cache_dir, minor, timeout: source)
    return source


def test_the_suite_interpreter_when_it_satisfies(tmp_path: Path):
    machine = FakeMachine(tmp_path)
    chosen = machine.choose(OLD, "GA=1.0.0")
    assert (chosen.kind, chosen.path) == ("suite", sys.executable)
    assert chosen.route == f"suite: {sys.executable} ({'%d.%d.%d' % sys.version_info[:3]})"
    assert machine.calls == []  # nothing else asked


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="the suite runs on 3.11 here")
def test_an_interpreter_found_on_the_machine(tmp_path: Path):
    machine = FakeMachine(tmp_path, found="/usr/bin/python3.13")
    chosen = machine.choose(NEW, "NEW=1.1.0")
    assert (chosen.kind, chosen.route) == ("found", "found: /usr/bin/python3.13 (3.13.5)")
    assert chosen.tried == (f"the suite's own Python {'%d.%d.%d' % sys.version_info[:3]}",)
    assert machine.calls == [["python", "find", "--system", "--no-python-downloads", "--no-project", NEW]]


def test_uv_install_failing_leads_to_the_debian_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    source = debian_planned(monkeypatch)
    machine = FakeMachine(tmp_path, install_error="dns error")
    chosen = machine.choose(NEW, "NEW=1.1.0")
    assert chosen.kind == "debian" and chosen.build == source
    assert chosen.route == "built from Debian source python3.13 3.13.5"
    assert chosen.path == str(tmp_path / "cache" / "pythons" / "debian-python3.13-3.13.5" / "bin" / "python3.13")
    assert "uv-managed 3.13: dns error" in chosen.tried
    assert ["python", "install", "--no-bin", "--no-registry", "3.13"] in machine.calls


def test_the_build_waits_for_provisioning_and_happens_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    debian_planned(monkeypatch)
    machine = FakeMachine(tmp_path, install_error="dns error")
    built: list[DebianSource] = []
    monkeypatch.setattr(
        debian_python, "build", lambda source, cache_dir, timeout: built.append(source) or {"total": 1.0}
    )
    chosen = machine.choose(NEW, "NEW=1.1.0")
    assert built == []  # choosing never builds
    assert machine.choose(NEW, "OTHER=1.0.9") is chosen  # one choice per Requires-Python per run
    machine.ensure(chosen)
    assert len(built) == 1


def test_a_uv_managed_python_when_the_download_works(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    debian_planned(monkeypatch)
    chosen = FakeMachine(tmp_path).choose(NEW, "NEW=1.1.0")
    assert (chosen.kind, chosen.route) == ("uv", "uv-managed: 3.13.5 (/cache/pythons/uv/cpython-3.13.9/bin/python3.13)")


def test_nothing_satisfies_is_one_line_naming_release_and_requires_python(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    def no_source(cache_dir, minor, timeout):
        raise SuiteError("apt-get update of Debian trixie's sources failed: Could not resolve 'deb.debian.org'")

    monkeypatch.setattr(debian_python, "plan", no_source)
    with pytest.raises(SuiteError) as error:
        FakeMachine(tmp_path, install_error="dns error").choose(NEW, "NEW=1.1.0")
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith(
        "NEW=1.1.0 requires Python <3.14,>=3.12 and no interpreter satisfies it: tried the suite's own Python"
    )
    assert "on PATH" in message and "uv-managed 3.13: dns error" in message and "Could not resolve" in message


def test_python_3_12_only_is_not_built_from_debian(tmp_path: Path):
    with pytest.raises(SuiteError, match="3.12 is not in trixie"):
        FakeMachine(tmp_path, install_error="dns error").choose(">=3.12,<3.13", "NEW=9.9")
    assert minors_for(NEW) == ["3.13", "3.12"] and minors_for(OLD) == ["3.13", "3.12", "3.11"]


def test_routes_can_be_forced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    debian_planned(monkeypatch)
    chosen = FakeMachine(tmp_path, found="/usr/bin/python3.13", routes=("debian",)).choose(OLD, "GA=1.0.0")
    assert chosen.kind == "debian"


def test_a_given_interpreter_is_used_where_it_satisfies_and_refused_where_it_suits_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    given = FakeMachine(tmp_path, given=Path("/opt/python3.13"))
    assert given.choose(NEW, "NEW=1.1.0").route == "given: /opt/python3.13 (3.13.5)"
    given.check_given_used()
    useless = FakeMachine(tmp_path, given=Path("/opt/python3.12"), found="/usr/bin/python3.13")
    assert useless.choose(">=3.13", "NEW=2.0").kind == "found"
    with pytest.raises(
        SuiteError, match=r"-D python=/opt/python3.12 \(3.12.9\) satisfies the Requires-Python of no release"
    ):
        useless.check_given_used()


def test_requires_python_from_pypi_wheel_and_pyproject(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import httpx

    releases = {
        "1.1.0": [
            {"packagetype": "sdist", "requires_python": "<3.14,>=3.12", "upload_time_iso_8601": "2026-10-20T10:00:00Z"},
            {
                "packagetype": "bdist_wheel",
                "requires_python": "<3.14,>=3.12",
                "upload_time_iso_8601": "2026-10-20T10:00:01Z",
            },
        ],
        "1.0.0": [
            {"packagetype": "bdist_wheel", "requires_python": OLD, "upload_time_iso_8601": "2026-05-19T21:24:29Z"}
        ],
    }
    (tmp_path / "pypi-releases.json").write_text(json.dumps(releases))
    monkeypatch.setattr(httpx, "get", lambda *a, **k: (_ for _ in ()).throw(httpx.ConnectError("offline")))
    index = PyPIReleases(tmp_path)  # offline: the cached JSON keeps requires_python too
    assert resolve("NEW", "1.1.0", index).requires_python == NEW
    assert resolve("GA", "1.0.0", index).requires_python == OLD

    wheel = tmp_path / "mcp_contextforge_gateway-1.0.0+local-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(
            "mcp_contextforge_gateway-1.0.0+local.dist-info/METADATA",
            f"Metadata-Version: 2.1\nName: x\nRequires-Python: {NEW}\n\n",
        )
    assert wheel_requires_python(wheel) == NEW
    assert resolve("GA", str(wheel), index).requires_python == NEW

    tree = tmp_path / "src"
    tree.mkdir()
    (tree / "pyproject.toml").write_text(
        '[project]\nname = "mcp-contextforge-gateway"\nversion = "1.0.0"\nrequires-python = ">=3.12,<3.14"\n'
    )
    assert source_requires_python(tree) == ">=3.12,<3.14"
    assert resolve("GA", str(tree), index).requires_python == ">=3.12,<3.14"


def test_pyenv_shims_are_left_off_the_path_uv_searches(tmp_path: Path):
    pyenv_root, plugin, other, real = (
        tmp_path / "pyenv",
        tmp_path / "plugin-shims",
        tmp_path / "other",
        tmp_path / "bin",
    )
    for directory in (pyenv_root / "shims", plugin, other, real):
        directory.mkdir(parents=True)
    (plugin / "python").write_text("#!/usr/bin/env bash\nexec pyenv exec python\n")  # a shims dir elsewhere
    (other / "python").write_text('#!/bin/sh\nexec /usr/bin/python3 "$@"\n')  # a wrapper, not pyenv's
    environ = {"PATH": f"{pyenv_root / 'shims'}:{plugin}:{other}:{real}", "PYENV_ROOT": str(pyenv_root)}
    assert search_path(environ, [tmp_path / "cache-bin"]) == f"{other}:{real}:{tmp_path / 'cache-bin'}"


def test_the_cache_key_follows_the_interpreter():
    spec = ReleaseSpec("NEW", "pypi", "1.1.0", "mcp-contextforge-gateway==1.1.0", "1.1.0", "2026-10-21T00:00:00Z", NEW)
    suite = Interpreter(sys.executable, "%d.%d.%d" % sys.version_info[:3], "suite: ...", "suite")
    built = Interpreter("/cache/pythons/debian-python3.13-3.13.5/bin/python3.13", "3.13.5", "built ...", "debian")
    elsewhere = Interpreter("/usr/bin/python3.13", "3.13.5", "found ...", "found")
    newer = Interpreter("/usr/bin/python3.13", "3.13.7", "found ...", "found")
    keys = {ReleaseSpec(**{**spec.__dict__, "interpreter": i}).key for i in (suite, built, elsewhere, newer)}
    assert len(keys) == 4
    assert ReleaseSpec(**{**spec.__dict__, "interpreter": suite}).key == spec.key  # the suite's own: keys as before


def test_resolve_all_chooses_up_front(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from tests.unit.test_releases import FakeIndex

    index = FakeIndex()
    index.__dict__["requires_python"]["1.0.0"] = NEW
    with pytest.raises(SuiteError, match="^GA=1.0.0 requires Python <3.14,>=3.12"):
        resolve_all({"GA": "1.0.0", "RC1": "1.0.0rc1"}, {}, index, FakeMachine(tmp_path, routes=("suite",)))
    specs = resolve_all({"RC1": "1.0.0rc1"}, {}, index, FakeMachine(tmp_path))
    assert specs["RC1"].interpreter.kind == "suite"
    assert assign_interpreter(specs["RC1"], FakeMachine(tmp_path, routes=())) is specs["RC1"]


def test_an_alias_the_selection_does_not_name_gets_no_interpreter_up_front(tmp_path: Path):
    """A run of the plan's releases must not fail, or plan a build, for a Python only today's releases need."""
    from tests.unit.test_releases import FakeIndex

    index = FakeIndex()
    index.__dict__["requires_python"]["1.0.0"] = NEW
    specs = resolve_all(
        {"GA": "1.0.0", "RC1": "1.0.0rc1"}, {}, index, FakeMachine(tmp_path, routes=("suite",)), used={"RC1"}
    )
    assert specs["RC1"].interpreter is not None and specs["GA"].interpreter is None
    with pytest.raises(SuiteError, match="^GA=1.0.0 requires Python <3.14,>=3.12"):  # still refused when provisioned
        assign_interpreter(specs["GA"], FakeMachine(tmp_path, routes=("suite",)))


def test_the_private_apt_never_points_at_the_system_configuration(tmp_path: Path):
    apt = PrivateApt(tmp_path / "cache", "trixie", 30)
    command = apt.command("source", "python3.13=3.13.5-2+deb13u5")
    assert command[0] == "apt-get"
    assert not [part for part in command if "/etc/apt" in part or "/var/lib/apt" in part or "/var/cache/apt" in part]
    options = dict(part.split("=", 1) for part in command if part.startswith(("Dir::", "Debug::")))
    assert options["Dir::Etc::SourceList"] == str(tmp_path / "cache" / "apt" / "trixie" / "sources.list")
    assert options["Dir::Etc::SourceParts"] == "/dev/null"
    assert all(Path(options[k]).is_relative_to(tmp_path / "cache") for k in ("Dir::State::Lists", "Dir::Cache"))
    assert options["Debug::NoLocking"] == "1"
    apt._prepare()
    assert apt.sources_list.read_text() == "deb-src http://deb.debian.org/debian trixie main\n"


def test_missing_modules_name_the_debian_packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(debian_python.subprocess, "run", lambda *a, **k: completed("ssl\nlzma\n"))
    with pytest.raises(SuiteError, match=r"lacks ssl, lzma: run 'apt-get install libssl-dev liblzma-dev'"):
        debian_python._check_modules(tmp_path / "python3.13")


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="the suite runs on 3.11 here")
def test_a_cached_build_keeps_the_path_and_key_it_was_built_with(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """uv finds the cache's bin/python3; the build route named bin/python3.13: both must give the same venv."""
    source = debian_planned(monkeypatch)
    bin_dir = tmp_path / "cache" / "pythons" / source.name / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "python3.13").write_text("")
    (bin_dir / "python3").symlink_to("python3.13")
    planned = FakeMachine(tmp_path, install_error="dns error").choose(NEW, "NEW=1.1.0")
    cached = FakeMachine(tmp_path, found=str(bin_dir / "python3")).choose(NEW, "NEW=1.1.0")
    assert cached.route == f"cached: {bin_dir / 'python3.13'} (3.13.5)"
    spec = ReleaseSpec("NEW", "pypi", "1.1.0", "mcp-contextforge-gateway==1.1.0", "1.1.0", "2026-10-21T00:00:00Z", NEW)
    assert (
        ReleaseSpec(**{**spec.__dict__, "interpreter": planned}).key
        == ReleaseSpec(**{**spec.__dict__, "interpreter": cached}).key
    )


def test_pyenv_versions_are_searched_newest_first_without_its_virtualenvs(tmp_path: Path):
    versions = tmp_path / "pyenv" / "versions"
    for name in ("3.11.7", "3.13.0", "3.12.1", "3.9.18", "miniconda3-latest", "tools-venv"):
        (versions / name / "bin").mkdir(parents=True)
    (versions / "tools-venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")  # pyenv-virtualenv: not a system Python
    found = pyenv_versions({"PYENV_ROOT": str(tmp_path / "pyenv")})
    assert [d.parent.name for d in found] == ["3.13.0", "3.12.1", "3.11.7", "3.9.18"]
    assert pyenv_versions({"PYENV_ROOT": str(tmp_path / "none")}) == []
