"""The import graph of the project's own modules (read from the source, function-level
imports included): no cycles between modules, none between the packages (each of
`PACKAGE_NODES` taken as one node, so `bot.slack` → `bot.reminders` → … → `bot.slack` is
a cycle even when no single module is on one), and the layers of the architecture guide —
`dialogues` imports neither `bot` nor `storage`; `storage` does not import `bot`."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "dialogues", "storage")
# Packages that must not be on an import cycle with one another (or through other modules).
PACKAGE_NODES = (
    "bot.blocks",
    "bot.followups",
    "bot.reminders",
    "bot.report",
    "bot.slack",
    "dialogues",
    "storage",
)


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if "migrations" in parts:
                continue
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def import_graph() -> dict[str, set[str]]:
    modules = _modules()

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, *([node.module] if node.module else [])])
                targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
            for target in targets:
                resolved = resolve(target)
                if resolved and resolved != name:
                    graph[name].add(resolved)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def package_of(module: str) -> str:
    """The node `module` is in: its package of `PACKAGE_NODES`, or the module itself."""
    return next((p for p in PACKAGE_NODES if module == p or module.startswith(f"{p}.")), module)


def package_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """`graph` with every package of `PACKAGE_NODES` collapsed into one node."""
    collapsed: dict[str, set[str]] = {}
    for module, targets in graph.items():
        node = collapsed.setdefault(package_of(module), set())
        node.update(package_of(t) for t in targets if package_of(t) != package_of(module))
    return collapsed


def test_package_cycles_are_detected() -> None:
    """The check sees a cycle that goes through a package without a module cycle."""
    graph = {
        "bot.slack.app": {"bot.reminders.actions"},
        "bot.reminders.actions": {"bot.slack.payloads"},
        "bot.slack.payloads": set(),
    }
    assert cycles(graph) == []
    assert cycles(package_graph(graph)) == [["bot.reminders", "bot.slack"]]


def test_no_import_cycles_between_packages() -> None:
    graph = import_graph()
    found = cycles(package_graph(graph))
    # Name the imports into and out of a package on each cycle, to say what to move;
    # those between two of the packages first.
    edges = sorted(
        (
            (package_of(module) == module or package_of(target) == target, module, target)
            for component in found
            for module, targets in graph.items()
            for target in targets
            if package_of(module) in component
            and package_of(target) in component
            and package_of(module) != package_of(target)
            and (package_of(module) != module or package_of(target) != target)
        )
    )
    assert found == [], [f"{module} -> {target}" for _, module, target in edges]


def test_no_import_cycles_between_modules() -> None:
    graph = import_graph()
    assert "bot.reminders.scheduler" in graph["bot.background"]  # the graph is read
    assert cycles(graph) == []


def test_imports_follow_the_layers() -> None:
    wrong = [
        (module, target)
        for module, targets in import_graph().items()
        for target in targets
        if (module.startswith("dialogues") and target.startswith(("bot", "storage")))
        or (module.startswith("storage") and target.startswith("bot"))
    ]
    assert wrong == []
