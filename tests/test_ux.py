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
