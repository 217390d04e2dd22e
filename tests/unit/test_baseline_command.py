"""``make baseline``: refuses without a reason or over an existing file, and writes what judge() reads back."""

from pathlib import Path

import pytest

from upgrade_suite.judging import baseline as command
from upgrade_suite.judging.schema import Baseline, SchemaDiff, compare, judge
from upgrade_suite.releases.specs import Release, ReleaseSpec

DIFF = ["column a.b: migrated VARCHAR | fresh VARCHAR(20)", "index t(x): only in the migrated database (non-unique)"]


def measured_diff() -> SchemaDiff:
    """The schema diff whose lines are DIFF, as ``compare`` makes it."""
    return compare({"column a.b": "VARCHAR", "index t(x)": "non-unique"}, {"column a.b": "VARCHAR(20)"}, "parity")


def fake_release(version: str) -> Release:
    spec = ReleaseSpec(
        version, "pypi", version, f"mcp-contextforge-gateway=={version}", version, "2026-10-21T00:00:00Z"
    )
    return Release(spec, Path("/nowhere"), {"version": version})


def provisioner(installed: list[str]):
    """Resolves like PyPI, installs nothing: records what would have been installed."""

    def provision(alias: str, spec: str):
        def install() -> Release:
            installed.append(spec)
            return fake_release(spec)

        return fake_release(spec).spec, install

    return provision


def args(out: Path, *extra: str) -> list[str]:
    return ["--from", "1.0.0", "--to", "1.1.0", "--db", "sqlite", "--out", str(out), *extra]


@pytest.fixture
def measured(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, str]]:
    calls: list[tuple[str, str, str]] = []

    def measure(old: Release, new: Release, engine: str, workdir: Path, timeout: float) -> SchemaDiff:
        calls.append((old.version, new.version, engine))
        return measured_diff()

    monkeypatch.setattr(command, "measure", measure)
    return calls


@pytest.mark.parametrize("reason", [[], ["--reason", ""], ["--reason", "   "]])
def test_refuses_without_reason_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], reason: list[str]):
    installed: list[str] = []
    assert command.main(args(tmp_path, *reason), provisioner(installed)) == 2
    error = capsys.readouterr().err
    assert error.startswith("make baseline: REASON is required") and error.count("\n") == 1
    assert not installed and not list(tmp_path.iterdir())


def test_refuses_a_multi_line_reason_and_an_unknown_engine(tmp_path: Path):
    with pytest.raises(command.SuiteError, match="one line"):
        command.parse(args(tmp_path, "--reason", "a\nb"))
    with pytest.raises(command.SuiteError, match="DB=sqlite or DB=postgresql"):
        command.parse(["--from", "1.0.0", "--to", "1.1.0", "--db", "mysql", "--reason", "x"])


def test_writes_every_difference_with_the_reason_and_judge_reads_it_back(
    tmp_path: Path, measured, capsys: pytest.CaptureFixture[str]
):
    assert (
        command.main(args(tmp_path, "--reason", "1.1.0's migrations add indexes its models lack"), provisioner([])) == 0
    )
    path = tmp_path / "schema-drift-1.0.0-to-1.1.0-sqlite.txt"
    out = capsys.readouterr().out
    assert out.splitlines()[0] == f"Wrote {path} (2 entries):"
    assert f"  {DIFF[0]}  # reason: 1.1.0's migrations add indexes its models lack" in out.splitlines()
    assert out.rstrip().endswith("review and commit this file")
    assert measured == [("1.0.0", "1.1.0", "sqlite")]
    assert all(
        line.startswith("#") or line.endswith("  # reason: 1.1.0's migrations add indexes its models lack")
        for line in path.read_text().splitlines()
    )
    verdict = judge(measured_diff(), Baseline("1.0.0", "1.1.0+local", "sqlite", tmp_path))
    assert verdict.ok and len(verdict.known) == 2


def test_does_not_overwrite_without_force(tmp_path: Path, measured, capsys: pytest.CaptureFixture[str]):
    path = tmp_path / "schema-drift-1.0.0-to-1.1.0-sqlite.txt"
    path.write_text("reviewed  # reason: by a person\n")
    installed: list[str] = []
    assert command.main(args(tmp_path, "--reason", "again"), provisioner(installed)) == 2
    assert capsys.readouterr().err == f"make baseline: {path} exists: review it, or replace it with FORCE=1\n"
    assert path.read_text() == "reviewed  # reason: by a person\n" and not installed  # refused before installing
    assert command.main(args(tmp_path, "--reason", "again", "--force"), provisioner(installed)) == 0
    assert "reviewed  # reason: by a person" not in path.read_text() and installed == ["1.0.0", "1.1.0"]


def test_refuses_to_record_a_local_build(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    assert (
        command.main(
            ["--from", "1.0.0rc1", "--to", "1.0.0+local", "--db", "sqlite", "--out", str(tmp_path), "--reason", "x"],
            provisioner([]),
        )
        == 2
    )
    assert "TO is a local build (1.0.0+local)" in capsys.readouterr().err


def test_the_default_destination_is_the_suites_baselines(tmp_path: Path):
    request = command.parse(["--from", "1.0.0rc1", "--to", "1.0.0", "--db", "postgresql", "--reason", "x"])
    assert request.out == command.BASELINES
    with pytest.raises(command.SuiteError, match="exists"):  # a shipped file: refused without --force
        command.destination(request, "1.0.0rc1", "1.0.0")
