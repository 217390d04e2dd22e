"""matrix.html as headless Chromium renders it: one cell per (from, kind, database), each with matrix.json's verdict.

The data are records of every verdict a cell can have over a small plan (no release runs here: the cells'
judging is test_matrix's and the matrix run's job); what is proven is that the page a person reads shows
exactly those, and that a page showing something else is caught.
"""

from __future__ import annotations

import io
import json
import tempfile
from pathlib import Path

import pytest
from rich.console import Console

from upgrade_suite.matrix import page
from upgrade_suite.matrix.plan import plan
from upgrade_suite.matrix.render import publish
from upgrade_suite.matrix.results import VERDICTS, CellResult, matrix

pytestmark = pytest.mark.integration

RELEASES = {v: [{"yanked": False}] for v in ("1.0.8", "1.0.9", "1.0.10", "1.1.0")}


@pytest.fixture(scope="module")
def published(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    reports = tmp_path_factory.mktemp("matrix")
    cells = plan(RELEASES, "1.0.8").cells
    records = {
        c.id: CellResult(c, "k", VERDICTS[i % len(VERDICTS)], 10.0 + i, f"problem <{i}>" if i % 2 else "", f"u{i}")
        for i, c in enumerate(cells)
    }
    publish(matrix(records), reports, Console(file=io.StringIO()))
    return reports


def chromium_leftovers() -> set[Path]:
    """What headless Chromium leaves in the machine's temporary directory (its singleton lock directories)."""
    return set(Path(tempfile.gettempdir()).glob("org.chromium.Chromium.*"))


def test_every_cell_of_matrix_json_is_on_the_page_with_its_verdict_and_problem(published: Path):
    data = json.loads((published / "matrix.json").read_text())
    before = chromium_leftovers()
    shown = page.read(published / "matrix.html", published / "matrix.png")
    assert chromium_leftovers() <= before, "the browser left its lock directory in the temporary directory"
    expected = sum(len(kinds) for rows in data["engines"].values() for kinds in rows.values())
    assert len(shown) == expected == len(plan(RELEASES, "1.0.8").cells)
    assert {c["verdict"] for c in shown} == set(VERDICTS)
    assert page.differences(data, shown) == []
    assert (published / "matrix.png").stat().st_size > 10_000, "the screenshot shows the grid"


def test_a_page_that_shows_another_verdict_or_misses_a_cell_is_caught(published: Path):
    data = json.loads((published / "matrix.json").read_text())
    html = (published / "matrix.html").read_text()
    assert 'data-verdict="broken"' in html
    head, _, tail = html.replace('data-verdict="broken"', 'data-verdict="passed"', 1).rpartition('class="cell"')
    tampered = published / "tampered.html"
    tampered.write_text(head + 'class="gone"' + tail)
    found = page.differences(data, page.read(tampered, published / "tampered.png"))
    assert any("matrix.json says broken" in d for d in found), found
    assert any(d.endswith("is in matrix.json but not on the page") for d in found), found
