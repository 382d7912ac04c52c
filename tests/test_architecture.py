"""The shape of the code: layers that only point down, and no import cycles.

``docs/architecture.md`` holds the layer of every module of selcalc in one table; the
tests here read that table (so the page and the checks cannot drift apart) and check that
no import points to a higher layer or into the casebook, that optional libraries are
imported only inside the functions of the modules the table names, and that a subpackage
holds one layer.  Today's exceptions are listed on that page; an exception that no longer
occurs must be removed from the list, so the list can only shrink.

A module-level import cycle makes the import order matter and hides which module is the
lower one; the remedy is to move the shared code down (into the module both can import),
not to hide the import inside a function.  Imports inside functions are collected as well:
they are allowed for optional dependencies (torch, jax, ...) and for start-up speed, but
must not close a cycle nor point up either.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import networkx as nx
import pytest

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


def imports(root, package):
    """Every import statement of ``package``: ``(module, target, line, in_function)``.

    ``target`` is the absolute dotted name imported (``from . import x`` is ``pkg.x`` when
    there is such a submodule, else ``pkg``); ``in_function`` tells an import inside a
    function body from one executed when the module is imported (top level, class bodies,
    ``try`` / ``if`` blocks).  Imports under ``if TYPE_CHECKING:`` are left out.
    """
    modules = _modules(root, package)
    out = []
    for name, (path, is_package) in modules.items():
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
                out.extend((name, target, child.lineno, inner) for target in targets)
                visit(child, inner)

        visit(ast.parse(path.read_text(encoding="utf-8"), str(path)), False)
    return out


def import_graphs(root, package):
    """Two directed graphs of imports between the modules of ``package``.

    ``module``: imports executed when the module is imported; ``function``: imports inside
    function bodies (see :func:`imports`).  The implicit import of a parent package is not
    an edge.
    """
    modules = _modules(root, package)
    graphs = {"module": nx.DiGraph(), "function": nx.DiGraph()}
    graphs["module"].add_nodes_from(modules)
    for name, target, line, in_function in imports(root, package):
        found = _resolve(target, modules)
        if found and found != name:
            graphs["function" if in_function else "module"].add_edge(name, found, line=line)
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


# ---------------------------------------------------------------------------------------
# The layers, read from docs/architecture.md (the one home of the layer table)

DOC = ROOT / "docs" / "architecture.md"
_ROW = re.compile(r"^\|\s*(\d+)[^|]*\|\s*`([\w.]+)`\s*\|[^|]*\|([^|]*)\|\s*$")
_NAMES = re.compile(r"`([\w.]+)`")


def _section(text, title):
    """The lines of the section headed ``title`` (up to the next heading)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.lstrip("#").strip() == title)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("#")),
               len(lines))
    return lines[start + 1:end]


def read_layers(text):
    """``({module: layer}, {module: set of optional libraries})`` from the doc's table.

    A module listed twice is an error: every module has exactly one layer.
    """
    layers, optional = {}, {}
    for line in _section(text, "The table"):
        row = _ROW.match(line)
        if not row:
            continue
        layer, module, libraries = int(row[1]), row[2], row[3]
        assert module not in layers, f"{module} has two rows in {DOC.name}"
        layers[module] = layer
        optional[module] = {lib.strip() for lib in libraries.split(",") if lib.strip()}
    return layers, optional


def _entries(text, title, count):
    """The first ``count`` backticked names of each ``- `` entry of a section."""
    out = set()
    for line in _section(text, title):
        if line.startswith("- "):
            names = _NAMES.findall(line)
            assert len(names) >= count, f"{title}: an entry names too little: {line}"
            out.add(tuple(names[:count]) if count > 1 else names[0])
    return out


def known_exceptions(text):
    """``(known upward imports as (importer, imported) pairs, known misplaced modules)``."""
    return (_entries(text, "Known upward imports", 2),
            _entries(text, "Known misplaced modules", 1))


def upward_imports(root, package, layers):
    """``{(importer, imported): 'module line n' | 'function line n'}`` for every import
    into a higher layer of ``layers``, and every import of another package of the
    repository (a folder under ``root``: the casebook), which sits above them all.
    Imports of the standard library and of third-party libraries are not counted."""
    modules = _modules(root, package)
    found = {}
    for name, target, line, in_function in imports(root, package):
        own = _resolve(target, modules)
        if own is None and not (root / target.split(".")[0]).exists():
            continue  # a library from outside the repository
        above = own is None or layers[own] > layers[name]
        if above and own != name:
            found.setdefault((name, own or target),
                             f"{'function' if in_function else 'module'} line {line}")
    return found


def misplaced(layers):
    """Modules whose layer is not the layer of their subpackage's ``__init__``."""
    out = set()
    for module, layer in layers.items():
        parts = module.split(".")
        for i in range(2, len(parts)):
            package = ".".join(parts[:i])
            if package in layers and layers[package] != layer:
                out.add(module)
    return out


def optional_imports(root, package, optional):
    """Imports of an optional library (a name in the table's "Optional" column) that the
    table does not allow: any at module level, and any inside a function of a module
    whose row does not name that library."""
    every = set().union(*optional.values())
    bad = []
    for name, target, line, in_function in imports(root, package):
        library = target.split(".")[0]
        if library in every and not (in_function and library in optional.get(name, ())):
            bad.append(f"{name} imports {target} ({'function' if in_function else 'module'}"
                       f" line {line})")
    return bad


def _doc():
    return DOC.read_text(encoding="utf-8")


def test_every_module_has_exactly_one_layer():
    layers, _ = read_layers(_doc())
    modules = set(_modules(ROOT, "selcalc"))
    assert not modules - set(layers), (
        f"modules without a row in docs/architecture.md: {sorted(modules - set(layers))}")
    assert not set(layers) - modules, (
        f"rows of docs/architecture.md for no module: {sorted(set(layers) - modules)}")


def test_no_import_points_up_except_the_known_ones():
    text = _doc()
    layers, _ = read_layers(text)
    known, _ = known_exceptions(text)
    found = upward_imports(ROOT, "selcalc", layers)
    new = {k: v for k, v in found.items() if k not in known}
    assert not new, ("imports into a higher layer (or into the casebook); move the shared "
                     "code down instead:\n  " + "\n  ".join(
                         f"{a} imports {b} ({where}): layer {layers[a]} -> "
                         f"{layers.get(b, 'casebook')}" for (a, b), where in sorted(new.items())))
    stale = known - set(found)
    assert not stale, (f"docs/architecture.md lists upward imports that no longer occur; "
                       f"remove them from 'Known upward imports': {sorted(stale)}")


def test_selcalc_imports_the_casebook_only_where_listed():
    known, _ = known_exceptions(_doc())
    hits = {(name, target) for name, target, _, _ in imports(ROOT, "selcalc")
            if target.split(".")[0] == "casebook"}
    assert hits <= known, f"selcalc imports the casebook: {sorted(hits - known)}"


def test_subpackages_hold_one_layer_except_the_known_ones():
    text = _doc()
    layers, _ = read_layers(text)
    _, known = known_exceptions(text)
    found = misplaced(layers)
    assert not found - known, (f"modules whose layer is not their folder's; move them to a "
                               f"folder of their layer: {sorted(found - known)}")
    assert not known - found, (f"docs/architecture.md lists misplaced modules that are no "
                               f"longer misplaced; remove them: {sorted(known - found)}")


def test_optional_libraries_only_inside_functions_of_their_modules():
    _, optional = read_layers(_doc())
    assert {"torch", "jax", "tensorflow"} <= set().union(*optional.values())
    bad = optional_imports(ROOT, "selcalc", optional)
    assert not bad, ("optional libraries imported outside the functions of the modules "
                     "docs/architecture.md allows:\n  " + "\n  ".join(bad))


def test_the_layer_checks_can_fail(tmp_path):
    """A small package with one of each violation, and a doc that lists some of them."""
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (tmp_path / "casebook").mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "low.py").write_text("import torch\n\ndef f():\n    from .high import g\n")
    (pkg / "high.py").write_text("from .low import f\n\ndef g():\n    import casebook.x\n"
                                 "    import torch\n    import os\n")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "a.py").write_text("from ..high import g\n")
    doc = ("## The table\n\n| Layer | Module | What | Optional |\n|---|---|---|---|\n"
           "| 3 top | `pkg` | the package | |\n"
           "| 1 low | `pkg.low` | low things | |\n"
           "| 2 high | `pkg.high` | high things | torch |\n"
           "| 1 low | `pkg.sub` | a folder | |\n"
           "| 2 high | `pkg.sub.a` | misplaced | |\n\n"
           "### Known upward imports\n\n- `pkg.high` imports `casebook.x`: later.\n"
           "- `pkg.sub.a` imports `pkg.low`: stale.\n\n"
           "### Known misplaced modules\n\n- `pkg.low`: stale.\n")
    layers, optional = read_layers(doc)
    assert layers == {"pkg": 3, "pkg.low": 1, "pkg.high": 2, "pkg.sub": 1, "pkg.sub.a": 2}
    assert optional["pkg.high"] == {"torch"} and optional["pkg.low"] == set()
    known_up, known_misplaced = known_exceptions(doc)
    assert known_up == {("pkg.high", "casebook.x"), ("pkg.sub.a", "pkg.low")}
    found = upward_imports(tmp_path, "pkg", layers)
    assert found == {("pkg.low", "pkg.high"): "function line 4",
                     ("pkg.high", "casebook.x"): "function line 4"}
    assert set(found) - known_up == {("pkg.low", "pkg.high")}  # new: the test would fail
    assert known_up - set(found) == {("pkg.sub.a", "pkg.low")}  # stale: it would fail too
    assert misplaced(layers) == {"pkg.sub.a"} and known_misplaced == {"pkg.low"}
    assert optional_imports(tmp_path, "pkg", optional) == [
        "pkg.low imports torch (module line 1)"]
    with pytest.raises(AssertionError, match="two rows"):
        read_layers(doc.replace("| 1 low | `pkg.sub` |", "| 2 high | `pkg.low` | again | |\n"
                                                     "| 1 low | `pkg.sub` |"))
