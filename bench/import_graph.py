"""Print the app-level import graph: app -> app with import counts, two-way pairs marked.

Usage: python bench/import_graph.py [--root PATH] [--tests] [--files]
Counts every import (module level and inside functions) of another app's modules in the apps'
.py files. Left out: migrations, tests (unless --tests), imports under ``if TYPE_CHECKING:``
(annotations only) and the composition root ``chirpworks/urls.py`` (it mounts every app),
the same exclusions as the import-linter contract in pyproject.toml.
"""

import ast
import sys
from collections import defaultdict
from pathlib import Path

APPS = (
    "chirpworks",
    "sellers",
    "agencies",
    "products",
    "calls",
    "actions",
    "meetings",
    "pipeline",
    "rollups",
    "insights",
    "search",
    "demo",
)
COMPOSITION_ROOTS = {"chirpworks/urls.py"}


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(child) for stmt in node.body for child in ast.walk(stmt))
    return skipped


def imported_apps(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    skipped = _type_checking_nodes(tree)
    found = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found.extend(name.split(".")[0] for name in names if name.split(".")[0] in APPS)
    return found


def main() -> None:
    args = sys.argv[1:]
    root = Path(__file__).resolve().parent.parent
    if "--root" in args:
        root = Path(args[args.index("--root") + 1])
    with_tests = "--tests" in args
    show_files = "--files" in args
    edges: dict[tuple[str, str], int] = defaultdict(int)
    files: dict[tuple[str, str], set[str]] = defaultdict(set)
    for app in APPS:
        if not (root / app / "__init__.py").exists():
            continue
        for path in sorted((root / app).rglob("*.py")):
            rel = path.relative_to(root)
            if "migrations" in rel.parts or (not with_tests and "tests" in rel.parts):
                continue
            if rel.as_posix() in COMPOSITION_ROOTS:
                continue
            for target in imported_apps(path):
                if target != app:
                    edges[(app, target)] += 1
                    files[(app, target)].add(rel.as_posix())
    two_way = {(a, b) for (a, b) in edges if (b, a) in edges}
    for (src, dst), count in sorted(edges.items()):
        mark = "  <-> two-way" if (src, dst) in two_way else ""
        print(f"{src:>10} -> {dst:<10} {count:>4}{mark}")
        if show_files:
            for name in sorted(files[(src, dst)]):
                print(f"{'':>16}{name}")
    pairs = sorted({tuple(sorted(pair)) for pair in two_way})
    listed = ", ".join(f"{a}<->{b}" for a, b in pairs)
    print(f"\n{len(edges)} edges, {len(pairs)} two-way pairs: {listed}")


if __name__ == "__main__":
    main()
