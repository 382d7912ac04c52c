"""Pictures of what selcalc computes (matplotlib is optional: ``pip install "selcalc[plot]"``).

Each view comes in two halves: a ``*_data`` function that computes the exact objects
(no matplotlib needed) and a ``plot_*`` function that draws them; floats are used for
drawing only.

* :func:`band_data` / :func:`plot_band` — a one-input program along ``[lo, hi]``: its
  derivative on each smooth piece and, at each kink, the Clarke interval, the hull of the
  AD outputs over all tie-breaking choices and what each convention returns.
* :func:`cells_data` / :func:`plot_cells` — a two-input program on a box: the cells where
  one pattern is selected (the kink set is where they meet) and, at a point, the Clarke
  polytope with the AD outputs.
* :func:`jacobians_data` / :func:`plot_jacobians` — a vector program (sorting, max
  pooling) at a point: the vertices of its Clarke Jacobian and each convention's Jacobian.

>>> import selcalc
>>> from selcalc.plot import band_data
>>> zero = selcalc.parse("def zero(t):\\n    return relu(-t) + t - relu(t)\\n")
>>> data = band_data(zero, -1, 1, conventions=["pytorch"])
>>> [str(k["x"]) for k in data["kinks"]], [d for _, _, d in data["pieces"]]
(['0'], [[0], [0]])
>>> k = data["kinks"][0]
>>> print(k["clarke"], k["ad_outputs"], k["conventions"])
{0} [-1, 1] {'pytorch': 1}
"""

from __future__ import annotations

from fractions import Fraction

import sympy

from .autodiff import jacobian
from .curves import breakpoints, segment
from .errors import InputError, SelcalcError
from .fields import ad_outputs, clarke
from .numbers import canonical
from .points import exact_str, to_exact
from .selection import selection

__all__ = ["band_data", "plot_band", "cells_data", "plot_cells", "jacobians_data",
           "plot_jacobians"]

DEFAULT_CONVENTIONS = ("selection", "pytorch", "jax", "tensorflow")
_MARKERS = ("o", "s", "^", "D", "v", "P", "X")


def _pyplot():
    """matplotlib.pyplot, or a clear error saying how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise SelcalcError('selcalc.plot needs matplotlib, which is not installed: '
                           'python -m pip install "selcalc[plot]" (or matplotlib)') from None
    return plt


def _f(v):
    return float(sympy.N(v, 20))


def _safe(compute):
    """The value, or ``None`` when selcalc cannot decide or compute it (shown as missing)."""
    try:
        return compute()
    except SelcalcError:
        return None


def _at_point(P, x, conventions):
    """Clarke set, AD outputs and convention outputs at ``x`` (``None`` where unknown)."""
    names = list(DEFAULT_CONVENTIONS if conventions is None else conventions)
    outs = {}
    for c in names:
        out = _safe(lambda c=c: jacobian(P, x, convention=c))
        if out is not None and P.q == 1:
            out = canonical(out[0]) if P.p == 1 else tuple(canonical(v) for v in out)
        outs[c] = out
    return {"x": x[0] if P.p == 1 else x, "clarke": _safe(lambda: clarke(P, x)),
            "ad_outputs": _safe(lambda: ad_outputs(P, x)), "conventions": outs}


# ---------------------------------------------------------------------- 1-D: the band
def band_data(P, lo, hi, conventions=None):
    """Exact data of the 1-D view of a scalar one-input program on ``[lo, hi]``.

    Returns a dict with ``pieces`` — ``(a, b, derivatives)`` for each open piece between
    consecutive kinks, the derivatives being sympy expressions in the input (one per
    distinct pattern active there) — and ``kinks`` — for each kink in ``(lo, hi)`` its
    exact position ``x``, the Clarke set, ``ad_outputs`` and each convention's output
    (``None`` where undecided).
    """
    if P.p != 1 or P.q != 1:
        raise SelcalcError(f"band_data needs a scalar program of one input; this one has "
                           f"p={P.p}, q={P.q} (use cells_data for two inputs, "
                           f"jacobians_data for vector outputs)")
    lo, hi = P.coerce_point(lo)[0], P.coerce_point(hi)[0]
    if not sympy.Gt(sympy.sympify(hi) - sympy.sympify(lo), 0) == sympy.true:
        raise SelcalcError(f"band_data needs lo < hi, got [{lo}, {hi}]")
    bp = breakpoints(P, segment((lo,), (hi,)))
    S = selection(P)
    (sym,) = S.symbols

    def at(t):
        return canonical(sympy.nsimplify(lo) + t * (sympy.nsimplify(hi) - sympy.nsimplify(lo)))

    pieces = []
    for (t0, t1), patterns in zip(bp.intervals, bp.pieces):
        derivs = []
        for sigma in patterns:
            d = sympy.simplify(sympy.diff(S.piece(sigma), sym))
            if d not in derivs:
                derivs.append(d)
        pieces.append((at(t0), at(t1), derivs))
    kinks = [_at_point(P, (at(t),), conventions) for t in bp.points]
    return {"lo": lo, "hi": hi, "symbol": sym, "pieces": pieces, "kinks": kinks}


def plot_band(P, lo, hi, ax=None, conventions=None, data=None, title=None, legend=True):
    """Draw :func:`band_data`: derivative on the pieces, Clarke intervals and AD outputs at
    the kinks, convention outputs as markers.  Returns the matplotlib axes."""
    plt = _pyplot()
    data = data or band_data(P, lo, hi, conventions)
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 3.6))
    sym = data["symbol"]
    labelled = set()

    def label(name):
        if name in labelled:
            return None
        labelled.add(name)
        return name

    for a, b, derivs in data["pieces"]:
        fa, fb = _f(a), _f(b)
        xs = [fa + (fb - fa) * i / 60 for i in range(61)]
        for d in derivs:
            fn = sympy.lambdify(sym, d, "math")
            ax.plot(xs, [float(fn(x)) for x in xs], color="C0", lw=1.8,
                    label=label("derivative on the smooth pieces"))
    for k in data["kinks"]:
        xk = _f(k["x"])
        C, A = k["clarke"], k["ad_outputs"]
        if A is not None:
            alo, ahi = (_f(v) for v in A.interval)
            ax.plot([xk, xk], [alo, ahi], color="C1", lw=2, alpha=0.7,
                    label=label("conv(AD outputs), all tie choices"))
            ax.plot([xk] * len(A.points), [_f(p[0]) for p in A.points], "_", color="C1",
                    ms=12, mew=2)
        if C is not None:
            clo, chi = (_f(v) for v in C.interval)
            ax.plot([xk, xk], [clo, chi], color="C2", lw=9, alpha=0.35,
                    solid_capstyle="round", label=label("Clarke subgradient"))
        for i, (name, v) in enumerate(k["conventions"].items()):
            if v is None:
                continue
            ax.plot([xk], [_f(v)], _MARKERS[i % len(_MARKERS)], mfc="none", ms=7 + 2 * i,
                    color=f"C{3 + i}", label=label(f"AD, {name}"))
    ax.set_xlabel(str(sym))
    ax.set_ylabel("derivative")
    ax.grid(alpha=0.3)
    ax.set_title(title or f"{P.name or 'program'}: AD against the Clarke band")
    if legend:
        ax.legend(fontsize=7, loc="best")
    return ax


# ---------------------------------------------------------------------- 2-D: cells
def _rational_box(box):
    """``((x0, x1), (y0, y1))`` with exact rational corners (the grid is sampled in exact
    rational arithmetic), or an :class:`InputError` saying what to pass instead.

    >>> _rational_box(((-1, "1/2"), (0, 0.5)))
    ((-1, Fraction(1, 2)), (0, Fraction(1, 2)))
    >>> _rational_box(((0, "sqrt(2)"), (0, 1)))  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    InputError: box corner sqrt(2) is not rational ...
    """
    try:
        sides = [tuple(side) for side in box]
    except TypeError:
        sides = None
    if sides is None or len(sides) != 2 or any(len(side) != 2 for side in sides):
        raise InputError(f"box must be ((x0, x1), (y0, y1)), not {box!r}")
    out = []
    for side in sides:
        ends = []
        for v in side:
            e = to_exact(v)
            if not isinstance(e, (int, Fraction)):
                raise InputError(
                    f"box corner {exact_str(e)} is not rational; the cells are sampled "
                    f"exactly on a rational grid, so pass rational corners (a fraction "
                    f"such as \"99/70\" or a decimal such as \"1.4142\" near it)")
            ends.append(e)
        out.append(tuple(ends))
    return tuple(out)


def cells_data(P, box, n=41, point=None, conventions=None):
    """Exact data of the 2-D view of a two-input program on ``box = ((x0, x1), (y0, y1))``.

    ``ids[j][i]`` numbers the pattern selected (lowest tied piece) at the centre of grid
    cell ``(i, j)`` of an ``n × n`` grid (``-1`` where the program is undefined);
    ``patterns`` and ``pieces`` list each pattern and its ``f_σ`` in that numbering.  With
    ``point``, ``at`` holds the Clarke set, ``ad_outputs`` and conventions there.
    """
    if P.p != 2:
        raise SelcalcError(f"cells_data needs a program of two inputs; this one has p={P.p}")
    (x0, x1), (y0, y1) = _rational_box(box)
    S = selection(P)
    keys, ids = {}, []
    # sample near the cell centres, nudged by different amounts in x and y so that the
    # samples avoid the diagonals and axes where kinks usually lie (ties go to the lowest
    # piece, which would draw a kink as a cell of its own)
    for j in range(n):
        row = []
        y = y0 + (y1 - y0) * (Fraction(2 * j + 1, 2 * n) + Fraction(1, 13 * n))
        for i in range(n):
            x = x0 + (x1 - x0) * (Fraction(2 * i + 1, 2 * n) + Fraction(1, 11 * n))
            try:
                key = tuple(sorted(S.index((x, y)).items()))
            except SelcalcError:
                row.append(-1)
                continue
            row.append(keys.setdefault(key, len(keys)))
        ids.append(row)
    patterns = list(keys)
    out = {"box": ((x0, x1), (y0, y1)), "n": n, "ids": ids, "patterns": patterns,
           "pieces": [S.piece(dict(k)) for k in patterns], "symbols": S.symbols, "at": None}
    if point is not None:
        out["at"] = _at_point(P, P.coerce_point(point), conventions)
    return out


def plot_cells(P, box, point=None, n=41, conventions=None, data=None, axes=None, title=None):
    """Draw :func:`cells_data`: the cells and kinks on the box and, with ``point``, the
    Clarke polytope and AD outputs there (a second panel).  Returns the axes."""
    plt = _pyplot()
    from matplotlib.colors import ListedColormap
    data = data or cells_data(P, box, n, point, conventions)
    panels = 2 if data["at"] is not None and P.q == 1 else 1
    if axes is None:
        _, axes = plt.subplots(1, panels, figsize=(4.4 * panels, 4), squeeze=False)
        axes = list(axes[0])
    ax = axes[0]
    (x0, x1), (y0, y1) = data["box"]
    k = max(1, len(data["patterns"]))
    cmap = ListedColormap([plt.get_cmap("tab20")(i % 20) for i in range(k)])
    import numpy as np  # matplotlib depends on numpy
    grid = np.ma.masked_less(np.array(data["ids"], dtype=float), 0)
    ax.imshow(grid, origin="lower", extent=(float(x0), float(x1), float(y0), float(y1)),
              cmap=cmap, vmin=-0.5, vmax=k - 0.5, interpolation="nearest", aspect="auto")
    ax.contour(np.linspace(float(x0), float(x1), data["n"]),
               np.linspace(float(y0), float(y1), data["n"]), grid.filled(-1),
               levels=[i + 0.5 for i in range(-1, k)], colors="k", linewidths=0.8)
    u, v = (str(s) for s in data["symbols"])
    ax.set_xlabel(u)
    ax.set_ylabel(v)
    ax.set_title(title or f"{P.name or 'program'}: {len(data['patterns'])} cell(s) "
                 f"and the kinks between them", fontsize=9)
    at = data["at"]
    if at is None:
        return axes
    px, py = (_f(c) for c in at["x"])
    ax.plot([px], [py], "k*", ms=11)
    if panels == 1:
        return axes
    ax2 = axes[1]
    C, A = at["clarke"], at["ad_outputs"]
    if A is not None:
        ax2.plot([_f(p[0]) for p in A.points], [_f(p[1]) for p in A.points], "x", color="C1",
                 ms=9, mew=2, label="AD outputs (all tie choices)")
    if C is not None:
        vs = [(_f(w[0]), _f(w[1])) for w in C.vertices]
        if len(vs) > 2:
            ax2.fill(*zip(*vs), color="C2", alpha=0.35, label="Clarke subgradient")
        else:
            ax2.plot(*zip(*vs), color="C2", lw=8, alpha=0.35, solid_capstyle="round",
                     marker="o", ms=16, label="Clarke subgradient")
    for i, (name, g) in enumerate(at["conventions"].items()):
        if g is not None:
            ax2.plot([_f(g[0])], [_f(g[1])], _MARKERS[i % len(_MARKERS)], mfc="none",
                     ms=7 + 2 * i, color=f"C{3 + i}", label=f"AD, {name}")
    ax2.set_xlabel(f"∂/∂{u}")
    ax2.set_ylabel(f"∂/∂{v}")
    ax2.grid(alpha=0.3)
    ax2.set_aspect("equal", adjustable="datalim")
    ax2.set_title(f"at ({', '.join(str(c) for c in at['x'])})"
                  + ("" if C is not None else ": Clarke set undecided"), fontsize=9)
    ax2.legend(fontsize=7, loc="best")
    return axes


# ---------------------------------------------------------------------- Jacobians
def jacobians_data(P, x, conventions=None, max_vertices=8):
    """Exact data of the Jacobian view of a program at ``x``: the vertices of its Clarke
    Jacobian (at most ``max_vertices`` of them, ``count`` says how many there are) and
    each convention's Jacobian, as sympy matrices."""
    x = P.coerce_point(x)
    C = clarke(P, x)
    vertices = [v if isinstance(v, sympy.MatrixBase) else sympy.Matrix([list(v)])
                for v in C.vertices]
    names = list(DEFAULT_CONVENTIONS if conventions is None else conventions)
    convs = {c: _safe(lambda c=c: jacobian(P, x, convention=c)) for c in names}
    convs = {c: (j if j is None or isinstance(j, sympy.MatrixBase) else sympy.Matrix([list(j)]))
             for c, j in convs.items()}
    return {"x": x, "clarke": C, "count": len(vertices), "vertices": vertices[:max_vertices],
            "conventions": convs}


def plot_jacobians(P, x, conventions=None, data=None, title=None, annotate=None):
    """Draw :func:`jacobians_data` as a row of small matrices: the Clarke vertices, then
    each convention's Jacobian.  Returns the matplotlib figure."""
    plt = _pyplot()
    data = data or jacobians_data(P, x, conventions)
    panels = [(f"Clarke vertex {i + 1}/{data['count']}", M)
              for i, M in enumerate(data["vertices"])]
    panels += [(f"AD, {name}", M) for name, M in data["conventions"].items() if M is not None]
    fig, axes = plt.subplots(1, len(panels), figsize=(1.9 * len(panels) + 0.6, 2.6),
                             squeeze=False)
    rows, cols = panels[0][1].shape
    annotate = rows * cols <= 36 if annotate is None else annotate
    for ax, (name, M) in zip(axes[0], panels):
        values = [[_f(M[i, j]) for j in range(cols)] for i in range(rows)]
        ax.imshow(values, cmap="Greens", vmin=0, vmax=1, aspect="auto")
        if annotate:
            for i in range(rows):
                for j in range(cols):
                    ax.text(j, i, str(M[i, j]), ha="center", va="center", fontsize=7)
        ax.set_title(name, fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(title or f"{P.name or 'program'}: Jacobians at the tie", fontsize=9)
    fig.tight_layout()
    return fig
