"""The package's import structure: layers that point one way, and no circle.

Every ``import`` of optunas in every module counts, including those inside functions (an import
made lazily to save start-up time is still a dependency)."""

from __future__ import annotations

import ast
import pathlib

import optunas

ROOT = pathlib.Path(optunas.__file__).parent

# Lowest first, as the README's layout lists them: a module may import its own layer and
# those below it. Each entry is a module or package prefix.
LAYERS: list[tuple[str, ...]] = [
    (
        "optunas._compat",
        "optunas._names",
        "optunas._metrics",
        "optunas._pareto",
        "optunas._recorded",
        "optunas._signals",
        "optunas.storages",
        "optunas._storage",
        "optunas.data",
        "optunas.samplers",
        "optunas.pruners",
    ),
    ("optunas.dashboard",),
    ("optunas.nn",),
    ("optunas.spaces",),
    ("optunas.evaluation",),
    ("optunas.export", "optunas.benchmarks"),
    ("optunas.cli",),
    ("optunas", "optunas.__main__"),
]


def _module_name(path: pathlib.Path) -> str:
    parts = ["optunas", *path.relative_to(ROOT).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, pathlib.Path]:
    return {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _imports(path: pathlib.Path, modules: dict[str, pathlib.Path]) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "optunas" and {a.name for a in node.names} == {"__version__"}:
                continue  # a constant of the root package, not one of its lazy re-exports
            # `from optunas.x import y` imports the module optunas.x.y when there is one, and
            # the module optunas.x for any other name.
            names = [
                f"{node.module}.{alias.name}"
                if f"{node.module}.{alias.name}" in modules
                else node.module
                for alias in node.names
            ]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found.update(name for name in names if name in modules)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(path, modules) for name, path in modules.items()}


def _layer(module: str) -> int:
    best = (-1, -1)  # (length of the longest matching prefix, layer)
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best[0]:
                best = (len(prefix), index)
    assert best[1] >= 0, f"{module} is in no layer: add it to LAYERS and the README's layout"
    return best[1]


def test_every_module_has_a_layer() -> None:
    for module in _modules():
        _layer(module)


def test_no_import_runs_up_the_layers() -> None:
    upward = [
        f"{module} (layer {_layer(module)}) imports {target} (layer {_layer(target)})"
        for module, targets in _graph().items()
        for target in sorted(targets)
        if _layer(target) > _layer(module)
    ]
    assert not upward, "\n".join(upward)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


# The command's package names the Optuna sub-commands that its worker module reads back; the
# name belongs in a module of its own below both (the command's split into small modules).
KNOWN_CIRCLES: list[list[str]] = []


def test_no_import_circle() -> None:
    cycles = [c for c in _cycles(_graph()) if c not in KNOWN_CIRCLES]
    assert not cycles, "import circles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_checks_see_a_circle_and_an_upward_import() -> None:
    # The checks are only worth something if they can fail.
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _layer("optunas.evaluation._darts") > _layer("optunas.dashboard._artifacts")
    assert _layer("optunas.export._export") > _layer("optunas.evaluation")
