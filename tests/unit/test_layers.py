"""The tree is the architecture: packages are stages, and imports only go down.

Every import of the library is read from the source (function-level ones too: a lazy import is still an
arrow), mapped to its package, and held to the stage order below. A module may import its own package and
any package below its own; an import of a package above is an upward arrow, and any circle between
modules is a circle however it is reached. ``benchmarks`` is held to the same rule one level up.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: Bottom to top: each stage may import the stages before it. ``probes`` run inside release venvs and
#: import nothing of the library.
STAGES = (
    "probes",
    "base",
    "releases",
    "services",
    "cluster",
    "client",
    "judging",
    "lab",
    "scale",
    "reporting",
    "matrix",
)


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """The library modules ``path`` imports (``from pkg import module`` counts as the module)."""
    name = _module(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {target for target in found if target in modules and target != name}


def _graph() -> dict[str, set[str]]:
    paths = [*ROOT.glob("upgrade_suite/**/*.py"), *ROOT.glob("benchmarks/*.py")]
    modules = {_module(path) for path in paths}
    return {_module(path): _imports(path, modules) for path in paths}


def _stage(module: str) -> int | None:
    """The stage of an ``upgrade_suite`` module (None for the top package itself and for non-library code)."""
    parts = module.split(".")
    if parts[0] != "upgrade_suite" or len(parts) < 2:
        return None
    return STAGES.index(parts[1])


def upward_arrows(graph: dict[str, set[str]]) -> list[str]:
    return sorted(
        f"{module} -> {target}"
        for module, targets in graph.items()
        for target in targets
        if _stage(module) is not None and _stage(target) is not None and _stage(target) > _stage(module)  # type: ignore[operator]
    )


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_every_top_entry_of_the_library_is_a_stage():
    entries = {path.name for path in (ROOT / "upgrade_suite").iterdir() if path.name != "__pycache__"}
    assert entries == {"__init__.py", *STAGES}


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_says_what_it_holds_and_what_it_may_import(stage):
    doc = ast.get_docstring(ast.parse((ROOT / "upgrade_suite" / stage / "__init__.py").read_text())) or ""
    assert len(doc) > 80, f"upgrade_suite/{stage}/__init__.py needs a docstring saying what belongs there"
    assert "import" in doc, f"upgrade_suite/{stage}/__init__.py should say what it may import"


def test_no_import_goes_up_a_stage():
    assert upward_arrows(_graph()) == []


def test_no_import_circle():
    assert circles(_graph()) == []


def test_probes_import_nothing_of_the_library():
    graph = _graph()
    assert {m: t for m, t in graph.items() if m.startswith("upgrade_suite.probes") and t} == {}


def test_the_checks_see_an_upward_arrow_and_a_circle():
    graph = {
        "upgrade_suite.base.config": {"upgrade_suite.releases.interpreters"},
        "upgrade_suite.releases.interpreters": {"upgrade_suite.releases.specs"},
        "upgrade_suite.releases.specs": {"upgrade_suite.releases.interpreters"},
    }
    assert upward_arrows(graph) == ["upgrade_suite.base.config -> upgrade_suite.releases.interpreters"]
    assert circles(graph) == [["upgrade_suite.releases.interpreters", "upgrade_suite.releases.specs"]]
