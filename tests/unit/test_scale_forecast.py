"""The runbook's forecast: an operator's row count, read without writing, against make scale's fit."""

import sqlite3

import pytest

from upgrade_suite.base.errors import SuiteError
from upgrade_suite.scale.forecast import count_rows, section


def measured(rows: int, migrate: float, locks=()) -> dict:
    return {
        "engine": "postgresql",
        "old": "GA (1.0.0)",
        "new": "latest (1.1.0)",
        "total_rows": rows,
        "seconds": {"migrate": migrate},
        "locks": list(locks),
        "problem": "",
        "changed": {},
    }


POINTS = [
    measured(10_000, 6.0),
    measured(100_000, 15.0),
    measured(
        1_000_000, 105.0, [{"table": "tool_metrics", "blocks": "reads and writes", "revision": "c3", "seconds": 21.0}]
    ),
]


def test_an_operators_count_gets_a_predicted_time_and_lock_beyond_the_measured_sizes():
    text = "\n".join(section(POINTS, ("postgresql", 2_000_000)))
    assert "| 1,000,000 | 105.0 s | tool_metrics 21.00 s (c3) |" in text
    assert "Fitted: 5.0 s + 100.00 s per million rows." in text
    assert "expect about 205 s (beyond the largest measured size: an extrapolation)" in text
    assert "20% of the migration at 1,000,000 rows: about 41 s at yours" in text
    assert "METRICS_DELETE_RAW_AFTER_ROLLUP" in text, "the operator learns what the first start deletes"


def test_another_engines_count_predicts_nothing_and_no_measurements_no_section():
    assert not any("Your database" in line for line in section(POINTS, ("sqlite", 10)))
    assert section([], ("postgresql", 10)) == []


def test_rows_are_counted_read_only(tmp_path):
    path = tmp_path / "theirs.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE tools (id INTEGER)")
        db.executemany("INSERT INTO tools VALUES (?)", [(n,) for n in range(7)])
    before = path.read_bytes()
    assert count_rows(f"sqlite:///{path}") == ("sqlite", 7)
    assert path.read_bytes() == before and not list(tmp_path.glob("theirs.db-*")), "nothing written beside it"


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("sqlite:////nonexistent/x.db", "no SQLite database file there"),
        ("mysql://u:secret@h/db", "a sqlite:/// or postgresql:// URL"),
        ("postgresql://u:secret@127.0.0.1:1/db", "cannot count its rows"),
    ],
)
def test_a_wrong_url_is_one_line_without_its_password(url, said):
    with pytest.raises(SuiteError) as refused:
        count_rows(url)
    assert said in str(refused.value) and "secret" not in str(refused.value)
