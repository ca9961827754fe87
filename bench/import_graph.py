"""Print the app-level import graph: app -> app with import counts, two-way pairs marked.

Usage: python bench/import_graph.py [--tests] [--files]
Reads every .py file under the project's apps (migrations left out, tests left out unless --tests)
and counts module-level and function-level imports of another app's modules.
"""

import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
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


def imported_apps(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found.extend(name.split(".")[0] for name in names if name.split(".")[0] in APPS)
    return found


def main() -> None:
    with_tests = "--tests" in sys.argv
    show_files = "--files" in sys.argv
    edges: dict[tuple[str, str], int] = defaultdict(int)
    files: dict[tuple[str, str], set[str]] = defaultdict(set)
    for app in APPS:
        if not (ROOT / app / "__init__.py").exists():
            continue
        for path in sorted((ROOT / app).rglob("*.py")):
            rel = path.relative_to(ROOT)
            if "migrations" in rel.parts or (not with_tests and "tests" in rel.parts):
                continue
            for target in imported_apps(path):
                if target != app:
                    edges[(app, target)] += 1
                    files[(app, target)].add(str(rel))
    two_way = {(a, b) for (a, b) in edges if (b, a) in edges}
    for (src, dst), count in sorted(edges.items()):
        mark = "  <-> two-way" if (src, dst) in two_way else ""
        print(f"{src:>10} -> {dst:<10} {count:>4}{mark}")
        if show_files:
            for name in sorted(files[(src, dst)]):
                print(f"{'':>16}{name}")
    pairs = sorted({tuple(sorted(pair)) for pair in two_way})
    print(
        f"\n{len(edges)} edges, {len(pairs)} two-way pairs: "
        + ", ".join(f"{a}<->{b}" for a, b in pairs)
    )


if __name__ == "__main__":
    main()
