"""The package's layout stays readable: no module over 500 lines, no import cycle, features never import the CLI.

The import graph is read from the source (the AST), not by importing anything. Its rules:

* a node is a module of toolkit_assistant (a package is its ``__init__.py``);
* every ``import toolkit_assistant.x`` and ``from toolkit_assistant.x import name`` is an edge, wherever it
  stands: at module level or inside a function (a lazy import runs as soon as that function is called, so a
  cycle through it is a cycle all the same);
* ``from package import name`` points at the submodule ``package.name`` when there is one, else at the package;
* an edge points at the module named, not at the packages around it (Python initialises those first, but a
  package's ``__init__`` does not import its submodules back unless it says so, and then that is an edge);
* imports under ``if TYPE_CHECKING:`` are left out: they never run, they only name types.
"""

from __future__ import annotations

import ast
from pathlib import Path

from toolkit_assistant.config import REPO_ROOT

PACKAGE = REPO_ROOT / "toolkit_assistant"
MAX_LINES = 500
# Modules allowed over MAX_LINES for now, each with the reason and what will change it.
KNOWN_LONG: dict[str, str] = {}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import node of a module, at any depth, except those under `if TYPE_CHECKING:`."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The longest prefix of a dotted name that is a module of the package."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in modules:
            return candidate
    return None


def import_graph() -> dict[str, set[str]]:
    """Module -> the package's modules it imports (see the module docstring for the rules)."""
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        for node in _imports(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                if node.level:  # relative: from the module's own package upwards
                    anchor = name.split(".") if is_package else name.split(".")[:-1]
                    anchor = anchor[: len(anchor) - (node.level - 1)]
                    base = ".".join(anchor + ([base] if base else []))
                targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                           for alias in node.names]
            for target in targets:
                resolved = _resolve(target, modules) if target.startswith("toolkit_assistant") else None
                if resolved and resolved != name:
                    graph[name].add(resolved)
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return out


def test_no_module_is_over_500_lines() -> None:
    too_long = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(REPO_ROOT).as_posix()
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES and rel not in KNOWN_LONG:
            too_long[rel] = lines
    assert not too_long, f"modules over {MAX_LINES} lines (split them by concern): {too_long}"


def test_no_import_cycle_in_the_package() -> None:
    cycles = find_cycles(import_graph())
    assert not cycles, "import cycles (a lazy import inside a function counts too): " + "; ".join(
        " <-> ".join(c) for c in cycles
    )


def _click_commands() -> set[tuple[str, str]]:
    """(module, name) of every function decorated with @click.command or @click.group."""
    out = set()
    for name, path in _modules().items():
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef) and any(
                ast.unparse(d).startswith(("click.command", "click.group")) for d in node.decorator_list
            ):
                out.add((name, node.name))
    return out


def test_features_never_import_the_cli_and_only_the_cli_imports_commands() -> None:
    graph = import_graph()
    importers = {m for m, targets in graph.items() if "toolkit_assistant.cli" in targets}
    assert importers <= {"toolkit_assistant.__main__"}, f"modules importing the CLI: {sorted(importers)}"
    commands = _click_commands()
    assert len(commands) >= 5  # the group and the feature commands at least
    for name, path in _modules().items():
        for node in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported = {a.name for a in node.names if (node.module, a.name) in commands}
                assert not imported or name == "toolkit_assistant.cli", f"{name} imports the commands {imported}"


def test_the_graph_sees_lazy_imports_and_the_checker_sees_cycles() -> None:
    graph = import_graph()
    assert "toolkit_assistant.evals.command" in graph["toolkit_assistant.cli"]  # module level
    assert "toolkit_assistant.evals.runner" in graph["toolkit_assistant.evals.command"]  # inside the command
    assert "toolkit_assistant.store" in graph["toolkit_assistant.retrieve"]  # a package, by its __init__
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []
