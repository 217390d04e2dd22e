"""``make baseline``: a draft of what to accept, then a baseline only when every line has a reason of its own."""

from pathlib import Path

import pytest

from upgrade_suite.judging import baseline as command
from upgrade_suite.judging.drift import judge
from upgrade_suite.judging.schema import Baseline, SchemaDiff, compare
from upgrade_suite.judging.triage import Triage, triage
from upgrade_suite.releases.specs import Release, ReleaseSpec

#: Two lines that behave differently (a NOT NULL and a unique index on one side only) and one without effect.
TO_ACCEPT = [
    "column a.b: migrated VARCHAR | fresh VARCHAR NOT NULL",
    "index a(x): only in the migrated database (unique)",
]


def measured_diff() -> SchemaDiff:
    """The schema diff of TO_ACCEPT and a VARCHAR length (no effect on SQLite), as ``compare`` makes it."""
    return compare(
        {"table a": "present", "column a.b": "VARCHAR", "column a.c": "VARCHAR", "index a(x)": "unique"},
        {"table a": "present", "column a.b": "VARCHAR NOT NULL", "column a.c": "VARCHAR(9)"},
        "parity",
    )


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

    def measure(old: Release, new: Release, engine: str, workdir: Path, timeout: float) -> Triage:
        calls.append((old.version, new.version, engine))
        return triage(measured_diff(), engine)

    monkeypatch.setattr(command, "measure", measure)
    return calls


def test_refuses_an_unknown_engine_and_a_missing_reasons_file(tmp_path: Path):
    with pytest.raises(command.SuiteError, match="DB=sqlite or DB=postgresql"):
        command.parse(["--from", "1.0.0", "--to", "1.1.0", "--db", "mysql"])
    with pytest.raises(command.SuiteError, match="REASONS=.*: no such file"):
        command.parse(args(tmp_path, "--reasons", str(tmp_path / "none.draft")))


def draft_of(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    assert command.main(args(tmp_path), provisioner([])) == 0
    draft = tmp_path / "schema-drift-1.0.0-to-1.1.0-sqlite.draft"
    assert f"REASONS={draft}" in capsys.readouterr().out
    return draft


def test_without_reasons_it_writes_a_draft_of_what_to_accept_under_each_consequence(
    tmp_path: Path, measured, capsys: pytest.CaptureFixture[str]
):
    draft = draft_of(tmp_path, capsys)
    text = draft.read_text()
    assert [line for line in text.splitlines() if not line.startswith("#") and line] == [
        f"{line}  # reason: " for line in TO_ACCEPT
    ]
    assert "# behaves differently: a NULL a.b is stored on the upgraded database" in text
    assert "column a.c" not in text  # no effect: nothing to accept
    assert not (tmp_path / "schema-drift-1.0.0-to-1.1.0-sqlite.txt").exists()
    assert measured == [("1.0.0", "1.1.0", "sqlite")]


def test_the_draft_with_a_reason_on_each_line_becomes_the_baseline_judge_reads(
    tmp_path: Path, measured, capsys: pytest.CaptureFixture[str]
):
    draft = draft_of(tmp_path, capsys)
    reasons = iter(["probed: 1.1.0 always writes b", "probed: x is a uuid the release generates"])
    draft.write_text(
        "\n".join(
            line + next(reasons) if line.endswith("# reason: ") else line for line in draft.read_text().splitlines()
        )
    )
    assert command.main(args(tmp_path, "--reasons", str(draft)), provisioner([])) == 0
    assert "(2 accepted line(s)): review and commit this file" in capsys.readouterr().out
    verdict = judge(measured_diff(), Baseline("1.0.0", "1.1.0+local", "sqlite", tmp_path))
    assert verdict.ok and len(verdict.known) == 2


@pytest.mark.parametrize(
    "reasons, refusal",
    [
        (["same", "same"], "the same reason as line"),
        (["written", ""], "a baseline entry without a reason"),
    ],
)
def test_a_shared_or_missing_reason_writes_nothing(
    tmp_path: Path, measured, capsys: pytest.CaptureFixture[str], reasons: list[str], refusal: str
):
    draft = draft_of(tmp_path, capsys)
    given = iter(reasons)
    draft.write_text(
        "\n".join(
            line + next(given) if line.endswith("# reason: ") else line for line in draft.read_text().splitlines()
        )
    )
    assert command.main(args(tmp_path, "--reasons", str(draft)), provisioner([])) == 2
    assert refusal in capsys.readouterr().err
    assert not (tmp_path / "schema-drift-1.0.0-to-1.1.0-sqlite.txt").exists()


def test_reasons_for_lines_not_measured_are_refused(tmp_path: Path, measured, capsys: pytest.CaptureFixture[str]):
    reasons = tmp_path / "old.draft"
    reasons.write_text(f"{TO_ACCEPT[0]}  # reason: one\nindex a(y): only in a fresh install (unique)  # reason: two\n")
    assert command.main(args(tmp_path, "--reasons", str(reasons)), provisioner([])) == 2
    assert "1 reason(s) are for lines this measurement does not ask about" in capsys.readouterr().err


def test_a_line_deleted_from_the_draft_is_not_accepted_and_stays_red(
    tmp_path: Path, measured, capsys: pytest.CaptureFixture[str]
):
    reasons = tmp_path / "some.draft"
    reasons.write_text(f"{TO_ACCEPT[0]}  # reason: probed through the API, the same outcome on both sides\n")
    assert command.main(args(tmp_path, "--reasons", str(reasons)), provisioner([])) == 0
    out = capsys.readouterr().out
    assert (
        "(1 accepted line(s))" in out
        and f"1 line(s) not accepted stay red until fixed or declared, e.g. {TO_ACCEPT[1]}" in out
    )
    verdict = judge(measured_diff(), Baseline("1.0.0", "1.1.0+local", "sqlite", tmp_path))
    assert not verdict.ok and len(verdict.known) == 1


def test_a_draft_without_any_reason_writes_nothing(tmp_path: Path, measured, capsys: pytest.CaptureFixture[str]):
    reasons = tmp_path / "empty.draft"
    reasons.write_text("# nothing kept\n")
    assert command.main(args(tmp_path, "--reasons", str(reasons)), provisioner([])) == 2
    assert "no line has a reason" in capsys.readouterr().err


def test_does_not_overwrite_without_force(tmp_path: Path, measured, capsys: pytest.CaptureFixture[str]):
    path = tmp_path / "schema-drift-1.0.0-to-1.1.0-sqlite.txt"
    path.write_text("reviewed  # reason: by a person\n")
    reasons = tmp_path / "mine.draft"
    reasons.write_text("".join(f"{line}  # reason: probed {n}\n" for n, line in enumerate(TO_ACCEPT)))
    installed: list[str] = []
    assert command.main(args(tmp_path, "--reasons", str(reasons)), provisioner(installed)) == 2
    assert capsys.readouterr().err == f"make baseline: {path} exists: review it, or replace it with FORCE=1\n"
    assert path.read_text() == "reviewed  # reason: by a person\n" and not installed  # refused before installing
    assert command.main(args(tmp_path, "--reasons", str(reasons), "--force"), provisioner(installed)) == 0
    assert "reviewed  # reason: by a person" not in path.read_text() and installed == ["1.0.0", "1.1.0"]


def test_refuses_to_record_a_local_build(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    assert (
        command.main(
            ["--from", "1.0.0rc1", "--to", "1.0.0+local", "--db", "sqlite", "--out", str(tmp_path)],
            provisioner([]),
        )
        == 2
    )
    assert "TO is a local build (1.0.0+local)" in capsys.readouterr().err


def test_the_default_destination_is_the_suites_baselines(tmp_path: Path):
    (tmp_path / "reasons.draft").write_text("")
    request = command.parse(
        ["--from", "0.9.0", "--to", "1.0.0", "--db", "sqlite", "--reasons", str(tmp_path / "reasons.draft")]
    )
    assert request.out == command.BASELINES
    with pytest.raises(command.SuiteError, match="exists"):  # a shipped file: refused without --force
        command.destination(request, "0.9.0", "1.0.0")
