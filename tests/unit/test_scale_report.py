"""make scale's report: measured points beside the fit, a failed point named, bad arguments refused in one line."""

import json

import pytest

from upgrade_suite.scale.__main__ import arguments
from upgrade_suite.scale.locks import LockHold
from upgrade_suite.scale.measure import Point
from upgrade_suite.scale.report import fits, markdown, write
from upgrade_suite.services.migrations import RevisionTime


def point(rows: int, seconds: float, engine: str = "postgresql", **extra) -> Point:
    steps = [RevisionTime("upgrade", "a1", "b2", 0.5, at=1.0), RevisionTime("upgrade", "b2", "c3", seconds, at=1.5)]
    return Point(
        engine,
        "GA (1.0.0)",
        "latest (1.1.0)",
        rows,
        {"tool_metrics": rows},
        {"populate": rows / 10_000, "migrate": 2 + seconds},
        steps,
        **extra,
    )


def test_the_fit_of_a_pair_uses_the_real_row_totals_and_leaves_failed_points_out():
    points = [point(10_000, 1.0), point(100_000, 10.0), point(1_000_000, 100.0, problem="alembic exited 1")]
    (found,) = fits(points).values()
    assert dict(found["c3"].points) == {10_000: 1.0, 100_000: 10.0}
    assert found["c3"].predict(1_000_000) == pytest.approx(100.0, rel=1e-6)
    assert "(whole run)" in found


def test_the_markdown_names_the_longest_read_blocking_lock_and_a_failed_points_reason():
    held = [LockHold("tool_metrics", "reads and writes", "c3", 4.2), LockHold("tools", "writes", "b2", 9.0)]
    text = markdown([point(10_000, 1.0, locks=held), point(100_000, 10.0, changed={"tools": 1})])
    assert "| tool_metrics 4.20 s (c3) |" in text
    assert "rows changed or lost: {'tools': 1}" in text
    assert "## GA (1.0.0) -> latest (1.1.0) on postgresql: seconds per revision" in text


def test_write_leaves_json_markdown_and_a_png(tmp_path):
    paths = write([point(10_000, 1.0), point(100_000, 10.0)], tmp_path)
    assert [p.name for p in paths] == ["scale.json", "scale.md", "scale.png"]
    assert json.loads(paths[0].read_text())[1]["revisions"][1]["revision"] == "c3"
    assert paths[2].read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("given", "said"),
    [
        (["--rows", "10k"], "sizes are whole numbers of rows"),
        (["--rows", "0"], "every size is at least one row"),
        (["--engines", "mysql"], "mysql is not sqlite or postgresql"),
        (["--pairs", "GA"], "each is OLD:NEW"),
    ],
)
def test_a_bad_argument_stops_before_any_work_in_one_line(given, said, capsys):
    with pytest.raises(SystemExit) as stopped:
        arguments(given)
    assert stopped.value.code == 2 and said in capsys.readouterr().err
