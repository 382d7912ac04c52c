"""Proposition 4 as a check: the chain rule for selection derivatives.

Proposition 4 of Bolte & Pauwels (NeurIPS 2020, §2.2): if every coordinate
of ``F : R^{p1} → R^{p2}`` and ``g : R^{p2} → R`` have elementary selections, then
``g ∘ F`` has one too, and ``x ↦ Ĵ_F(x)ᵀ ∇̂g(F(x))`` is a selection derivative of
``g ∘ F`` (for a multivariate ``g``: ``Ĵ_{g∘F} = (Ĵ_g ∘ F) Ĵ_F``, equation (5)).

Checked with programs: :func:`compose` builds the program of ``g ∘ F`` from the two
programs (the nodes of ``F``, then those of ``g`` reading ``F``'s outputs).  At ``x`` and for
a convention ``c`` used by all three programs ("matching conventions"):

1. AD of the composite equals ``Ĵ_g(F(x)) Ĵ_F(x)`` computed from the two programs
   separately — for every convention, averaging ones included;
2. for selection conventions, this product is the gradient ``∇f_σ(x)`` of the composite's
   selected piece ``σ = s(x)`` (sympy oracle): a selection derivative of ``g ∘ F``.

>>> import selcalc
>>> F = selcalc.parse("def F(x, y):\\n    return relu(x - y), max(x, y)")
>>> g = selcalc.parse("def g(u, v):\\n    return abs(u) + u * v")
>>> H = compose(F, g)
>>> H(1, 0), g(*F(1, 0))
(2, 2)
>>> check_chain_rule(F, g, (0, 0)).holds
True
"""

from __future__ import annotations

from ..autodiff import jacobian_rows
from ..conventions import CONVENTIONS, get_convention
from ..errors import DomainError, PatternBudgetExceeded, SelcalcError, Undecided
from ..frontends import trace
from ..functions import abs as _abs
from ..functions import relu
from ..ir import Program
from ..numbers import canonical
from ..primitives import PRIMITIVES
from ..selection import selection
from ..verdict import Verdict
from ._common import HIGHEST, combine, equal_rows, guarded, piece_jacobian, show

DEFAULT_CONVENTIONS = ("selection", HIGHEST) + tuple(n for n in CONVENTIONS if n != "selection")


# ---------------------------------------------------------------------- building programs
class _Nodes:
    """Node lists under construction (index 0 unused, as in :class:`Program`)."""

    def __init__(self, p):
        self.ops, self.args, self.params = [None] * (p + 1), [()] * (p + 1), [()] * (p + 1)
        self.groups, self.outs = list(range(p + 1)), [0] * (p + 1)

    def add_program(self, P, inputs):
        """Append the non-input nodes of ``P`` with its inputs read from nodes ``inputs``."""
        base = len(self.ops) - 1 - P.p
        where = lambda j: inputs[j - 1] if j <= P.p else base + j  # noqa: E731
        for k in range(P.p + 1, P.m + 1):
            self.ops.append(P.ops[k])
            self.args.append(tuple(where(j) for j in P.args[k]))
            self.params.append(P.params[k])
            self.groups.append(where(P.groups[k]))
            self.outs.append(P.outs[k])
        return [where(k) for k in P.outputs]

    def identity(self, j):
        self.ops.append(PRIMITIVES["identity"])
        self.args.append((j,))
        self.params.append(())
        self.groups.append(len(self.ops) - 1)
        self.outs.append(0)


def compose(F, g):
    """The program of ``g ∘ F``: ``F``'s ``q`` outputs feed ``g``'s ``q`` inputs.

    Inputs and their names are ``F``'s; outputs are ``g``'s (still the last nodes).
    """
    if F.q != g.p:
        raise SelcalcError(f"cannot compose: F has {F.q} output(s) but g has {g.p} input(s)")
    nodes = _Nodes(F.p)
    mids = nodes.add_program(F, list(F.inputs))
    nodes.add_program(g, mids)
    return Program(F.p, g.q, nodes.ops, nodes.args, nodes.params, nodes.groups, nodes.outs,
                   input_names=F.input_names, name=f"{g.name or 'g'}∘{F.name or 'F'}")


def stack(*programs):
    """The program ``x ↦ (P_1(x), …, P_r(x))`` of programs with the same inputs.

    >>> import selcalc
    >>> F = stack(selcalc.parse("def a(x):\\n    return relu(x)"),
    ...           selcalc.parse("def b(x):\\n    return abs(x)"))
    >>> F.q, F(-2)
    (2, (0, 2))
    """
    p = programs[0].p
    if any(P.p != p for P in programs):
        raise SelcalcError("stack needs programs with the same number of inputs")
    nodes = _Nodes(p)
    outs = [o for P in programs for o in nodes.add_program(P, list(range(1, p + 1)))]
    for o in outs:
        nodes.identity(o)
    return Program(p, len(outs), nodes.ops, nodes.args, nodes.params, nodes.groups,
                   nodes.outs, input_names=programs[0].input_names,
                   name="(" + ", ".join(P.name or "P" for P in programs) + ")")


def tied_identity(x0):
    """``F(x) = x`` written as ``relu(x − x0) − relu(x0 − x) + x0``: every coordinate ties
    at ``x0``, where the lowest-piece convention gives ``Ĵ_F(x0) = 0``."""
    x0 = tuple(x0)

    def F(*x):
        return tuple(relu(a - c) - relu(c - a) + c for a, c in zip(x, x0))
    return trace(F, nargs=len(x0))


def tied_outer(v):
    """``g(y) = Σ_i relu(y_i − v_i) + |y_i − v_i| + y_i``: ties at ``y = v``."""
    v = tuple(v)

    def g(*y):
        total = 0
        for a, c in zip(y, v):
            total = total + relu(a - c) + _abs(a - c) + a
        return total
    return trace(g, nargs=len(v))


# ---------------------------------------------------------------------- the check
def _claim(F, g, x, *args, **kwargs):
    return (f"at x = {tuple(str(v) for v in F.coerce_point(x))}: AD(g∘F) = Ĵ_g(F(x)) Ĵ_F(x) "
            f"for matching conventions, and it is ∇f_σ(x) of the composite for selection "
            f"conventions (Proposition 4)")


def _matmul(A, B):
    return [[canonical(sum((a * b for a, b in zip(row, col)), 0)) for col in zip(*B)]
            for row in A]


@guarded(_claim)
def check_chain_rule(F, g, x, conventions=DEFAULT_CONVENTIONS):
    """Verdict for Proposition 4 for ``g ∘ F`` at ``x`` (see the module docstring)."""
    claim = _claim(F, g, x)
    x = F.coerce_point(x)
    H = compose(F, g)
    y = F(*x)
    y = y if F.q > 1 else (y,)
    S = selection(H)
    certificate, checked = {}, []
    for conv in conventions:
        conv = get_convention(conv)
        JF = jacobian_rows(F, x, conv)
        Jg = jacobian_rows(g, y, conv)
        product = _matmul(Jg, JF)
        composite = jacobian_rows(H, x, conv)
        if not equal_rows(composite, product):
            return Verdict(False, claim, {"convention": conv.name, "J_F": show(JF),
                                          "J_g": show(Jg), "product": show(product),
                                          "composite": show(composite)}, checked,
                           reason="AD of the composite differs from the chain rule product")
        line = f"{conv.name}: AD(g∘F)(x) = Ĵ_g Ĵ_F = {show(product)}"
        try:
            sigma = S.index(x, conv)
        except (DomainError, Undecided, PatternBudgetExceeded):
            raise
        except SelcalcError:
            sigma = None  # an averaging tie at x: no s(x), part 2 does not apply
        if sigma is not None:
            oracle = piece_jacobian(H, sigma, x)
            if not equal_rows(product, oracle):
                return Verdict(False, claim, {"convention": conv.name, "pattern": sigma,
                                              "product": show(product),
                                              "grad_f_sigma": show(oracle)}, checked,
                               reason="the chain rule product is not the gradient of the "
                                      "composite's selected piece")
            line += f" = ∇f_σ(x), σ = {sigma}"
        checked.append(line)
        certificate[conv.name] = show(product)
    return Verdict(True, claim, certificate, checked)


def _claim_program(P, x, *args, **kwargs):
    return (f"Proposition 4 for {P.name or 'P'} composed with tie-planting maps at "
            f"x = {tuple(str(v) for v in P.coerce_point(x))}")


@guarded(_claim_program)
def check_chain_rule_program(P, x, conventions=DEFAULT_CONVENTIONS):
    """Proposition 4 around one program ``P`` at ``x``, with ties planted on both sides.

    Checks ``P ∘ T`` with ``T`` = :func:`tied_identity` at ``x`` (every input ties) and
    ``G ∘ P`` with ``G`` = :func:`tied_outer` at ``P(x)`` (every output ties).
    """
    x = P.coerce_point(x)
    y = P(*x)
    y = y if P.q > 1 else (y,)
    inner = check_chain_rule(tied_identity(x), P, x, conventions)
    outer = check_chain_rule(P, tied_outer(y), x, conventions)
    inner.claim, outer.claim = f"P∘T: {inner.claim}", f"G∘P: {outer.claim}"
    return combine(_claim_program(P, x), [inner, outer])
