"""Program: the paper's (p, q, m, pr, G) as a checked DAG of primitive nodes.

Nodes are numbered ``1..m`` in evaluation order: inputs ``1..p`` first, outputs the last
``q``.  Node ``k > p`` applies a :class:`~selcalc.primitives.Primitive` to the values of
its ordered predecessors ``pr(k)`` (and to its own constant parameters).  The outputs of a
vector primitive (``sort``) are consecutive nodes sharing one *group*: a pattern chooses one
piece per group, never one per output.

>>> import selcalc
>>> P = selcalc.Program.from_paper(1, 1, {2: (1,), 3: (1, 2)}, {2: "relu", 3: "sub"})
>>> P.p, P.q, P.m, P.pr(3)
(1, 1, 3, (1, 2))
>>> print(P)
program (p=1, q=1, m=3)
  input x1
  x2 = relu(x1)
  x3 = x1 - x2
  return x3
>>> P(-2)
-2
"""

from __future__ import annotations

from fractions import Fraction
from functools import cached_property

import networkx as nx
import sympy

from .errors import ProgramError, Undecided
from .numbers import exact
from .points import long_printing
from .primitives import Primitive, lookup


@long_printing
class Program:
    """A straight-line program over elementary selection primitives (Algorithm 1).

    Build one with :func:`selcalc.parse`, :func:`selcalc.trace` or
    :meth:`Program.from_paper`; the constructor takes the internal node lists.
    """

    def __init__(self, p, q, ops, args, params, groups, outs, *, input_names=None,
                 name=None, source=None):
        self.p, self.q = p, q
        self.m = len(ops) - 1
        self.ops, self.args, self.params = ops, args, params
        self.groups, self.outs = groups, outs
        self.input_names = tuple(input_names or (f"x{i}" for i in range(1, p + 1)))
        self.name, self.source = name, source
        self.warnings = []
        #: "proved" / "unproven" once the branches are checked (see require_continuity)
        self.continuity, self.continuity_reasons = None, []
        check_program(self)

    # ---------------------------------------------------------------- the paper's data
    def pr(self, k):
        """The ordered predecessors of node ``k`` (empty for inputs)."""
        if not 1 <= k <= self.m:
            raise ProgramError(f"node {k} is not in 1..{self.m}")
        return self.args[k]

    @property
    def inputs(self):
        return tuple(range(1, self.p + 1))

    @property
    def outputs(self):
        return tuple(range(self.m - self.q + 1, self.m + 1))

    @cached_property
    def graph(self):
        """The DAG as a ``networkx.DiGraph``: edge ``j -> k`` for ``j in pr(k)``.

        Node attributes: ``op`` (primitive name, ``"input"`` for inputs), ``group``;
        edge attribute ``position`` (argument position, 0-based).
        """
        g = nx.DiGraph()
        for k in range(1, self.m + 1):
            op = "input" if k <= self.p else self.ops[k].name
            g.add_node(k, op=op, group=self.groups[k])
        for k in range(self.p + 1, self.m + 1):
            for pos, j in enumerate(self.args[k]):
                g.add_edge(j, k, position=pos)
        return g

    @cached_property
    def branching_groups(self):
        """Group ids (first node of the group) of the nodes whose primitive has >1 piece."""
        seen = []
        for k in range(self.p + 1, self.m + 1):
            if self.ops[k].branching and self.groups[k] == k:
                seen.append(k)
        return tuple(seen)

    @cached_property
    def logexp(self):
        """True when every primitive is in the log-exp class (no sin / cos)."""
        return all(self.ops[k].logexp for k in range(self.p + 1, self.m + 1))

    @cached_property
    def piecewise_linear(self):
        """True when every piece and test of every node is affine in its arguments."""
        return all(_affine(prim) for prim in {self.ops[k] for k in range(self.p + 1, self.m + 1)})

    def node_label(self, k):
        if k <= self.p:
            return self.input_names[k - 1]
        return f"x{k}"

    # ---------------------------------------------------------------- continuity
    def continuity_gap(self):
        """None when the program is proved continuous, else the reason it is not.

        Continuity is part of the definition of an elementary selection; ``where``
        groups with exp-log branches may leave it unproven (no counterexample either).
        """
        if self.continuity is None:
            from .continuity import check_branches
            check_branches(self)
        if self.continuity == "proved":
            return None
        return "; ".join(self.continuity_reasons) or "continuity was not checked"

    def require_continuity(self, what="this answer"):
        """Raise :class:`selcalc.Undecided` unless the program is proved continuous.

        Set-valued answers (Clarke subgradient, index closure, artificial critical points,
        conservativity) rest on continuity: without it they are unknown, not verdicts.

        >>> import selcalc
        >>> selcalc.parse("def f(x):\\n    return relu(x)").require_continuity("clarke")
        """
        gap = self.continuity_gap()
        if gap is not None:
            raise Undecided(f"{what} is unknown: the program is not proved continuous "
                            f"({gap})")

    def continuity_verdict(self, claim):
        """An unknown :class:`selcalc.Verdict` for ``claim`` when continuity is unproven,
        else None (the caller goes on)."""
        from .verdict import Verdict
        gap = self.continuity_gap()
        if gap is None:
            return None
        return Verdict(None, claim, reason=f"the program is not proved continuous ({gap})")

    # ---------------------------------------------------------------- evaluation
    def __call__(self, *x):
        """Evaluate exactly (Algorithm 1); a tuple when ``q > 1``.

        Values are sympy numbers (``Rational`` for rational results).
        """
        from .interpreters.evaluate import evaluate
        from .numbers import canonical
        if len(x) == 1:
            x = x[0]
        run = evaluate(self, x)
        outs = tuple(canonical(run.values[k]) for k in self.outputs)
        return outs[0] if self.q == 1 else outs

    def coerce_point(self, x):
        """Exact input tuple from a scalar, a sequence, an array or a comma-separated string
        (see :func:`selcalc.points.coerce_point`); a wrong length raises ``InputError``."""
        from .points import coerce_point
        if isinstance(x, tuple) and len(x) == self.p and all(
                type(v) is int or type(v) is Fraction for v in x):
            return x  # already exact (the interpreters' fast path)
        return coerce_point(x, self.p)

    # ---------------------------------------------------------------- display
    def __str__(self):
        lines = [f"program (p={self.p}, q={self.q}, m={self.m})"]
        lines.append("  input " + ", ".join(self.node_label(k) for k in self.inputs))
        k = self.p + 1
        while k <= self.m:
            prim = self.ops[k]
            args = [self.node_label(j) for j in self.args[k]] + [_const(c) for c in self.params[k]]
            if prim.n_out > 1:
                members = [j for j in range(k, self.m + 1) if self.groups[j] == self.groups[k]]
                lhs = ", ".join(f"x{j}" for j in members)
                lines.append(f"  {lhs} = {_render(prim, args)}")
                k = members[-1] + 1
                continue
            lines.append(f"  x{k} = {_render(prim, args)}")
            k += 1
        lines.append("  return " + ", ".join(f"x{k}" for k in self.outputs))
        return "\n".join(lines)

    def __repr__(self):
        return f"<Program {self.name or ''} p={self.p} q={self.q} m={self.m}>"

    def _repr_html_(self):
        """The listing in a notebook (Jupyter calls this for rich display)."""
        import html
        return (f"<b>{html.escape(self.name or 'program')}</b> (p={self.p}, q={self.q}, "
                f"m={self.m})<pre>{html.escape(str(self))}</pre>")

    # ---------------------------------------------------------------- construction
    @classmethod
    def from_paper(cls, p, q, pr, ops, params=None):
        """Build a program from the paper's data ``(p, q, m, pr, G)``.

        Parameters
        ----------
        p, q : int
            Number of inputs and of outputs (the last ``q`` nodes).
        pr : dict
            ``pr[k]`` is the ordered tuple of predecessors of node ``k`` (``k = p+1..m``).
        ops : dict
            ``ops[k]`` is a primitive name (``"relu"``, ``"add"``, ``"max"`` ...) or a
            :class:`~selcalc.primitives.Primitive`.
        params : dict, optional
            ``params[k]``: constants of a parametric primitive at node ``k``.
        """
        params = params or {}
        for name, v in (("p", p), ("q", q)):
            if not _is_int(v) or v < 0:
                raise ProgramError(f"{name} must be a nonnegative integer, got {v!r}")
        if not isinstance(pr, dict) or not isinstance(ops, dict) or \
                not isinstance(params, dict):
            raise ProgramError("pr, ops and params must be dicts keyed by node number")
        if not all(_is_int(k) for k in list(pr) + list(ops)):
            raise ProgramError("the keys of pr and ops must be integer node numbers")
        m = max(pr) if pr else p
        if set(pr) != set(range(p + 1, m + 1)) or set(ops) != set(pr):
            raise ProgramError(f"pr and ops must both have exactly the keys {p + 1}..{m}")
        n = m + 1
        L_ops, L_args = [None] * n, [()] * n
        L_params, L_groups, L_outs = [()] * n, list(range(n)), [0] * n
        for k in range(p + 1, m + 1):
            if not isinstance(pr[k], (tuple, list)) or not all(_is_int(j) for j in pr[k]):
                raise ProgramError(f"node {k}: pr[{k}] must be a tuple of integer node "
                                   f"numbers, got {pr[k]!r}")
            preds = tuple(int(j) for j in pr[k])
            op = ops[k]
            if isinstance(op, str):
                if op in ("max", "min", "maximum", "minimum") and not preds:
                    raise ProgramError(f"node {k}: {op} needs at least one argument")
                try:
                    op = lookup(op, len(preds))
                except KeyError:
                    raise ProgramError(f"node {k}: unknown primitive {ops[k]!r}") from None
            if not isinstance(op, Primitive):
                raise ProgramError(f"node {k}: {op!r} is not a primitive name or Primitive")
            if op.n_out != 1:
                raise ProgramError(f"node {k}: vector primitive {op.name} cannot be given "
                                   f"through from_paper; use parse or trace")
            L_ops[k], L_args[k] = op, preds
            L_params[k] = tuple(exact(c) for c in params.get(k, ()))
        prog = cls(p, q, L_ops, L_args, L_params, L_groups, L_outs)
        from .continuity import check_branches
        check_branches(prog)
        return prog


def _is_int(v):
    import numbers
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _const(c):
    """A constant as it appears in a listing (compound expressions parenthesised)."""
    text = str(c)
    if isinstance(c, sympy.Basic) and not c.is_Atom:
        return f"({text})"
    if text.startswith("-"):
        return f"({text})"
    return text


def _affine(prim):
    return prim.affine


_INFIX = {"add": "+", "sub": "-", "mul": "*", "div": "/"}


def _render(prim, args):
    base = getattr(prim, "base", prim)
    if base.family == "where":
        t, *rest = _place(prim, args)
        n = prim.n_out
        u, v = ", ".join(rest[:n]), ", ".join(rest[n:])
        if n > 1:
            u, v = f"({u})", f"({v})"
        rel = ">=" if base.name == "where" else "=="
        return f"{u} if {t} {rel} 0 else {v}"
    if base.name in _INFIX and prim.arity + prim.n_params == 2:
        full = _place(prim, args)
        return f"{full[0]} {_INFIX[base.name]} {full[1]}"
    return f"{base.name}({', '.join(_place(prim, args))})"


def _place(prim, args):
    """Arguments in the base primitive's order (parameters back at their positions)."""
    fixed = getattr(prim, "fixed_positions", ())
    if not fixed:
        return list(args)
    n_args = prim.arity
    live, consts = list(args[:n_args]), list(args[n_args:])
    consts = consts[len(consts) - len(fixed):]
    out, li = [], 0
    for pos in range(n_args + len(fixed)):
        if pos in fixed:
            out.append(consts[fixed.index(pos)])
        else:
            out.append(live[li])
            li += 1
    return out


def check_program(P):
    """Check the IR when it is built: numbering, arities, groups, outputs.

    Also checks each primitive's pieces for continuity on their overlaps (cached per
    primitive; see :func:`selcalc.continuity.check_primitive`).
    """
    from .continuity import check_primitive
    if P.p < 0 or P.q < 1 or P.q > P.m:
        raise ProgramError(f"need q >= 1 outputs among the m = {P.m} nodes (p={P.p}, q={P.q})")
    if P.m - P.q < 0:
        raise ProgramError("more outputs than nodes")
    checked = set()
    for k in range(P.p + 1, P.m + 1):
        prim, preds = P.ops[k], P.args[k]
        if prim is None:
            raise ProgramError(f"node {k} has no primitive")
        for j in preds:
            if not 1 <= j < k:
                raise ProgramError(f"node {k}: predecessor {j} is not an earlier node "
                                   f"(nodes must be numbered in evaluation order)")
        if len(preds) != prim.arity:
            raise ProgramError(f"node {k}: {prim.name} takes {prim.arity} argument(s), "
                               f"got {len(preds)}")
        if len(P.params[k]) != prim.n_params:
            raise ProgramError(f"node {k}: {prim.name} needs {prim.n_params} constant(s), "
                               f"got {len(P.params[k])}")
        g = P.groups[k]
        if g != k and (P.ops[g] is not prim or P.args[g] != preds):
            raise ProgramError(f"node {k}: group {g} members must share primitive and args")
        if id(prim) not in checked:
            checked.add(id(prim))
            check_primitive(prim)
    for k in P.outputs:
        if k <= P.p:
            raise ProgramError("an output is an input node; add an identity node")
