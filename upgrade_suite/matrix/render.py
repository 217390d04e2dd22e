"""The matrix drawn for people: one self-contained HTML page (a grid per database) and the terminal grid.

Both are drawn from matrix.json's data only, so the page a CI merge job builds and the grid a local run
prints say the same. A cell shows its verdict by colour and word, its duration, links to the scenario's
Allure result, and a red cell names its first problem in its title (the tooltip).
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from upgrade_suite.matrix.plan import ENGINES, KINDS

_COLOURS = {
    "passed": "#2e7d32",
    "failed": "#c62828",
    "broken": "#f9a825",
    "no downgrade path": "#6d6d6d",
    "skipped": "#bdbdbd",
}
_STYLES = {
    "passed": "green",
    "failed": "bold red",
    "broken": "bold yellow",
    "no downgrade path": "dim",
    "skipped": "dim",
}
_ENGINE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em; }
table { border-collapse: collapse; margin-bottom: 2em; }
th, td { border: 1px solid #999; padding: .4em .8em; text-align: center; }
td.cell a { color: white; text-decoration: none; display: block; }
td.cell { color: white; min-width: 9em; }
td.missing { background: #eee; color: #555; }
"""


def _engines(data: Mapping[str, Any]) -> list[str]:
    present = list(data.get("engines", {}))
    return [e for e in ENGINES if e in present] + sorted(e for e in present if e not in ENGINES)


def _rows(data: Mapping[str, Any], engine: str) -> list[str]:
    """The from-releases of an engine's grid, oldest first (the order matrix.json's releases give)."""
    rows = data["engines"][engine]
    return [v for v in data.get("releases", []) if v in rows]


def _cell_html(cell: Mapping[str, Any], from_version: str, kind: str, engine: str, allure: str) -> str:
    verdict = str(cell["verdict"])
    title = f"{kind} {from_version} -> {cell['to']}: {verdict}" + (
        f": {cell['problem']}" if cell.get("problem") else ""
    )
    text = f"{html.escape(verdict)}<br><small>{float(cell['seconds']):.0f} s</small>"
    if cell.get("allure_uuid"):
        text = f'<a href="{html.escape(allure)}#testresult/{html.escape(str(cell["allure_uuid"]))}">{text}</a>'
    return (
        f'<td class="cell" id="{html.escape(str(cell["id"]))}" data-from="{html.escape(from_version)}" '
        f'data-kind="{kind}" data-database="{engine}" data-verdict="{html.escape(verdict)}" '
        f'title="{html.escape(title)}" style="background:{_COLOURS.get(verdict, "#555")}">{text}</td>'
    )


def to_html(data: Mapping[str, Any], allure: str = "allure-report/index.html") -> str:
    """The page: a grid per database, rows = from (oldest first), columns = direct / hop / back."""
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Upgrade compatibility matrix</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>Upgrade compatibility matrix to {html.escape(str(data.get('target', '')))}</h1>",
    ]
    for engine in _engines(data):
        parts.append(f"<h2>{_ENGINE_NAMES.get(engine, engine)}</h2>")
        parts.append(f'<table data-database="{engine}"><tr><th>from</th>')
        parts += [f"<th>{kind}</th>" for kind in KINDS]
        parts.append("</tr>")
        for from_version in _rows(data, engine):
            parts.append(f"<tr><th>{html.escape(from_version)}</th>")
            for kind in KINDS:
                cell = data["engines"][engine][from_version].get(kind)
                parts.append(
                    _cell_html(cell, from_version, kind, engine, allure) if cell else '<td class="missing">not run</td>'
                )
            parts.append("</tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)


def table(data: Mapping[str, Any]) -> Table:
    """The terminal grid: one row per (database, from), a column per kind, verdict and seconds in each."""
    grid = Table(title=f"Upgrade compatibility matrix to {data.get('target', '')}", title_justify="left")
    for column in ("database", "from", *KINDS):
        grid.add_column(column, no_wrap=True)
    for engine in _engines(data):
        for from_version in _rows(data, engine):
            cells = []
            for kind in KINDS:
                cell = data["engines"][engine][from_version].get(kind)
                if cell is None:
                    cells.append("[dim]not run[/dim]")
                    continue
                style = _STYLES.get(str(cell["verdict"]), "")
                cells.append(f"[{style}]{cell['verdict']}[/{style}] {float(cell['seconds']):.0f} s")
            grid.add_row(_ENGINE_NAMES.get(engine, engine), from_version, *cells)
    return grid


def publish(data: Mapping[str, Any], reports: Path, console: Console) -> None:
    """reports/matrix.json and reports/matrix.html from matrix.json's data, and the grid on ``console``."""
    reports.mkdir(parents=True, exist_ok=True)
    (reports / "matrix.json").write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    (reports / "matrix.html").write_text(to_html(data))
    console.print(table(data))
    console.print(f"matrix: {reports / 'matrix.html'}, {reports / 'matrix.json'}")
