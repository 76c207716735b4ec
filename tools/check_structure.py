"""Check the package's shape: each stage's folder imports only from the stages below it, no
module imports a private name of another, no import cycle, and no module (outside `synth/`)
over MAX_LINES lines. Prints every problem, one per line; exit status 1 when there is one.

    python tools/check_structure.py
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "posecoach"

# The stages, lowest first: a module may import from its own folder and the folders before it.
LAYERS = (
    "config",
    "inputs",
    "model",
    "coaching",
    "output",
    "reports",
    "run",
    "synth",
    "evaluation",
    "cli",
)
MAX_LINES = 600
LONG_ALLOWED = ("synth",)  # the performer's scripts: long tables of postures


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imports(path: Path, known: dict[str, Path]) -> Iterator[tuple[int, str, str | None]]:
    """(line, module imported, name taken from it or None) for every posecoach import, at
    any depth of the file (imports inside functions count), and for every attribute read
    from an imported module (`cli._helper`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    aliases: dict[str, str] = {}  # local name -> the posecoach module it is
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("posecoach"):
                    if alias.asname:
                        aliases[alias.asname] = alias.name
                    yield node.lineno, alias.name, None
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if not node.module.startswith("posecoach"):
                continue
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                if sub in known:  # `from posecoach.model import recording`: a module
                    aliases[alias.asname or alias.name] = sub
                    yield node.lineno, sub, None
                else:
                    yield node.lineno, node.module, alias.name
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
        ):
            yield node.lineno, aliases[node.value.id], node.attr


def layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else None


def problems() -> list[str]:
    known = modules()
    found: list[str] = []
    graph: dict[str, set[str]] = {name: set() for name in known}
    for name, path in known.items():
        where = path.relative_to(PACKAGE.parent)
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES and layer(name) != LAYERS.index("synth"):
            found.append(f"{where}: {lines} lines, over {MAX_LINES}")
        own = layer(name)
        for line, target, imported in imports(path, known):
            if target in known and target != name:
                graph[name].add(target)
            theirs = layer(target)
            if own is not None and theirs is not None and theirs > own:
                found.append(
                    f"{where}:{line}: imports {target}, a later stage ({LAYERS[theirs]}/ "
                    f"comes after {LAYERS[own]}/)"
                )
            if imported is not None and imported.startswith("_") and not imported.startswith("__"):
                found.append(f"{where}:{line}: imports the private name {imported} of {target}")
    found += [f"import cycle: {' -> '.join(cycle)}" for cycle in cycles(graph)]
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected group of modules that import each other (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    sys.setrecursionlimit(10_000)
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [[*group, group[0]] for group in groups]


def main() -> int:
    found = problems()
    for problem in found:
        print(problem)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
