"""Cell results: one file per cell, reuse by key, and N shards merged give exactly one unsharded run's matrix.json."""

import json

from upgrade_suite.matrix.plan import plan, shard
from upgrade_suite.matrix.results import CellResult, load, merge, record, reusable

RELEASES = {v: [{"yanked": False}] for v in ("1.0.9", "1.0.10", "1.0.11", "1.1.0")}


def _result(cell, index):
    verdict = ("passed", "failed", "no downgrade path")[index % 3]
    return CellResult(cell, f"key-{index}", verdict, 10.0 + index, "" if verdict == "passed" else f"why {index}")


def test_merging_n_shards_gives_the_same_matrix_as_one_run(tmp_path):
    cells = plan(RELEASES, "1.0.9").cells
    results = {cell: _result(cell, i) for i, cell in enumerate(cells)}
    for cell in cells:
        record(tmp_path / "whole", results[cell])
    whole = merge([tmp_path / "whole"])
    for count in (2, 3, 5):
        directories = []
        for index in range(1, count + 1):
            directory = tmp_path / f"{count}-{index}"
            directories.append(directory)
            for cell in shard(cells, index, count):
                record(directory, results[cell])
        assert json.dumps(merge(directories), sort_keys=True) == json.dumps(whole, sort_keys=True)
    assert whole["releases"] == ["1.0.9", "1.0.10", "1.0.11", "1.1.0"]
    assert whole["target"] == "1.1.0"
    assert whole["engines"]["sqlite"]["1.0.10"]["hop"]["to"] == "1.0.11"


def test_a_record_round_trips_and_a_later_one_replaces_it(tmp_path):
    cell = plan(RELEASES, "1.0.9").cells[0]
    first = CellResult(cell, "k", "failed", 3.0, "row lost", "uuid-1")
    record(tmp_path, first)
    assert load([tmp_path]) == {cell.id: first}
    second = CellResult(cell, "k", "passed", 2.0)
    record(tmp_path, second)
    assert load([tmp_path])[cell.id] == second
    assert json.loads((tmp_path / f"{cell.id}.json").read_text())["cell"]["id"] == cell.id


def test_reuse_needs_the_same_key_and_never_reuses_broken():
    direct, hop, back = plan(RELEASES, "1.0.11", engines=("sqlite",)).cells
    results = {direct.id: CellResult(direct, "k1", "failed", 5.0, "x")}
    assert reusable(results, direct, "k1") == results[direct.id]
    assert reusable(results, hop, "k1") == results[direct.id]  # 1.0.11 -> 1.1.0 is the same upgrade
    assert reusable(results, direct, "k2") is None
    assert reusable({back.id: CellResult(back, "k3", "broken", 1.0)}, back, "k3") is None
