"""A new user's rough edges: pinned exports, clear errors, conventions, pictures, display."""

import pytest

import selcalc


def test_lemma1_names_are_exported():
    import selcalc.theorems
    import selcalc.theorems.lemma1 as lemma1
    for name in ("prove_lemma1", "prove_forward_equals_backward"):
        assert name in selcalc.__all__
        assert getattr(selcalc, name) is getattr(selcalc.theorems, name) \
            is getattr(lemma1, name)
    assert selcalc.prove_lemma1(1, 3).holds is True
    P = selcalc.parse("def f(x, y):\n    return relu(x) * y + max(x, y)\n")
    assert selcalc.prove_forward_equals_backward(P).holds is True


def test_index_closure_raises_domain_error():
    # d/dx sqrt(x) is undefined at 0 under every pattern: no derivative to collect
    P = selcalc.parse("def f(x):\n    return sqrt(x) + relu(x)\n")
    for fn in (selcalc.ad_outputs, selcalc.index_closure):
        with pytest.raises(selcalc.DomainError):
            fn(P, 0)


# ---------------------------------------------------------------------- conventions
@pytest.mark.parametrize("rules, needle", [
    ({"reLU": "mean"}, "did you mean 'relu'"),
    ({"maxpool": "mean"}, "unknown primitive family 'maxpool'"),
    ({"relu": "meen"}, "did you mean 'mean'"),
    ({"relu": ("prefer", "10")}, "unknown tie rule"),
    ({"relu": 3}, "unknown tie rule"),
])
def test_convention_names_are_checked(rules, needle):
    with pytest.raises(selcalc.SelcalcError) as info:
        selcalc.Convention("typo", rules=rules)
    message = str(info.value)
    assert needle in message
    if "family" in needle or "did you mean 'relu'" in needle:
        for family in ("relu", "abs", "maximum", "max", "clip", "sort"):
            assert family in message


def test_forward_rules_and_default_are_checked():
    with pytest.raises(selcalc.SelcalcError, match="abss"):
        selcalc.Convention("x", forward_rules={"abss": "mean"})
    with pytest.raises(selcalc.SelcalcError, match="unknown tie rule"):
        selcalc.Convention("x", default="middle")


def test_every_preset_family_is_known():
    from selcalc.conventions import tie_families
    for conv in selcalc.CONVENTIONS.values():
        assert set(conv.rules) <= tie_families()


def test_custom_convention_changes_the_derivative():
    # abs'(0) under a rule putting weight 1/4 on piece 0 (-a) and 3/4 on piece 1 (a): 1/2
    from fractions import Fraction
    conv = selcalc.Convention("quarter", rules={
        "abs": lambda tied: {0: Fraction(1, 4), 1: Fraction(3, 4)}})
    P = selcalc.parse("def f(x):\n    return abs(x)\n")
    assert selcalc.grad(P, 0, convention=conv) == (Fraction(1, 2),)
    assert not conv.is_selection


# ---------------------------------------------------------------------- display
def test_rich_display():
    P = selcalc.parse("def zero(t):\n    return relu(-t) + t - relu(t)\n")
    html = P._repr_html_()
    assert "<pre>" in html and "relu" in html and "zero" in html
    v = selcalc.artificial_critical(P, 0)
    assert v.holds is False and "fails" in v._repr_html_()
    assert "unknown" in selcalc.Verdict(None, "a < b", reason="x & y")._repr_html_()
    assert "&amp;" in selcalc.Verdict(None, "a < b", reason="x & y")._repr_html_()
    assert selcalc.ad_outputs(P, 0)._repr_latex_() == "$[-1, 1]$"
    assert selcalc.clarke(P, 0)._repr_latex_() == "$\\{0\\}$"


# ---------------------------------------------------------------------- piecewise
@pytest.mark.parametrize("source, branches", [
    ("def f(x):\n    return relu(x) + relu(x - 1)\n", 3),          # one empty pattern
    ("def f(x):\n    return relu(x) - relu(-x)\n", 1),             # f = x; two thin patterns
    ("def f(x, y):\n    return relu(x) + relu(y) + relu(x + y)\n", 6),  # 8 - 2 thin cones
])
def test_piecewise_without_empty_pieces(source, branches):
    import itertools
    from fractions import Fraction
    import sympy
    P = selcalc.parse(source)
    S = selcalc.selection(P)
    pw = S.piecewise()
    assert len(pw.args) == branches
    # still the program's function, everywhere on a grid that includes the kinks
    grid = [Fraction(k, 2) for k in range(-4, 5)]
    for x in itertools.product(grid, repeat=P.p):
        value = pw.subs(dict(zip(S.symbols, x)))
        assert sympy.simplify(value - P(*x)) == 0, x
    # every kept branch has an interior point: a grid point where its tests are all strict
    fine = [Fraction(k, 3) + Fraction(1, 7) for k in range(-9, 10)]
    for _, cond in pw.args:
        assert any(all(a.lhs.subs(dict(zip(S.symbols, x))) != a.rhs
                       for a in (cond.atoms(sympy.Rel)))
                   and bool(cond.subs(dict(zip(S.symbols, x))))
                   for x in itertools.product(fine, repeat=P.p))
