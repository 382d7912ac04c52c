"""Minibatch SGD with selection derivatives and its bad step sizes (Theorem 4).

Theorem 4 of Bolte & Pauwels, "A mathematical model for automatic differentiation in
machine learning" (NeurIPS 2020, arXiv:2006.02080), §5.2: for the recursion
``x_{k+1} = x_k − γ_k ∇̂f_{I_k}(x_k)`` run with the selection derivatives AD returns, and
for almost every initial point and step size, the method never meets an artificial critical
point.  For a fixed start and a constant step ``α`` this is concrete: each iterate
``x_k(α)`` is a piecewise-polynomial function of ``α`` (for piecewise-polynomial losses), so
the step sizes that put an iterate on a kink within the first ``steps`` steps are the real
roots of finitely many polynomials — a finite set of real algebraic numbers, computed here
exactly.

The objective is a sum of losses given as **one program per term** (all with the same
inputs): ``J = (1/n) Σ_i f_i``, and a batch ``I`` uses ``f_I = (1/|I|) Σ_{i∈I} f_i``.  A single
program is the case ``n = 1``.  ``batches`` is a list of batches (index collections, one per
step) or an int ``K`` meaning ``K`` full-gradient steps.

An iterate *sits on a tie* when, at that point, some branching node of some term has more
than one active piece (the tie set of the objective); there the convention decides what
AD returns.

>>> import selcalc
>>> f = selcalc.parse("def f(w):\\n    return abs(w)")
>>> run = sgd(f, 1, "1/2", 3)
>>> [x[0] for x in run.iterates], run.tie_steps
([1, 1/2, 0, 1/2], [2])
>>> bad = bad_step_sizes(f, 1, None, 3, (0, 2))
>>> bad.values
(1/3, 1/2, 1)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import sympy
from flint import fmpq, fmpq_poly

from ..autodiff import jacobian_rows
from ..conventions import get_convention
from ..errors import PatternBudgetExceeded, SelcalcError
from ..interpreters.backward import backward_jacobian
from ..interpreters.evaluate import evaluate
from ..ir import Program
from ..numbers import canonical, exact, normalize, sign, to_sympy
from ..selection import Selection
from . import _algebraic as alg


# ---------------------------------------------------------------------- inputs
def _terms(P):
    terms = (P,) if isinstance(P, Program) else tuple(P)
    if not terms or not all(isinstance(t, Program) for t in terms):
        raise SelcalcError("P must be a Program or a non-empty sequence of Programs "
                           "(one per loss term)")
    p = terms[0].p
    for t in terms:
        if t.p != p or t.q != 1:
            raise SelcalcError("every loss term must be a scalar program with the same "
                               f"inputs (got p={t.p}, q={t.q}; expected p={p}, q=1)")
    return terms


def _batch_list(batches, n, steps=None):
    if batches is None:
        if steps is None:
            raise SelcalcError("batches=None needs a number of steps")
        return [tuple(range(n))] * steps
    if isinstance(batches, int):
        return [tuple(range(n))] * batches
    out = []
    for b in batches:
        b = (b,) if isinstance(b, int) else tuple(b)
        if not b or any(not isinstance(i, int) or not 0 <= i < n for i in b):
            raise SelcalcError(f"batch {b} must be a non-empty collection of term indices "
                               f"in 0..{n - 1}")
        out.append(b)
    if steps is not None:
        if len(out) < steps:
            raise SelcalcError(f"{len(out)} batches given for {steps} steps")
        out = out[:steps]
    return out


# ---------------------------------------------------------------------- exact SGD
@dataclass
class SGDStep:
    """One iterate ``x_k`` of an :func:`sgd` run.

    ``ties`` maps term index -> {group: active pieces} for the tied groups at ``x_k``;
    ``pattern`` (when a step is taken from ``x_k``) maps each batch term to the piece its
    groups selected under the convention (selection conventions only, else ``None``);
    ``direction`` is the averaged AD derivative used for the step, ``mattered`` whether the
    tie changed it (some batch term has several AD outputs at ``x_k``; ``None`` if unknown).
    """

    k: int
    x: tuple
    ties: dict
    batch: tuple | None = None
    direction: tuple | None = None
    pattern: dict | None = None
    mattered: bool | None = None

    @property
    def on_tie(self):
        return bool(self.ties)


@dataclass
class SGDRun:
    """Exact iterates of minibatch SGD (see :func:`sgd`)."""

    steps: list
    convention: str
    selection: bool

    @property
    def iterates(self):
        return [s.x for s in self.steps]

    @property
    def tie_steps(self):
        """The indices ``k`` of the iterates that sit on a tie."""
        return [s.k for s in self.steps if s.on_tie]


def _ties(terms, x):
    out = {}
    for i, t in enumerate(terms):
        tied = evaluate(t, x).ties()
        if tied:
            out[i] = tied
    return out


def sgd(P, x0, step, batches, convention="selection", max_patterns=256):
    """Exact minibatch SGD ``x_{k+1} = x_k − γ_k (1/|I_k|) Σ_{i∈I_k} ∇̂f_i(x_k)``.

    Recursion (8) of the NeurIPS 2020 paper, with the derivatives AD returns under
    ``convention`` (selection derivatives for selection conventions, Theorem 2).

    Parameters
    ----------
    P : Program or sequence of Programs
        One scalar program per loss term, all with the same inputs.
    x0 : point
    step : number or sequence of numbers
        A constant step size or one per step (exact values).
    batches : list of index collections, or int
        The batch ``I_k`` of each step; an int ``K`` means ``K`` full-gradient steps.
    convention : str or Convention
    max_patterns : int
        Budget for deciding whether a tie changed the derivative (``mattered``).

    Returns
    -------
    SGDRun
        ``.iterates`` (exact tuples), ``.steps`` (:class:`SGDStep` per iterate, with the
        ties and the selected pattern), ``.tie_steps``.

    >>> import selcalc
    >>> f = selcalc.parse("def f(w):\\n    return relu(w) - relu(-w)")
    >>> sgd(f, 1, 1, 2).tie_steps    # x_1 = 0, where AD returns 0: stuck there
    [1, 2]
    """
    from ..fields import ad_outputs
    terms = _terms(P)
    conv = get_convention(convention)
    blist = _batch_list(batches, len(terms))
    steps = [exact(s) for s in step] if isinstance(step, (list, tuple)) else \
        [exact(step)] * len(blist)
    if len(steps) < len(blist):
        raise SelcalcError(f"{len(steps)} step sizes for {len(blist)} steps")
    x = terms[0].coerce_point(x0)
    out = []
    selections = [Selection(t) for t in terms] if conv.is_selection else None
    for k, batch in enumerate(blist):
        ties = _ties(terms, x)
        direction = [0] * len(x)
        pattern = {} if conv.is_selection else None
        mattered = False
        for i in batch:
            row = jacobian_rows(terms[i], x, conv)[0]
            direction = [d + v for d, v in zip(direction, row)]
            if i in ties:
                if pattern is not None:
                    pattern[i] = {g: selections[i].index(x, conv)[g] for g in ties[i]}
                if mattered is not None:
                    try:
                        mattered = mattered or len(ad_outputs(terms[i], x, max_patterns)
                                                   .points) > 1
                    except PatternBudgetExceeded:
                        mattered = None
        direction = tuple(_combine(0, d, Fraction(1, len(batch))) for d in direction)
        out.append(SGDStep(k, tuple(canonical(v) for v in x), ties, batch,
                           tuple(canonical(d) for d in direction), pattern,
                           mattered if ties else False))
        x = tuple(_combine(xi, di, -steps[k]) for xi, di in zip(x, direction))
    out.append(SGDStep(len(blist), tuple(canonical(v) for v in x), _ties(terms, x)))
    return SGDRun(out, conv.name, conv.is_selection)


def _combine(u, v, c):
    """``u + c v`` exactly (rational fast path, sympy otherwise)."""
    vals = (u, v, c)
    if all(isinstance(w, (int, Fraction)) for w in vals):
        return normalize(Fraction(u) + Fraction(c) * v)
    return normalize(sympy.expand(to_sympy(u) + to_sympy(c) * to_sympy(v)))


# ---------------------------------------------------------------------- polynomial interpreter
_ALPHA = fmpq_poly([0, 1])


def _fq(v):
    v = Fraction(v)
    return fmpq(v.numerator, v.denominator)


class _PolyForms:
    """Polynomial forms (in a node's arguments, its constants substituted) of its pieces,
    their partial derivatives and its tests; cached per primitive and constants."""

    def __init__(self):
        self.cache = {}

    @staticmethod
    def _terms(prim, expr, sub):
        args = prim.symbols[:prim.arity]
        expr = sympy.sympify(expr).xreplace(sub)
        try:
            poly = sympy.Poly(expr, *args) if args else sympy.Poly(expr, sympy.Dummy())
        except sympy.PolynomialError:
            poly = None
        if poly is None or not all(c.is_Rational for c in poly.coeffs()):
            raise SelcalcError(f"bad_step_sizes needs piecewise-polynomial programs with "
                               f"rational constants; the primitive {prim.name} has the piece "
                               f"or test {expr}")
        return [(fmpq(int(c.p), int(c.q)), exps if args else ())
                for exps, c in poly.terms()]

    def get(self, prim, params):
        key = (id(prim), tuple(params))
        if key not in self.cache:
            sub = {s: to_sympy(c) for s, c in zip(prim.symbols[prim.arity:], params)}
            args = prim.symbols[:prim.arity]
            values = [[self._terms(prim, v, sub) for v in pc.values] for pc in prim.pieces]
            partials = [[[self._terms(prim, sympy.diff(v, a), sub) for a in args]
                         for v in pc.values] for pc in prim.pieces]
            tests = [self._terms(prim, t, sub) for t in prim.tests]
            self.cache[key] = (values, partials, tests)
        return self.cache[key]


def _peval(terms, vals):
    total = fmpq_poly(0)
    for c, exps in terms:
        term = fmpq_poly([c])
        for v, e in zip(vals, exps):
            if e:
                term = term * v ** e
        total += term
    return total


@dataclass
class _Cell:
    lo: object
    hi: object
    x: tuple  # fmpq_poly per input


class _Splitter:
    """Splits an interval of α where one term's pattern along ``x(α)`` is constant."""

    def __init__(self, P, forms, conv, bad, persistent):
        self.P, self.forms, self.conv = P, forms, conv
        self.bad, self.persistent = bad, persistent

    def run(self, cell, need_grad):
        P = self.P
        values = [None] + list(cell.x) + [None] * (P.m - P.p)
        out = []
        self._go(P.p + 1, cell.lo, cell.hi, values, {}, need_grad, out)
        return out

    def _vals(self, k, values):
        return [values[j] for j in self.P.args[k]]

    def _forms(self, k):
        return self.forms.get(self.P.ops[k], self.P.params[k])

    def _go(self, k, lo, hi, values, choice, need_grad, out):
        P = self.P
        while k <= P.m and not P.ops[k].branching:
            vals, (pv, _, _) = self._vals(k, values), self._forms(k)
            values[k] = _peval(pv[0][P.outs[k]], vals)
            choice[k] = {0: 1}
            k += 1
        if k > P.m:
            if need_grad:
                out.append((lo, hi, self._gradient(values, choice)))
            return
        prim = P.ops[k]
        pv, _, tv = self._forms(k)
        vals = self._vals(k, values)
        tests = [_peval(t, vals) for t in tv]
        cuts = []
        for t in tests:
            if t != 0:
                cuts.extend(alg.roots_in(t, lo, hi))
        cuts = alg.unique_sorted(cuts)
        for r in cuts:
            signs = [alg.poly_sign_at_root(t, r) for t in tests]
            if len(_active(prim, signs)) > 1:
                self.bad.add(r)
        members = [j for j in range(k, P.m + 1) if P.groups[j] == k]
        ends = [lo] + cuts + [hi]
        for a, b in zip(ends[:-1], ends[1:]):
            mid = alg.between(a, b)
            act = _active(prim, [alg.sign_at(t, mid) for t in tests])
            if len(act) > 1:
                self.persistent.append((a, b))
            weights = {act[0]: 1} if len(act) == 1 else self.conv.weights(prim, act)
            vals2 = list(values)
            ch = dict(choice)
            for j in members:
                vals2[j] = _peval(pv[act[0]][P.outs[j]], vals)
                ch[j] = weights
            self._go(members[-1] + 1, a, b, vals2, ch, need_grad, out)

    def _gradient(self, values, choice):
        P = self.P
        d = [()] * (P.m + 1)
        for k in range(P.p + 1, P.m + 1):
            prim = P.ops[k]
            if not prim.arity:
                continue
            _, pp, _ = self._forms(k)
            vals = self._vals(k, values)
            acc = [fmpq_poly(0)] * prim.arity
            for i, w in choice[k].items():
                for pos in range(prim.arity):
                    acc[pos] = acc[pos] + _fq(w) * _peval(pp[i][P.outs[k]][pos], vals)
            d[k] = tuple(acc)
        return backward_jacobian(P, d)[0]


def _active(prim, signs):
    return prim.active_from_signs(signs)


@dataclass
class BadStepSizes:
    """The step sizes in ``(lo, hi]`` that put one of the first ``steps`` iterates on a tie.

    ``values``: sorted exact numbers (sympy ``Rational`` or ``CRootOf``); ``intervals``:
    open sub-intervals on which an iterate stays on a tie for **every** step size (empty
    in the generic case — then the set is finite, as Theorem 4 predicts); ``x0_on_tie``:
    whether the start itself is on a tie (independent of the step size); ``cells`` and
    ``degree``: the size of the final piecewise-polynomial description of ``α ↦ x_steps(α)``.
    """

    values: tuple
    roots: tuple = field(repr=False)
    intervals: tuple
    step_range: tuple
    steps: int
    x0_on_tie: bool
    cells: int
    degree: int

    @property
    def finite(self):
        return not self.intervals

    def __len__(self):
        return len(self.values)

    def __iter__(self):
        """The bad step sizes in increasing order (the open ``intervals`` are not listed).

        >>> import selcalc
        >>> bad = selcalc.bad_step_sizes(selcalc.parse("def f(w):\\n    return abs(w)"),
        ...                              1, None, 3, (0, 2))
        >>> list(bad), sorted(bad, reverse=True)[0], Fraction(1, 2) in bad, 0.4 in bad
        ([1/3, 1/2, 1], 1, True, False)
        """
        return iter(self.values)

    def __contains__(self, alpha):
        """Whether the step size ``alpha`` (any exact real; a float is its binary value) is
        one of the bad ones or lies in one of the ``intervals``, by certified signs."""
        a = to_sympy(exact(alpha))
        if any(sign(a - v) == 0 for v in self.values):
            return True
        return any(sign(a - lo) > 0 and sign(hi - a) > 0 for lo, hi in self.intervals)

    def samples(self):
        """One rational step size strictly between consecutive bad values (and the ends)."""
        lo, hi = self.step_range
        ends = [lo] + list(self.roots) + [hi]
        out = []
        for a, b in zip(ends[:-1], ends[1:]):
            if alg.compare(a, b) < 0:
                out.append(alg.between(a, b))
        return out


def bad_step_sizes(P, x0, batches, steps, step_range, convention="selection",
                   max_degree=400, max_cells=20000):
    """The exact finite set of constant step sizes ``α ∈ (lo, hi]`` for which one of the
    iterates ``x_1(α), …, x_steps(α)`` of :func:`sgd` sits on a tie.

    Theorem 4 of the NeurIPS 2020 paper made concrete: outside this set every step size
    provably keeps the first ``steps`` iterates off every kink, so AD computes the gradient
    there and no artificial critical point can be met.  For piecewise-polynomial terms with
    rational data, ``α ↦ x_k(α)`` is polynomial on each cell of a finite partition of
    ``(lo, hi)``; the cells are split at the real roots of the tests composed with it,
    isolated exactly (irreducible factors over Q, rational isolating intervals); a root is
    kept when the active set there really has several pieces.

    Parameters
    ----------
    P : Program or sequence of Programs (one per loss term)
    x0 : point
    batches : list of batches, or None for full-gradient steps
    steps : int
    step_range : (lo, hi)
        The interval ``(lo, hi]`` of step sizes (rational ends).
    convention : the tie rule used when an iterate stays on a tie for a whole interval
    max_degree, max_cells : budgets; past them :class:`selcalc.PatternBudgetExceeded` says
        what was reached (degrees grow with the steps: by one per step for losses whose
        gradient is affine in the iterate, geometrically for squared losses of networks).

    >>> import selcalc
    >>> f = selcalc.parse("def f(w):\\n    return abs(w * w - 2)")
    >>> bad_step_sizes(f, 0, None, 1, (0, 1)).values   # w1 = 0: no tie, no step is bad
    ()
    >>> bad_step_sizes(f, 1, None, 1, (0, 2)).values   # w1 = 1 + 2α = sqrt(2)
    (-1/2 + sqrt(2)/2,)
    """
    terms = _terms(P)
    conv = get_convention(convention)
    lo, hi = (exact(v) for v in step_range)
    if not all(isinstance(v, (int, Fraction)) for v in (lo, hi)) or not lo < hi:
        raise SelcalcError(f"step_range must be two rationals lo < hi, got {step_range}")
    lo, hi = Fraction(lo), Fraction(hi)
    blist = _batch_list(batches, len(terms), steps)
    x = terms[0].coerce_point(x0)
    if not all(isinstance(v, (int, Fraction)) for v in x):
        raise SelcalcError("bad_step_sizes needs a rational starting point")
    forms = _PolyForms()
    bad, persistent = set(), []
    splitters = [_Splitter(t, forms, conv, bad, persistent) for t in terms]
    x0_on_tie = bool(_ties(terms, x))
    cells = [_Cell(lo, hi, tuple(fmpq_poly([_fq(v)]) for v in x))]
    degree = 0
    for k in range(steps + 1):
        batch = blist[k] if k < steps else ()
        if k > 0:  # ties of the iterate x_k on the terms outside the batch
            for i, sp in enumerate(splitters):
                if i not in batch:
                    for cell in cells:
                        sp.run(cell, need_grad=False)
        if k == steps:
            break
        new_cells = []
        for cell in cells:
            parts = [(cell.lo, cell.hi, [fmpq_poly(0)] * len(x))]
            for i in batch:
                if k == 0:
                    sub_bad = set()
                    sp = _Splitter(terms[i], forms, conv, sub_bad, [])
                else:
                    sp = splitters[i]
                refined = []
                for a, b, acc in parts:
                    for a2, b2, g in sp.run(_Cell(a, b, cell.x), need_grad=True):
                        refined.append((a2, b2, [u + v for u, v in zip(acc, g)]))
                parts = refined
            scale = fmpq(1, len(batch))
            for a, b, acc in parts:
                nx = tuple(xi - _ALPHA * (scale * gi) for xi, gi in zip(cell.x, acc))
                degree = max(degree, *(v.degree() for v in nx))
                if degree > max_degree:
                    raise PatternBudgetExceeded(degree, max_degree,
                                                f"(degree in α of the iterate x_{k + 1})",
                                                "max_degree")
                if new_cells and new_cells[-1].x == nx and alg.compare(new_cells[-1].hi,
                                                                       a) == 0:
                    new_cells[-1].hi = b  # same polynomial on both sides: merge
                else:
                    new_cells.append(_Cell(a, b, nx))
        if len(new_cells) > max_cells:
            raise PatternBudgetExceeded(len(new_cells), max_cells,
                                        f"cells of the step-size interval after step {k + 1}",
                                        "max_cells")
        cells = new_cells
    roots = [r for r in alg.unique_sorted(list(bad)) if alg.compare(r, lo) > 0
             and alg.compare(r, hi) < 0]
    if any(k > 0 for k in sgd(terms, x, hi, blist, conv).tie_steps):
        roots.append(hi)
    intervals = tuple((alg.to_sympy(a), alg.to_sympy(b)) for a, b in
                      _merge_intervals(persistent))
    return BadStepSizes(tuple(alg.to_sympy(r) for r in roots), tuple(roots), intervals,
                        (lo, hi), steps, x0_on_tie, len(cells), degree)


def _merge_intervals(intervals):
    out = []
    for a, b in sorted(intervals, key=lambda ab: alg._SortKey(ab[0])):
        if out and alg.compare(a, out[-1][1]) <= 0:
            if alg.compare(b, out[-1][1]) > 0:
                out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


__all__ = ["BadStepSizes", "SGDRun", "SGDStep", "bad_step_sizes", "sgd"]
