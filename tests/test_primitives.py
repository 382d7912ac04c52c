"""One row per primitive, kink and convention; continuity of every built-in primitive."""

from fractions import Fraction as F

import pytest
import sympy

import selcalc
from selcalc.continuity import check_primitive
from selcalc.primitives import (PRIMITIVES, Primitive, clip_primitive, max_primitive,
                                min_primitive, piece, sort_primitive)

H = F(1, 2)
# (source, point, {convention: expected gradient}) — derived from the convention rules by
# hand: "first" = lowest tied piece, "mean" = average, prefer-identity for clip etc.
ROWS = [
    ("relu(x)", (0,), {"selection": (0,), "pytorch": (0,), "jax": (0,), "tensorflow": (0,)}),
    ("relu(x)", (F(1, 3),), {c: (1,) for c in selcalc.CONVENTIONS}),
    ("abs(x)", (0,), {"selection": (-1,), "pytorch": (0,), "jax": (1,), "tensorflow": (0,)}),
    ("abs(x)", (-2,), {c: (-1,) for c in selcalc.CONVENTIONS}),
    ("max(x, y)", (1, 1), {"selection": (1, 0), "pytorch": (H, H), "jax": (H, H),
                           "tensorflow": (1, 0)}),
    ("min(x, y)", (0, 0), {"selection": (1, 0), "pytorch": (H, H), "jax": (H, H),
                           "tensorflow": (1, 0)}),
    ("max(x, y, z)", (0, 0, 0), {"selection": (1, 0, 0), "pytorch": (F(1, 3),) * 3,
                                 "jax": (F(1, 3),) * 3, "tensorflow": (F(1, 3),) * 3}),
    ("max(x, y, z)", (0, 1, 1), {"selection": (0, 1, 0), "pytorch": (0, H, H),
                                 "jax": (0, H, H), "tensorflow": (0, H, H)}),
    ("min(x, y, z)", (2, 1, 1), {"selection": (0, 1, 0), "pytorch": (0, H, H),
                                 "jax": (0, H, H), "tensorflow": (0, H, H)}),
    # torch.clamp at a bound: 1 in torch 2.13, 0 from 2.14 on (plain "pytorch" = newest)
    ("clip(x, -1, 1)", (-1,), {"selection": (0,), "pytorch@2.13": (1,), "pytorch": (0,),
                               "jax": (H,), "tensorflow": (1,)}),
    ("clip(x, -1, 1)", (1,), {"selection": (1,), "pytorch@2.13": (1,), "pytorch": (0,),
                              "jax": (H,), "tensorflow": (1,)}),
    ("leaky_relu(x, 0.25)", (0,), {"selection": (F(1, 4),), "pytorch": (F(1, 4),),
                                   "jax": (1,), "tensorflow": (F(1, 4),)}),
    ("x if x > 0 else 0", (0,), {c: (0,) for c in selcalc.CONVENTIONS}),
    ("x if x >= 0 else 0", (0,), {c: (1,) for c in selcalc.CONVENTIONS}),
    ("0 if x == 0 else x", (0,), {c: (0,) for c in selcalc.CONVENTIONS}),
    ("exp(x) + log(x + 2) + sqrt(x + 1)", (0,), {c: (F(2),) for c in selcalc.CONVENTIONS}),
    ("sigmoid(x) + tanh(x) + softplus(x)", (0,), {c: (F(7, 4),) for c in selcalc.CONVENTIONS}),
    ("sin(x) + cos(x)", (0,), {c: (1,) for c in selcalc.CONVENTIONS}),
]


@pytest.mark.parametrize("body, point, expected", ROWS)
@pytest.mark.parametrize("mode", ["backward", "forward"])
def test_row(body, point, expected, mode):
    args = ", ".join("xyz"[:len(point)])
    P = selcalc.parse(f"def f({args}):\n    return {body}\n")
    for conv, grad in expected.items():
        assert selcalc.grad(P, point, convention=conv, mode=mode) == tuple(
            sympy.sympify(g) for g in grad), (body, conv)


@pytest.mark.parametrize("mode", ["backward", "forward"])
def test_sort_tie_jacobians(mode):
    P = selcalc.parse("def f(x, y, z):\n    return sort(x, y, z)\n")
    assert selcalc.jacobian(P, (1, 1, 0), mode=mode) == sympy.Matrix(
        [[0, 0, 1], [1, 0, 0], [0, 1, 0]])
    mean = selcalc.Convention("avg", rules={"sort": "mean"})
    assert selcalc.jacobian(P, (1, 1, 0), mean, mode) == sympy.Matrix(
        [[0, 0, 1], [H, H, 0], [H, H, 0]])


def test_every_builtin_primitive_is_continuous():
    prims = list(PRIMITIVES.values()) + [max_primitive(r) for r in (2, 3, 4)] + \
        [min_primitive(r) for r in (2, 3, 4)] + [sort_primitive(r) for r in (2, 3, 4)] + \
        [clip_primitive(-1, 1), clip_primitive(0, 0), max_primitive(2).fix((1,))]
    for prim in prims:
        prim._continuity_checked = False
        check_primitive(prim)  # raises NotContinuous if two pieces disagree


def test_discontinuous_primitive_is_refused_with_point():
    a = sympy.Symbol("a1")
    step = Primitive("step", 1, [piece(0, le=[a]), piece(1, ge=[a])])
    with pytest.raises(selcalc.NotContinuous) as info:
        selcalc.Program.from_paper(1, 1, {2: (1,)}, {2: step})
    assert info.value.point == {"a1": 0}


def test_user_convention_with_weights():
    third = selcalc.Convention("third", rules={"abs": lambda act: {0: F(1, 3), 1: F(2, 3)}})
    P = selcalc.parse("def f(x):\n    return abs(x)\n")
    assert selcalc.grad(P, 0, third) == (sympy.Rational(1, 3),)
    assert not third.is_selection
    bad = selcalc.Convention("bad", rules={"abs": lambda act: {0: 1, 1: 1}})
    with pytest.raises(selcalc.SelcalcError, match="not convex weights"):
        selcalc.grad(P, 0, bad)
