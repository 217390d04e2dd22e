"""matrix.html: one cell element per (from, kind, database) with its verdict; the terminal grid a row per from."""

import io
from html.parser import HTMLParser

from rich.console import Console

from upgrade_suite.matrix.plan import plan
from upgrade_suite.matrix.render import table, to_html
from upgrade_suite.matrix.results import CellResult, matrix

RELEASES = {v: [{"yanked": False}] for v in ("1.0.9", "1.0.10", "1.0.11", "1.1.0")}


class _Cells(HTMLParser):
    def __init__(self):
        super().__init__()
        self.cells = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "data-verdict" in attributes:
            self.cells.append(attributes)


def _data():
    cells = plan(RELEASES, "1.0.9").cells
    verdicts = ("passed", "failed", "no downgrade path")
    return matrix(
        {
            c.id: CellResult(c, "k", verdicts[i % 3], 12.0, "" if i % 3 == 0 else "row <lost>", f"u{i}")
            for i, c in enumerate(cells)
        }
    )


def test_one_cell_per_from_kind_and_database_with_the_verdict_and_a_title_naming_the_problem():
    data = _data()
    parser = _Cells()
    parser.feed(to_html(data))
    found = {(c["data-from"], c["data-kind"], c["data-database"]): c for c in parser.cells}
    assert len(found) == len(parser.cells) == 3 * 3 * 2
    for engine, rows in data["engines"].items():
        for from_version, kinds in rows.items():
            for kind, cell in kinds.items():
                element = found[(from_version, kind, engine)]
                assert element["data-verdict"] == cell["verdict"]
                if cell["verdict"] == "failed":
                    assert element["title"].endswith(": row <lost>")


def test_the_terminal_grid_has_a_row_per_database_and_from():
    out = io.StringIO()
    Console(file=out, width=200, color_system=None).print(table(_data()))
    rows = [line for line in out.getvalue().splitlines() if "│" in line and "database" not in line]
    assert len(rows) == 6
    assert "SQLite" in rows[0] and "1.0.9" in rows[0] and "passed 12 s" in rows[0]
