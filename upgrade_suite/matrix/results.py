"""What each cell found, one small JSON file per cell, and the merge of many such directories into matrix.json.

A cell writes its own file (``<results>/<cell id>.json``) when it ends, so a shard's results are just
a directory, a rerun finds what it may reuse by the cell's key, and N shards' directories merge into
exactly the matrix one unsharded run writes: matrix.json is a function of the set of records only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from packaging.version import Version

from upgrade_suite.matrix.plan import Cell

#: Cell verdicts, worst first; "no downgrade path" is an answer (the way back is the backup), not a failure.
VERDICTS = ("broken", "failed", "no downgrade path", "passed", "skipped")
#: A run's cell records, under its reports directory: what a shard uploads and the merge reads.
RESULTS_DIR = "matrix-results"


def shard_dir(reports: Path, index: int, count: int) -> Path:
    return reports / "matrix-shards" / f"{index}-of-{count}"


def log(directory: Path) -> Path:
    """A shard's terminal output (behave's progress, its one-line error if it stopped)."""
    return directory / "behave-output.txt"


#: What the suite's verdict depends on besides the releases: its code, Gherkin, baselines and declarations.
_FINGERPRINTED = ("upgrade_suite", "steps", "features/matrix.feature", "environment.py")


@dataclass(frozen=True)
class CellResult:
    """One cell's outcome: the verdict, how long it took, its first problem, where its Allure result is."""

    cell: Cell
    key: str
    verdict: str
    seconds: float
    problem: str = ""  # a red cell's first problem; a "no downgrade path" cell's reason
    allure_uuid: str = ""  # the Allure result of the scenario that judged it

    def as_json(self) -> dict[str, object]:
        data = asdict(self)
        data["cell"] = {**asdict(self.cell), "id": self.cell.id}
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> CellResult:
        cell_data = dict(data["cell"])  # type: ignore[call-overload]
        cell_data.pop("id", None)
        return cls(
            cell=Cell(**cell_data),
            key=str(data["key"]),
            verdict=str(data["verdict"]),
            seconds=float(data["seconds"]),  # type: ignore[arg-type]
            problem=str(data.get("problem", "")),
            allure_uuid=str(data.get("allure_uuid", "")),
        )


def record(directory: Path, result: CellResult) -> Path:
    """Write one cell's result (replacing an older one of the same cell)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{result.cell.id}.json"
    path.write_text(json.dumps(result.as_json(), indent=2, sort_keys=True) + "\n")
    return path


def load(directories: Iterable[Path]) -> dict[str, CellResult]:
    """Every cell's result in ``directories``; a cell recorded twice keeps the later directory's record."""
    results: dict[str, CellResult] = {}
    for directory in directories:
        for path in sorted(directory.glob("*.json")):
            result = CellResult.from_json(json.loads(path.read_text()))
            results[result.cell.id] = result
    return results


def reusable(results: Mapping[str, CellResult], cell: Cell, key: str) -> CellResult | None:
    """A recorded verdict for ``cell`` still true for ``key``: the same cell, or another cell with the same key.

    A broken cell is never reused: it says the suite could not judge, not what the releases do.
    """
    candidates = [results.get(cell.id), *(r for r in results.values() if r.cell.engine == cell.engine)]
    return next((r for r in candidates if r is not None and r.key == key and r.verdict != "broken"), None)


def matrix(results: Mapping[str, CellResult]) -> dict[str, object]:
    """matrix.json: the releases, and per engine the rows (from, oldest first) with each kind's cell.

    Everything is read from the records themselves, so the CI merge job needs neither PyPI nor the plan.
    """
    versions = sorted({v for r in results.values() for v in (r.cell.from_version, r.cell.to_version)}, key=Version)
    order = {v: i for i, v in enumerate(versions)}
    target = max((r.cell.to_version for r in results.values() if r.cell.kind == "direct"), key=Version, default="")
    engines: dict[str, dict[str, dict[str, object]]] = {}
    for result in sorted(results.values(), key=lambda r: (r.cell.engine, order.get(r.cell.from_version, -1))):
        row = engines.setdefault(result.cell.engine, {}).setdefault(result.cell.from_version, {})
        row[result.cell.kind] = {k: v for k, v in result.as_json().items() if k != "cell"} | {
            "id": result.cell.id,
            "to": result.cell.to_version,
        }
    return {"releases": list(order), "target": target, "engines": engines}


def cell_ids(data: Mapping[str, Any]) -> set[str]:
    """The ids of the cells a matrix.json holds (which cells a run's plan had and recorded)."""
    return {
        str(cell["id"])
        for rows in data.get("engines", {}).values()
        for kinds in rows.values()
        for cell in kinds.values()
    }


def merge(directories: Iterable[Path]) -> dict[str, object]:
    """matrix.json's data from several shards' result directories (the CI merge job)."""
    return matrix(load(directories))


def suite_fingerprint(root: Path) -> str:
    """A hash of the suite's own files that decide a verdict: any change to them reruns every cell."""
    digest = hashlib.sha256()
    for name in _FINGERPRINTED:
        base = root / name
        files = sorted(p for p in base.rglob("*") if p.is_file()) if base.is_dir() else [base]
        for path in files:
            if path.suffix in {".py", ".feature", ".txt"} and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]
