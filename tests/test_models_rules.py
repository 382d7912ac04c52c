"""Auditing a user's own derivative rule (``selcalc.audit(fn, points=...)``).

Hand derivations: the primal of every rule below is relu (or |x|), whose Clarke set at 0
is [0, 1] (resp. [-1, 1]); the gradient away from 0 is 0 / 1 (resp. -1 / 1).
"""

from __future__ import annotations

from fractions import Fraction

import pytest

import selcalc

pytestmark = [pytest.mark.frameworks,
              pytest.mark.filterwarnings("ignore::DeprecationWarning")]


def _torch_rule(backward_value):
    torch = pytest.importorskip("torch")

    class Rule(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return torch.relu(x)

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * backward_value(x)

    return Rule


def test_torch_rule_outside_clarke_is_flagged():
    torch = pytest.importorskip("torch")
    # relu'(0) := 2: not a gradient of a tied piece, not in conv{0, 1}
    rule = _torch_rule(lambda x: (x > 0).double() + 2 * (x == 0).double())
    r = selcalc.audit(rule, points=[(0,)])
    back = next(row for row in r.rows if row.mode == "backward")
    assert back.rule_value == (2,) and back.in_clarke is False
    assert back.verdict == "outside the conservative field"
    assert back.clarke == ((0,), (1,))
    assert r.conservative_on_curves  # away from 0 the rule is the gradient
    fwd = next(row for row in r.rows if row.mode == "forward")
    assert fwd.rule_value is None and fwd.verdict == "not available"  # no jvp defined
    assert "outside the conservative field" in r.render()
    del torch


def test_torch_rule_wrong_on_a_whole_side_is_not_conservative():
    # derivative 1 everywhere: right on x > 0, wrong on the whole half line x < 0
    rule = _torch_rule(lambda x: x * 0 + 1)
    r = selcalc.audit(rule, points=[(0,)])
    assert r.rows[0].rule_value == (1,) and r.rows[0].verdict == "selection"
    assert not r.conservative_on_curves
    bad = [c for c in r.curves if not c.agrees]
    assert bad and all(c.t < 0 for c in bad) and all(c.gradient == (0,) for c in bad)


def test_jax_custom_jvp_and_custom_vjp():
    jax = pytest.importorskip("jax")
    import jax.numpy as jnp

    @jax.custom_jvp
    def f(x):
        return jnp.abs(x)

    @f.defjvp
    def f_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        return f(x), jnp.where(x >= 0, 1.0, -1.0) * t

    r = selcalc.audit(f, points=[(0, 0)])
    for row in r.rows:  # sign(0) := 1 in both entries: a selection inside [-1, 1]^2
        assert row.rule_value == (1, 1) and row.in_clarke is True and row.verdict == "selection"
    assert r.conservative_on_curves and r.library == "jax"

    @jax.custom_vjp
    def g(x):
        return jnp.maximum(x, 0.0)

    g.defvjp(lambda x: (g(x), x), lambda x, ct: (ct * Fraction(3, 2).__float__(),))
    r = selcalc.audit(g, points=[(0,)])
    back = next(row for row in r.rows if row.mode == "backward")
    assert back.rule_value == (Fraction(3, 2),) and back.in_clarke is False
    assert next(row for row in r.rows if row.mode == "forward").verdict == "not available"
    assert not r.conservative_on_curves  # 3/2 where the gradient is 0 or 1
