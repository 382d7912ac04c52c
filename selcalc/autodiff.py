"""Exact automatic differentiation: ``grad`` and ``jacobian`` (Algorithm 2, both modes).

>>> import selcalc
>>> relu2 = selcalc.parse("def relu2(t):\\n    return relu(-t) + t")
>>> selcalc.grad(relu2, 0, convention="tensorflow")
(1,)
>>> selcalc.jacobian(relu2, 0, mode="forward")
Matrix([[1]])
"""

from __future__ import annotations

import sympy

from .conventions import get_convention
from .errors import SelcalcError
from .interpreters.backward import backward_jacobian
from .interpreters.evaluate import evaluate
from .interpreters.forward import forward_jacobian
from .interpreters.partials import local_partials
from .numbers import canonical

MODES = ("forward", "backward")


def jacobian_rows(P, x, convention=None, mode="backward", pattern=None, run=None):
    """The Jacobian as exact rows of ``int`` / ``Fraction`` / sympy values (internal form)."""
    if mode not in MODES:
        raise SelcalcError(f"mode must be 'forward' or 'backward', not {mode!r}")
    conv = get_convention(default_convention(P) if convention is None else convention)
    if run is None:
        run = evaluate(P, x, pattern=pattern)
    d = local_partials(P, run, conv, mode, pattern)
    return forward_jacobian(P, d) if mode == "forward" else backward_jacobian(P, d)


def default_convention(P):
    """The program's own preset (an imported program's library version), else "selection"."""
    return getattr(P, "default_convention", None) or "selection"


def jacobian(P, x, convention=None, mode="backward"):
    """The q×p Jacobian that AD returns at ``x`` (a sympy Matrix, exact entries).

    Parameters
    ----------
    P : Program
    x : number, sequence or comma-separated string
    convention : str or Convention, optional
        ``"selection"`` (lowest tied piece), ``"pytorch"``, ``"jax"``, ``"tensorflow"``
        (or a measured version, ``"pytorch@2.13"``), or a :class:`selcalc.Convention`.
        Default: the preset of the library version that produced ``P``
        (:func:`selcalc.from_torch`, :func:`selcalc.from_jax`), else ``"selection"``.
    mode : {"backward", "forward"}
        Both give identical results (Lemma 1 of the NeurIPS 2020 paper).

    >>> import selcalc
    >>> P = selcalc.trace(lambda x, y: (selcalc.relu(x), x * y))
    >>> jacobian(P, (1, 2))
    Matrix([
    [1, 0],
    [2, 1]])
    """
    rows = jacobian_rows(P, x, convention, mode)
    return sympy.Matrix([[canonical(v) for v in row] for row in rows])


def grad(P, x, convention=None, mode="backward"):
    """The gradient AD returns at ``x`` for a scalar program: a tuple of sympy numbers.

    Under a selection convention this is ``∇f_{s(x)}(x)`` (Theorem 2 of the NeurIPS 2020
    paper); under an averaging one it is an element of ``conv(ad_outputs(x))``.

    >>> import selcalc
    >>> identity = selcalc.parse("def f(t):\\n    return t - (relu(-t) + t - relu(t))")
    >>> grad(identity, 1), grad(identity, 0)  # f(t) = t, yet AD returns 0 at t = 0
    ((1,), (0,))
    """
    if P.q != 1:
        raise SelcalcError(f"grad needs a scalar program; this one has q = {P.q} outputs "
                           f"(use selcalc.jacobian)")
    row = jacobian_rows(P, x, convention, mode)[0]
    return tuple(canonical(v) for v in row)
