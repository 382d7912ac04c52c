"""The shape of the code: no import cycles among selcalc's modules.

A module-level import cycle makes the import order matter and hides which module is the
lower one; the remedy is to move the shared code down (into the module both can import),
not to hide the import inside a function.  Imports inside functions are collected as well:
they are allowed for optional dependencies (torch, jax, ...) and for start-up speed, but
must not close a cycle either.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parent.parent


def _modules(root, package):
    """``{dotted name: (path, is_package)}`` of every module of ``package`` under ``root``."""
    out = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        out[".".join(parts)] = (path, is_package)
    return out


def _resolve(name, modules):
    """The module ``name`` refers to (the longest prefix that is one of ours), or None."""
    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        candidate = ".".join(parts[:i])
        if candidate in modules:
            return candidate
    return None


def import_graphs(root, package):
    """Two directed graphs of imports between the modules of ``package``.

    ``module``: imports executed when the module is imported (top level, class bodies,
    ``try`` / ``if`` blocks, except ``if TYPE_CHECKING:``); ``function``: imports inside
    function bodies.  ``from . import x`` points at the submodule ``x`` when there is one;
    the implicit import of a parent package is not an edge.
    """
    modules = _modules(root, package)
    graphs = {"module": nx.DiGraph(), "function": nx.DiGraph()}
    for name, (path, is_package) in modules.items():
        graphs["module"].add_node(name)
        here = name if is_package else name.rpartition(".")[0]

        def visit(node, in_function):
            for child in ast.iter_child_nodes(node):
                inner = in_function or isinstance(
                    child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
                if (isinstance(child, ast.If) and isinstance(child.test, ast.Name)
                        and child.test.id == "TYPE_CHECKING"):
                    continue
                targets = []
                if isinstance(child, ast.Import):
                    targets = [alias.name for alias in child.names]
                elif isinstance(child, ast.ImportFrom):
                    if child.level:
                        base = here.split(".")[: len(here.split(".")) - (child.level - 1)]
                        source = ".".join(base + ([child.module] if child.module else []))
                    else:
                        source = child.module or ""
                    for alias in child.names:
                        sub = f"{source}.{alias.name}" if source else alias.name
                        targets.append(sub if sub in modules else source)
                for target in targets:
                    found = _resolve(target, modules)
                    if found and found != name:
                        graphs["function" if inner else "module"].add_edge(
                            name, found, line=child.lineno)
                visit(child, inner)

        visit(ast.parse(path.read_text(encoding="utf-8"), str(path)), False)
    return graphs


def cycles(graph, limit=20):
    """Up to ``limit`` simple cycles, each as ``a -> b -> ... -> a`` with line numbers."""
    out = []
    for component in nx.strongly_connected_components(graph):
        if len(component) < 2:
            continue
        for cycle in nx.simple_cycles(graph.subgraph(component)):
            steps = [f"{a} (line {graph.edges[a, b]['line']})"
                     for a, b in zip(cycle, cycle[1:] + cycle[:1])]
            out.append(" -> ".join(steps + [cycle[0]]))
            if len(out) >= limit:
                return out
    return out


def _explain(found, kind):
    return (f"{len(found)} {kind} import cycle(s) in selcalc; move the shared code into a "
            f"lower module instead of importing in both directions:\n  "
            + "\n  ".join(found))


def test_no_module_level_import_cycle():
    found = cycles(import_graphs(ROOT, "selcalc")["module"])
    assert not found, _explain(found, "module-level")


def test_no_import_cycle_through_function_level_imports():
    graphs = import_graphs(ROOT, "selcalc")
    found = cycles(nx.compose(graphs["module"], graphs["function"]))
    assert not found, _explain(found, "function-level")


def test_the_cycle_finder_finds_cycles(tmp_path):
    """The checks above can fail: a small package with one cycle of each kind."""
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("from .a import f\n")
    (pkg / "a.py").write_text("from .b import g\n\ndef f():\n    from .sub import c\n")
    (pkg / "b.py").write_text("import pkg.a\n")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "c.py").write_text("def h():\n    from .. import a\n")
    (pkg / "sub" / "d.py").write_text("from typing import TYPE_CHECKING\n"
                                      "if TYPE_CHECKING:\n    from ..a import f\n")
    graphs = import_graphs(tmp_path, "pkg")
    assert cycles(graphs["module"]) in (["pkg.a (line 1) -> pkg.b (line 1) -> pkg.a"],
                                        ["pkg.b (line 1) -> pkg.a (line 1) -> pkg.b"])
    both = cycles(nx.compose(graphs["module"], graphs["function"]))
    assert len(both) == 2 and any("pkg.sub.c" in c for c in both)
    assert not graphs["module"].has_edge("pkg.sub.d", "pkg.a")  # TYPE_CHECKING only
