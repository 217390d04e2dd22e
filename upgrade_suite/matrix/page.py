"""matrix.html read back in headless Chromium: the grid a person sees, against the matrix.json it was drawn from.

The unit tests parse the HTML; this reads what the browser rendered (every cell element with its verdict,
its title and its colour), so a page that draws but shows something else, or nothing, is caught. A
screenshot of the grid goes into the Allure results as a global attachment: the matrix in the report.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rich.console import Console

from upgrade_suite.base.errors import SuiteError
from upgrade_suite.reporting import allure_globals
from upgrade_suite.reporting.browser import HeadlessChromium

#: The name of the matrix's global attachments in the Allure results (the page's screenshot and its check).
PURPOSE = "matrix"

_CELLS = """[...document.querySelectorAll('td.cell')].filter(cell => cell.offsetWidth > 0).map(cell => ({
  from: cell.dataset.from, kind: cell.dataset.kind, database: cell.dataset.database,
  verdict: cell.dataset.verdict, shown: cell.innerText.split('\\n')[0].trim(), title: cell.title}))"""


def read(html: Path, png: Path, browser: HeadlessChromium | None = None) -> list[dict[str, str]]:
    """Every visible cell of the rendered page; a screenshot of it into ``png``."""
    if browser is None:
        with HeadlessChromium() as own:
            return read(html, png, own)
    shown: list[dict[str, str]] = browser.load(html.resolve().as_uri(), _CELLS + ".length && " + _CELLS, "the grid")
    browser.screenshot(png)
    return shown


def differences(data: Mapping[str, Any], shown: list[dict[str, str]]) -> list[str]:
    """What the page shows that matrix.json does not hold, and every cell of matrix.json the page lacks."""
    expected = {
        (from_version, kind, engine): cell
        for engine, rows in data.get("engines", {}).items()
        for from_version, kinds in rows.items()
        for kind, cell in kinds.items()
    }
    out = []
    seen: set[tuple[str, str, str]] = set()
    for cell in shown:
        key = (cell["from"], cell["kind"], cell["database"])
        if key in seen:
            out.append(f"{' '.join(key)} is shown twice")
        seen.add(key)
        held = expected.get(key)
        if held is None:
            out.append(f"{' '.join(key)} is on the page but not in matrix.json")
        elif cell["shown"] != held["verdict"] or cell["verdict"] != held["verdict"]:
            out.append(f"{' '.join(key)}: matrix.json says {held['verdict']}, the page {cell['shown']!r}")
        elif held.get("problem") and held["problem"] not in cell["title"]:
            out.append(f"{' '.join(key)}: the title does not name its problem {held['problem']!r}")
    out += [f"{' '.join(key)} is in matrix.json but not on the page" for key in sorted(set(expected) - seen)]
    return out


def check(data: Mapping[str, Any], reports: Path, results: Path, console: Console) -> None:
    """Read reports/matrix.html back in Chromium against ``data``; the verdict and screenshot as global attachments
    of the run's Allure ``results``.

    Without a browser the page is published all the same and the terminal says it was not read back: the
    matrix's verdicts do not depend on it (a serial run and ``make matrix JOBS=N`` both end here).
    """
    try:
        found = differences(data, read(reports / "matrix.html", reports / "matrix.png"))
    except SuiteError as error:
        console.print(f"matrix: the page was not read back in a browser: {error}")
        return
    verdict = "matrix.html shows what matrix.json holds" if not found else "matrix.html differs from matrix.json"
    (reports / "matrix-check.txt").write_text("\n".join([verdict, *(f"  - {d}" for d in found)]) + "\n")
    console.print(f"matrix: {verdict}" + "".join(f"\n  - {d}" for d in found))
    allure_globals.attach(
        results,
        PURPOSE,
        [
            ("Upgrade compatibility matrix (matrix.html in Chromium)", reports / "matrix.png"),
            ("matrix.html against matrix.json", reports / "matrix-check.txt"),
        ],
    )
