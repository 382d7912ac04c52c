"""``ad_outputs`` adds up independent ties (tie_components): checked against one
backward pass per tie choice, computed here without the decomposition."""

from __future__ import annotations

import itertools
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import selcalc
from selcalc.conventions import CONVENTIONS
from selcalc.interpreters.backward import backward_jacobian
from selcalc.interpreters.evaluate import evaluate
from selcalc.interpreters.partials import local_partials
from selcalc.local import tie_components
from selcalc.numbers import compare

from strategies import programs


def brute_force(P, x):
    """{pattern key: output} by one plain backward pass per tie choice."""
    run = evaluate(P, x)
    ties = run.ties()
    groups = sorted(ties)
    out = {}
    for combo in itertools.product(*(ties[g] for g in groups)):
        pattern = dict(zip(groups, combo))
        rows = backward_jacobian(P, local_partials(P, run, CONVENTIONS["selection"],
                                                   pattern=pattern))
        out[tuple(sorted(pattern.items()))] = [list(r) for r in rows]
    return out


def as_rows(P, pt):
    return [list(pt)] if P.q == 1 else [list(pt.row(i)) for i in range(P.q)]


def assert_same(P, x):
    A = selcalc.ad_outputs(P, x)
    expected = brute_force(P, x)
    assert set(A.patterns) == set(expected)
    for key, rows in expected.items():
        got = as_rows(P, A.patterns[key])
        assert all(compare(a, b) == 0 for r, s in zip(got, rows) for a, b in zip(r, s)), key


@settings(max_examples=150, deadline=None)
@given(programs(max_inputs=3, max_statements=9, outputs=1))
def test_random_programs_match_brute_force(case):
    src, x = case
    assert_same(selcalc.parse(src), x)


@settings(max_examples=60, deadline=None)
@given(programs(max_inputs=3, max_statements=8, outputs=2))
def test_random_jacobians_match_brute_force(case):
    src, x = case
    assert_same(selcalc.parse(src), x)


PROGRAMS = {
    # chained ties: relu(relu(x)) is one part, relu(y) another
    "chain": ("def f(x, y):\n    return relu(relu(x)) + 2 * relu(y) - abs(x - y)", (0, 0)),
    # a shared sort index across two outputs of one node, next to an independent relu
    "sort": ("def f(x, y, z):\n    s = sort(x, y, z)\n    return s[0] + 3 * s[2] + relu(z)",
             (1, 1, 0)),
    # ties in two layers joined only through a later max
    "layers": ("def f(x, y):\n    a = relu(x)\n    b = relu(y)\n    c = max(a, b)\n"
               "    return c + relu(x + y) - relu(-x)", (0, 0)),
}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_planted_structures(name):
    src, x = PROGRAMS[name]
    assert_same(selcalc.parse(src), x)


def test_components_follow_paths():
    P = selcalc.parse("def f(x, y):\n    a = relu(x)\n    b = relu(y)\n"
                      "    return max(a, b) + relu(x + y)")
    groups = sorted(evaluate(P, (0, 0)).ties())
    parts = tie_components(P, groups)
    # relu(x), relu(y) and the max are joined by paths; relu(x + y) is on its own
    assert len(parts) == 2 and sorted(map(len, parts)) == [1, 3]


@st.composite
def tied_networks(draw):
    """A one-hidden-layer ReLU net with every hidden unit tied at 0: independent ties."""
    p = draw(st.integers(1, 3))
    k = draw(st.integers(1, 6))
    w = st.integers(-3, 3)
    rows = [[draw(w) for _ in range(p)] for _ in range(k)]
    v = [draw(w) for _ in range(k)]
    xs = [f"x{i}" for i in range(p)]
    terms = " + ".join(f"({c}) * relu({' + '.join(f'({a}) * {n}' for a, n in zip(r, xs))})"
                       for c, r in zip(v, rows))
    return f"def f({', '.join(xs)}):\n    return {terms}\n", (0,) * p


@settings(max_examples=60, deadline=None)
@given(tied_networks())
def test_tied_layers_match_brute_force(case):
    src, x = case
    assert_same(selcalc.parse(src), x)


def test_time_limit_still_stops_it():
    src = "def f(" + ", ".join(f"x{i}" for i in range(2)) + "):\n    return " + \
        " + ".join(f"relu({i + 1} * x0 - {i} * x1)" for i in range(18)) + "\n"
    P = selcalc.parse(src)
    t = time.perf_counter()
    with pytest.raises(selcalc.TimeLimitExceeded):
        selcalc.ad_outputs(P, (0, 0), max_patterns=1 << 18, time_limit=0.05)
    assert time.perf_counter() - t < 5
