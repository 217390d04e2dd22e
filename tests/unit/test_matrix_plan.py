"""The matrix's cells come from PyPI's list: pre- and post-releases in, yanked out and named; shards partition them."""

import parse
import pytest

from upgrade_suite.base.config import parse_shard
from upgrade_suite.base.errors import SuiteError
from upgrade_suite.lab.vocabulary import PARAMETER_TYPES
from upgrade_suite.matrix.plan import Cell, cell_key, plan, shard

FILE = [{"yanked": False}]
RELEASES = {
    "0.8.0": FILE,
    "0.9.0": FILE,
    "1.0.0b1": FILE,
    "1.0.0rc1": FILE,
    "1.0.0": FILE,
    "1.0.1": [{"yanked": True, "yanked_reason": "broken wheel"}, {"yanked": True}],
    "1.0.7": FILE,
    "1.0.7.post20260921": FILE,
    "1.0.8": [],
    "1.1.0": FILE,
    "1.2.0rc1": FILE,
}


def test_every_usable_release_from_the_first_to_the_newest_final_in_version_order():
    result = plan(RELEASES, "0.9.0")
    assert result.versions == ("0.9.0", "1.0.0b1", "1.0.0rc1", "1.0.0", "1.0.7", "1.0.7.post20260921", "1.1.0")
    assert result.left_out == {"1.0.1": "yanked: broken wheel", "1.0.8": "no files on PyPI"}
    assert result.target == "1.1.0"


def test_three_kinds_per_older_release_and_engine_hop_goes_to_the_successor():
    result = plan(RELEASES, "1.0.7", engines=("sqlite",))
    assert result.cells == (
        Cell("sqlite", "1.0.7", "direct", "1.1.0"),
        Cell("sqlite", "1.0.7", "hop", "1.0.7.post20260921"),
        Cell("sqlite", "1.0.7", "back", "1.1.0"),
        Cell("sqlite", "1.0.7.post20260921", "direct", "1.1.0"),
        Cell("sqlite", "1.0.7.post20260921", "hop", "1.1.0"),
        Cell("sqlite", "1.0.7.post20260921", "back", "1.1.0"),
    )
    assert len(plan(RELEASES, "0.9.0").cells) == 6 * 3 * 2


def test_matrix_to_narrows_and_may_name_a_pre_release():
    assert plan(RELEASES, "1.0.7", "1.2.0rc1").target == "1.2.0rc1"
    assert plan(RELEASES, "0.9.0", "1.0.0").versions == ("0.9.0", "1.0.0b1", "1.0.0rc1", "1.0.0")


@pytest.mark.parametrize(
    ("first", "last", "says"),
    [("1.1.0", "latest", "two or more"), ("x", "latest", "matrix_from=x"), ("0.9.0", "1.0.1", "not a usable")],
)
def test_a_range_the_matrix_cannot_use_stops_in_one_line(first, last, says):
    with pytest.raises(SuiteError, match=says):
        plan(RELEASES, first, last)


@pytest.mark.parametrize("count", [1, 2, 3, 4, 7, 50])
def test_shards_partition_the_cells_exactly(count):
    cells = plan(RELEASES, "0.9.0").cells
    shards = [shard(cells, index, count) for index in range(1, count + 1)]
    together = [cell for part in shards for cell in part]
    assert sorted(together) == sorted(cells)  # union = all
    assert len(together) == len(set(together))  # no overlap
    assert max(map(len, shards)) - min(map(len, shards)) <= 1  # balanced


def test_shard_option():
    assert parse_shard("2/3") == (2, 3)
    for bad in ("0/3", "4/3", "a/b", "3"):
        with pytest.raises(SuiteError, match="I/N"):
            parse_shard(bad)


def test_the_key_changes_with_each_input_and_a_hop_shares_the_same_upgrade_s_key():
    direct, hop, back = (Cell("sqlite", "1.0.11", kind, "1.1.0") for kind in ("direct", "hop", "back"))
    base = ("a", "b", "SQLite 3.40", "f1")
    assert cell_key(direct, *base) == cell_key(hop, *base)
    assert cell_key(back, *base) != cell_key(direct, *base)
    for changed in range(4):
        other = list(base)
        other[changed] += "x"
        assert cell_key(direct, *other) != cell_key(direct, *base)


def test_the_release_word_of_the_gherkin_takes_aliases_and_versions():
    matcher = parse.compile("a running {release:Release} gateway", extra_types=PARAMETER_TYPES)
    for word in ("GA", "0.9.x", "latest", "1.0.10", "1.0.0rc1", "1.0.7.post20260921"):
        assert matcher.parse(f"a running {word} gateway")["release"] == word
    assert matcher.parse("a running 1.x gateway") is None
