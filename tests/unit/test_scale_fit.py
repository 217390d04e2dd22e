"""The cost fit: exact on a line, never negative, and the table shows the measured points beside it."""

import pytest

from upgrade_suite.scale.fit import Fit, per_revision, table


def test_points_on_a_line_give_its_terms():
    fit = Fit.of([(10_000, 1.1), (100_000, 2.0), (1_000_000, 11.0)])
    assert fit.fixed == pytest.approx(1.0) and fit.per_row == pytest.approx(1e-5)
    assert fit.predict(10_000_000) == pytest.approx(101.0)


def test_a_falling_cost_is_flat_not_negative():
    fit = Fit.of([(10_000, 3.0), (100_000, 2.0), (1_000_000, 1.0)])
    assert fit.per_row == 0.0 and fit.fixed == pytest.approx(2.0)


def test_a_cost_with_no_fixed_part_goes_through_the_origin():
    fit = Fit.of([(10_000, 0.0), (1_000_000, 10.0)])
    assert fit.fixed == 0.0 and fit.predict(1_000_000) > 0


def test_one_size_only_is_its_mean():
    assert Fit.of([(10_000, 1.0), (10_000, 3.0)]).predict(10**9) == pytest.approx(2.0)


def test_no_points_is_an_error_not_a_zero():
    with pytest.raises(ValueError):
        Fit.of([])


def test_the_table_ranks_revisions_by_cost_at_the_largest_size():
    fits = per_revision([("cheap", 1000, 0.1), ("cheap", 10_000, 0.1), ("costly", 1000, 0.1), ("costly", 10_000, 5.0)])
    text = table(fits, [1000, 10_000], [1_000_000])
    lines = text.splitlines()
    assert lines[0] == "| revision | measured 1k | measured 10k | fixed s | per 100k rows s | predicted 1M |"
    assert lines[2].startswith("| costly | 0.10 | 5.00 |") and lines[3].startswith("| cheap |")
