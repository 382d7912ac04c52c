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
