"""Parsing, tracing and the paper's data: structure, exact literals, errors with locations."""

from fractions import Fraction

import networkx as nx
import pytest
import sympy

import selcalc


def test_paper_data_and_graph():
    P = selcalc.Program.from_paper(2, 1, {3: (1, 2), 4: (3,), 5: (4, 1)},
                                   {3: "max", 4: "relu", 5: "mul"})
    assert (P.p, P.q, P.m) == (2, 1, 5)
    assert P.pr(5) == (4, 1)
    g = P.graph
    assert isinstance(g, nx.DiGraph) and nx.is_directed_acyclic_graph(g)
    assert g.edges[1, 5]["position"] == 1 and g.edges[4, 5]["position"] == 0
    assert P(3, -1) == 9
    assert list(nx.topological_sort(g))[:2] in ([1, 2], [2, 1])


def test_paper_data_errors():
    with pytest.raises(selcalc.ProgramError, match="earlier node"):
        selcalc.Program.from_paper(1, 1, {2: (3,), 3: (1,)}, {2: "relu", 3: "relu"})
    with pytest.raises(selcalc.ProgramError, match="takes 1 argument"):
        selcalc.Program.from_paper(1, 1, {2: (1, 1)}, {2: "relu"})
    with pytest.raises(selcalc.ProgramError, match="unknown primitive"):
        selcalc.Program.from_paper(1, 1, {2: (1,)}, {2: "frobnicate"})


def test_literals_are_exact_from_source():
    P = selcalc.parse("def f(x):\n    return 0.1 * x + 1e-3 + 2.5e1 * 0\n")
    assert P(1) == sympy.Rational(101, 1000)


def test_float_inputs_are_converted_exactly():
    P = selcalc.parse("def f(x):\n    return x\n")
    assert P(0.1) == sympy.Rational(Fraction(0.1).numerator, Fraction(0.1).denominator)
    assert P("0.1") == sympy.Rational(1, 10) and P("1/3") == sympy.Rational(1, 3)
    assert P(sympy.sqrt(2)) == sympy.sqrt(2)


def test_control_flow_loops_lists_tuples():
    src = '''
def f(x, y):
    w = [1, -2, 3]
    acc = 0
    for i in range(3):
        acc += w[i] * relu(x - i)
    if acc >= 1:
        z = 1 + 0 * y
    elif acc <= -1:
        z = -1
    else:
        z = acc
    a, b = sort(x, y)
    return z, a * b
'''
    P = selcalc.parse(src)
    assert P.q == 2
    acc = lambda x: sum(wi * max(x - i, 0) for i, wi in enumerate([1, -2, 3]))
    for x, y in [(0, 0), (3, 1), (Fraction(1, 2), 5), (2, -1)]:
        a = acc(x)
        z = 1 if a >= 1 else (-1 if a <= -1 else a)
        assert P(x, y) == (z, x * y)


def test_return_inside_if_branches():
    P = selcalc.parse("def f(x):\n    if x > 0:\n        return x\n    return 0\n")
    assert P(2) == 2 and P(-1) == 0 and selcalc.grad(P, 0) == (0,)


def test_trace_builds_large_network_and_matches_parse():
    import random
    rng = random.Random(0)
    W = [[Fraction(rng.randint(-3, 3), rng.randint(1, 4)) for _ in range(2)] for _ in range(16)]

    def net(x, y):
        return sum(selcalc.relu(w[0] * x + w[1] * y) for w in W)
    P = selcalc.trace(net)
    assert P.m > 40 and P.p == 2
    x = (Fraction(1, 3), Fraction(-2, 5))
    assert P(*x) == sum(max(w[0] * x[0] + w[1] * x[1], 0) for w in W)


@pytest.mark.parametrize("src, construct, line, col", [
    ("def f(x):\n    while x > 0:\n        x = x - 1\n    return x", "while", 2, 5),
    ("def f(x):\n    return f(x)", "recursion", 2, 12),
    ("def f(x):\n    return foo(x)", "call", 2, 12),
    ("def f(x):\n    return x.real", "attribute", 2, 12),
    ("def f(x, n):\n    for i in range(n):\n        x = x + 1\n    return x", "loop bound", 2, 20),
    ("def f(x):\n    return x ** x", "BinOp", 2, 12),
    ("def f(x):\n    y = [x, x]\n    return y[x]", "index", 3, 12),
    ("def f(x):\n    return 1 if x != 0 else 1", "condition", 2, 17),
])
def test_parse_errors_name_the_construct_with_location(src, construct, line, col):
    with pytest.raises(selcalc.ParseError) as info:
        selcalc.parse(src)
    err = info.value
    assert (err.construct, err.line, err.col) == (construct, line, col)
    assert f"line {line}, column {col}" in str(err)


def test_not_continuous_points_at_the_jump():
    with pytest.raises(selcalc.NotContinuous) as info:
        selcalc.parse("def f(x, y):\n    return x if x > y else y + 1\n")
    x, y = info.value.point
    assert x == y


def test_domain_errors_name_the_node():
    P = selcalc.parse("def f(x):\n    a = x - 1\n    return log(a) + 1 / x\n")
    with pytest.raises(selcalc.DomainError) as info:
        P(1)
    assert info.value.node == 3 and "log" in str(info.value)
    with pytest.raises(selcalc.DomainError, match="div"):
        selcalc.parse("def f(x):\n    return 1 / x\n")(0)


def test_python_if_on_tracer_says_what_to_do():
    def f(x):
        return x if x > 0 else 0
    with pytest.raises(selcalc.TracerBoolError, match="selcalc.where"):
        selcalc.trace(f)
    P = selcalc.trace(lambda x: selcalc.where(x > 0, x, 0))
    assert selcalc.grad(P, 0) == (0,) and selcalc.grad(P, 1) == (1,)


def test_str_is_an_algorithm_1_listing():
    P = selcalc.parse("def f(t):\n    return relu(-t) + t\n")
    text = str(P)
    assert text.splitlines()[0] == "program (p=1, q=1, m=4)"
    assert "x3 = relu(x2)" in text and text.strip().endswith("return x4")
