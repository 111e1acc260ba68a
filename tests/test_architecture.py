"""The layers keep their places: no import cycles among the product's modules (imports inside functions counted),
ocr/ imports nothing of intake/ or the UI, and the review UI never reaches the database."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support.env import ROOT


def _modules() -> dict[str, Path]:
    found = {}
    for p in [*ROOT.glob("intake/**/*.py"), *ROOT.glob("ocr/*.py"), *ROOT.glob("models/*.py"), *ROOT.glob("review_ui/*.py")]:
        name = ".".join(p.relative_to(ROOT).with_suffix("").parts)
        found[name.removesuffix(".__init__")] = p
    return found


def _imports(path: Path, known: dict[str, Path]) -> set[str]:
    out = set()
    for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(n, ast.ImportFrom) and n.module:
            for a in n.names:
                out.add(f"{n.module}.{a.name}" if f"{n.module}.{a.name}" in known else n.module)
        elif isinstance(n, ast.Import):
            out |= {a.name for a in n.names}
    return out


def test_no_import_cycles() -> None:
    known = _modules()
    graph = {m: {i for i in _imports(p, known) if i in known} for m, p in known.items()}
    cycles = []
    for start in graph:  # depth-first from each module: a path that comes back to it is a cycle
        stack = [(start, [start])]
        while stack:
            node, path = stack.pop()
            for nxt in graph[node]:
                if nxt == start:
                    cycles.append(" → ".join([*path, start]))
                elif nxt not in path and len(path) < 8:
                    stack.append((nxt, [*path, nxt]))
    assert sorted(set(cycles)) == []


def test_the_reader_and_the_screens_keep_to_their_layers() -> None:
    known = _modules()
    for name, path in known.items():
        imported = _imports(path, known)
        if name.startswith("ocr"):
            assert not {i for i in imported if i.startswith(("intake", "review_ui", "models"))}, name
        if name.startswith("review_ui"):  # the API is its only way to data
            assert not {i for i in imported if i.startswith(("intake.db", "intake.services", "models", "sqlmodel"))}, name


def test_routes_neither_commit_nor_audit() -> None:
    """Routes validate, call one service and answer: every commit and every audit event is a service's (so a route
    cannot forget one, or write one twice)."""
    for path in sorted((ROOT / "intake" / "api" / "routes").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        calls = {
            f"{n.func.value.id}.{n.func.attr}"
            for n in ast.walk(tree)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and isinstance(n.func.value, ast.Name)
        }
        assert not calls & {"session.commit", "session.add", "session.rollback", "audit.record"}, path.name
