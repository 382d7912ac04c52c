"""Hypothesis strategies shared by the tests: random small programs as Python source.

Programs mix piecewise-linear primitives, products and (optionally) exp-log ones; points
are small rationals with repeated coordinates, and ties are planted on purpose: some
statements subtract the exact value of an earlier variable at the point, so a relu / max /
abs argument is exactly 0 (or two max arguments are equal) there.
"""

from __future__ import annotations

from fractions import Fraction

from hypothesis import strategies as st

SMALL = st.sampled_from([Fraction(0), Fraction(1), Fraction(-1), Fraction(1, 2),
                         Fraction(-3, 2), Fraction(2)])

PL_UNARY = ["relu({a})", "abs({a})", "-{a}", "{c} * {a}", "clip({a}, -1, 1)",
            "leaky_relu({a}, 0.25)", "{a} + {c}"]
PL_BINARY = ["{a} + {b}", "{a} - {b}", "max({a}, {b})", "min({a}, {b})"]
PL_TERNARY = ["max({a}, {b}, {d})", "min({a}, {b}, {d})"]
SMOOTH = ["{a} * {b}", "exp({a})", "softplus({a})", "sigmoid({a})", "tanh({a})"]
POLYNOMIAL = ["{a} * {b}", "{a} * {a}", "{a} ** 3", "{a} * {b} - {c} * {d}"]


@st.composite
def programs(draw, max_inputs=3, max_statements=7, smooth=False, plant=True,
             polynomial=False, inputs=None, point=None, outputs=1):
    """Draw ``(source, point)``: a program over ``x1..xp`` and an exact point.

    ``smooth`` adds exp-log statements, ``polynomial`` products and powers (tests of
    degree > 1 along curves); ``inputs`` fixes ``p``, ``point`` fixes the point (ties are
    then planted there), ``outputs`` > 1 returns a tuple of that many variables.
    """
    import selcalc

    p = inputs or draw(st.integers(1, max_inputs))
    names = [f"x{i}" for i in range(1, p + 1)]
    point = tuple(point) if point is not None else tuple(draw(SMALL) for _ in range(p))
    lines = []
    n = draw(st.integers(1, max_statements))
    shapes = PL_UNARY + PL_BINARY + PL_TERNARY + (SMOOTH if smooth else []) + \
        (POLYNOMIAL if polynomial else [])
    for i in range(n):
        shape = draw(st.sampled_from(shapes))
        a, b, d = (draw(st.sampled_from(names)) for _ in range(3))
        c = draw(st.sampled_from(["2", "-1", "0.5", "3"]))
        expr = shape.format(a=a, b=b, d=d, c=c)
        if plant and draw(st.booleans()):
            # plant a tie: shift the statement by its exact value at the point
            probe = "def f({}):\n{}\n    return {}".format(
                ", ".join(f"x{j}" for j in range(1, p + 1)),
                "".join(f"    {line}\n" for line in lines), expr)
            value = selcalc.parse(probe)(*point)
            if value.is_Rational:
                expr = f"relu({expr} - ({value}))" if draw(st.booleans()) else \
                    f"max({expr}, {value})"
        lines.append(f"v{i} = {expr}")
        names.append(f"v{i}")
    ret = ", ".join(draw(st.sampled_from(names[p:])) for _ in range(outputs))
    body = "".join(f"    {line}\n" for line in lines)
    src = f"def f({', '.join(f'x{j}' for j in range(1, p + 1))}):\n{body}    return {ret}\n"
    return src, point
