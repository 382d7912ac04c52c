"""The program as an elementary selection ``(s, f_1, ..., f_N)`` (Definition 4, Prop. 5).

A *pattern* ``σ`` maps each branching group (its first node) to a piece index.
``f_σ`` composes the chosen pieces; ``s(x)`` is the pattern execution selects.

>>> import selcalc
>>> S = selcalc.selection(selcalc.parse("def f(x):\\n    return relu(x) - relu(-x)"))
>>> len(S)
4
>>> S.index(0)
{2: 0, 4: 0}
>>> S.piece(S.index(0))
0
>>> S.piece({2: 1, 4: 0})
x
"""

from __future__ import annotations

import itertools
import sys
from math import prod

import sympy

from .conventions import get_convention
from .errors import PatternBudgetExceeded, SelcalcError, count_str
from .interpreters.evaluate import evaluate
from .interpreters.symbolic import condition_expressions, input_symbols, node_expressions


class Selection:
    """The elementary selection of a program: iterate ``(σ, f_σ)``, get ``s(x)``."""

    def __init__(self, P):
        self.program = P
        self.groups = P.branching_groups
        self.sizes = tuple(P.ops[g].n_pieces for g in self.groups)
        self.symbols = input_symbols(P)

    @property
    def count(self):
        """The number ``N`` of patterns (product of the pieces counts), as an exact int.

        ``len(S)`` gives the same number while it fits Python's ``len`` (below 2^63);
        ``count`` has no such limit.

        >>> import selcalc
        >>> src = "def f(x):\\n    return " + " + ".join(f"relu(x - {i})" for i in range(70))
        >>> selcalc.selection(selcalc.parse(src)).count == 2 ** 70
        True
        """
        return prod(self.sizes)

    def __len__(self):
        """``N`` when it fits ``len``; past ``sys.maxsize`` a :class:`PatternBudgetExceeded`
        that points to :attr:`count` (Python's ``len`` cannot return a larger int)."""
        n = self.count
        if n > sys.maxsize:
            exc = PatternBudgetExceeded(n, sys.maxsize)
            exc.args = (f"{count_str(n)} patterns are too many for len(), which stops at "
                        f"{sys.maxsize}: read selection(P).count for the exact number",)
            raise exc
        return n

    def check_budget(self, max_patterns, how="max_patterns"):
        """Raise :class:`PatternBudgetExceeded` when there are more than ``max_patterns``
        patterns (the count itself may be far past ``len``'s limit)."""
        if self.count > max_patterns:
            raise PatternBudgetExceeded(self.count, max_patterns, how=how)

    def patterns(self):
        """All patterns, in lexicographic order of piece indices (group order = node order)."""
        for combo in itertools.product(*(range(n) for n in self.sizes)):
            yield dict(zip(self.groups, combo))

    def __iter__(self):
        for sigma in self.patterns():
            yield sigma, self.piece(sigma)

    def piece(self, pattern):
        """``f_σ``: a sympy expression in the inputs (a tuple when q > 1)."""
        P = self.program
        exprs = node_expressions(P, pattern, self.symbols)
        outs = tuple(exprs[k] for k in P.outputs)
        return outs[0] if P.q == 1 else outs

    def conditions(self, pattern):
        """The closed conditions ``(t, rel)`` whose conjunction is ``R_σ``."""
        return condition_expressions(self.program, pattern)

    def index(self, x, convention="selection", mode="backward"):
        """``s(x)``: the pattern execution selects at ``x`` under a selection convention."""
        P = self.program
        conv = get_convention(convention)
        run = evaluate(P, x)
        sigma = {}
        for g in self.groups:
            act = run.active[g]
            w = {act[0]: 1} if len(act) == 1 else conv.weights(P.ops[g], act, mode)
            if len(w) != 1:
                raise SelcalcError(
                    f"convention {conv.name} averages the tied pieces {act} at node {g}: its "
                    f"output there is not a selection gradient, so s(x) is not defined")
            (sigma[g], _), = w.items()
        return sigma

    def piecewise(self, max_patterns=64):
        """A sympy ``Piecewise`` (q = 1): patterns in order, so ties go to the lowest.

        Patterns whose set ``R_σ`` has no interior are left out: empty ones, and thin ones
        (a point, a line in the plane ...), whose points all lie in the closure of the other
        pieces, where ``f`` takes the same value by continuity.  Leaving a piece out needs an
        exact proof (z3 on polynomial conditions); a piece that cannot be decided is kept.

        >>> import selcalc
        >>> P = selcalc.parse("def f(x):\\n    return relu(x) + relu(x - 1)")
        >>> selcalc.selection(P).piecewise()
        Piecewise((0, (x <= 0) & (x <= 1)), (x, (x >= 0) & (x <= 1)), (2*x - 1, (x >= 0) & (x >= 1)))
        >>> Q = selcalc.parse("def g(x, y):\\n    return relu(x) + relu(y) + relu(x + y)")
        >>> len(selcalc.selection(Q).piecewise().args)
        6
        """
        P = self.program
        if P.q != 1:
            raise SelcalcError("piecewise() is for scalar programs")
        self.check_budget(max_patterns)
        rels = {">=": sympy.Ge, "<=": sympy.Le, "==": sympy.Eq}
        branches = []
        for sigma, f in self:
            cond = sympy.And(*[rels[r](t, 0) for t, r in self.conditions(sigma)])
            if cond is sympy.false or _proved_thin(self.conditions(sigma), self.symbols):
                continue
            branches.append((f, cond))
            if cond is sympy.true:
                break
        return sympy.Piecewise(*branches)


def _proved_thin(conditions, symbols):
    """True when the closed set cut out by ``(t, rel)`` is proved to have no interior.

    A test that vanishes identically imposes nothing; otherwise the zero set of each
    nonzero polynomial test is nowhere dense, so the set has an interior point exactly when
    the strict system (every ``>=`` / ``<=`` strict, no equation) has a solution.
    """
    from . import smt
    strict = []
    for t, rel in conditions:
        t = sympy.expand(t)
        if t == 0:
            continue
        if rel == "==":
            return True
        if not t.is_polynomial(*symbols):
            return False
        strict.append((t, rel))
    if not strict:
        return False
    try:
        env = {sym: smt.z3.Real(str(sym)) for sym in symbols}
        solver = smt.solver()
        for t, rel in strict:
            z = smt.to_z3(t, env)
            solver.add(z > 0 if rel == ">=" else z < 0)
    except smt.NotPolynomial:
        return False
    return solver.check() == smt.z3.unsat


def selection(P):
    """The program ``P`` as an elementary selection (see :class:`Selection`).

    >>> import selcalc
    >>> S = selection(selcalc.parse("def f(x):\\n    return abs(x)"))
    >>> len(S), S.piece({2: 0}), S.piece({2: 1})
    (2, -x, x)
    """
    return Selection(P)
