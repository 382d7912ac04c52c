"""Case 18: where PyTorch, JAX and TensorFlow disagree at a tie (measured tables)."""

import json
from fractions import Fraction
from pathlib import Path

import selcalc

from .checks import claim, fmt, same
from .registry import Case

SOURCE = '''\
def relu1(x):
    return relu(x)

def abs1(x):
    return abs(x)

def leaky(x):
    return leaky_relu(x, 0.25)

def maximum(x, y):
    return max(x, y)

def minimum(x, y):
    return min(x, y)

def maximum_x0(x):
    return max(x, 0)

def clamp(x):
    return clip(x, -1, 1)

def max3(a, b, c):
    return max(a, b, c)

def min3(a, b, c):
    return min(a, b, c)
'''

# the presets of the measured versions below (plain "pytorch" is the newest measured torch)
LIBRARIES = {"torch": "pytorch@2.13", "jax": "jax@0.10", "tensorflow": "tensorflow@2.21"}
H, T = Fraction(1, 2), Fraction(1, 3)

# (measurement key, program, point) -> measured derivative per library, copied from the
# measured tables in docs/conventions.md (PyTorch 2.13.0, JAX 0.10.2, TensorFlow 2.21.0);
# forward and reverse mode gave the same numbers everywhere
MEASURED = {
    ("relu(0)", "relu1", (0,)): {"torch": (0,), "jax": (0,), "tensorflow": (0,)},
    ("abs(0)", "abs1", (0,)): {"torch": (0,), "jax": (1,), "tensorflow": (0,)},
    ("leaky_relu(0)", "leaky", (0,)): {"torch": (Fraction(1, 4),), "jax": (1,),
                                       "tensorflow": (Fraction(1, 4),)},
    ("maximum(0,0)", "maximum", (0, 0)): {"torch": (H, H), "jax": (H, H),
                                          "tensorflow": (1, 0)},
    ("maximum(1,1)", "maximum", (1, 1)): {"torch": (H, H), "jax": (H, H),
                                          "tensorflow": (1, 0)},
    ("minimum(0,0)", "minimum", (0, 0)): {"torch": (H, H), "jax": (H, H),
                                          "tensorflow": (1, 0)},
    ("maximum_x0(0)", "maximum_x0", (0,)): {"torch": (H,), "jax": (H,), "tensorflow": (1,)},
    ("clip(-1)", "clamp", (-1,)): {"torch": (1,), "jax": (H,), "tensorflow": (1,)},
    ("clip(1)", "clamp", (1,)): {"torch": (1,), "jax": (H,), "tensorflow": (1,)},
    ("max3(0,0,0)", "max3", (0, 0, 0)): {lib: (T, T, T) for lib in LIBRARIES},
    ("max3(1,1,0)", "max3", (1, 1, 0)): {lib: (H, H, 0) for lib in LIBRARIES},
    ("max3(0,1,1)", "max3", (0, 1, 1)): {lib: (0, H, H) for lib in LIBRARIES},
    ("min3(0,0,1)", "min3", (0, 0, 1)): {lib: (H, H, 0) for lib in LIBRARIES},
}

MEASUREMENTS_FILE = Path(__file__).resolve().parent.parent / "tests" / "data" / \
    "framework_measurements.json"

NARRATIVE = """\
The paper's point that AD acts on programs has a second face: the same program gets
different derivatives in different libraries, because each library's derivative code
for a nonsmooth primitive chooses its own tie rule. selcalc's presets `pytorch`, `jax`
and `tensorflow` were measured against the real libraries (docs/conventions.md, raw data
in tests/data/framework_measurements.json). This case recomputes the measured points
exactly with `selcalc.grad`, in both modes, and compares them with the measurements:
abs'(0) is 0 in PyTorch and TensorFlow but 1 in JAX; `maximum` splits a tie 1/2–1/2 in
PyTorch and JAX but gives everything to the first argument in TensorFlow; `clip` has
derivative 1 at its bounds in PyTorch and TensorFlow but 1/2 in JAX; reductions over three
or more arguments split ties evenly everywhere. Every one of these numbers lies in the
conservative field conv(AD outputs), but the averaging rules make none of the three
presets a selection convention in the sense of Theorem 2."""


def _engine_row(case, program, point, convention):
    P = case.program(program)
    return {mode: selcalc.grad(P, point, convention=convention, mode=mode)
            for mode in ("backward", "forward")}


def table(case):
    rows = []
    for (key, program, point), _ in MEASURED.items():
        P = case.program(program)
        row = [program, fmt(point)]
        for lib, convention in LIBRARIES.items():
            out = _engine_row(case, program, point, convention)
            text = fmt(out["backward"])
            if out["forward"] != out["backward"]:
                text += f" (forward {fmt(out['forward'])})"
            row.append(text)
        row.append(str(selcalc.ad_outputs(P, point)))
        rows.append(row)
    return {"columns": ["program", "point", "PyTorch", "JAX", "TensorFlow", "conv(AD outputs)"],
            "rows": rows}


def _float_equal(exact_value, measured):
    return Fraction(measured) == exact_value or float(exact_value) == measured


def make_claims(case):
    claims = []
    for lib, convention in LIBRARIES.items():
        def check(lib=lib, convention=convention):
            values, ok = {}, True
            for (key, program, point), measured in MEASURED.items():
                out = _engine_row(case, program, point, convention)
                values[key] = out["backward"]
                ok &= same(out["backward"], measured[lib]) and same(out["forward"],
                                                                    measured[lib])
            return ok, values
        claims.append(claim(f"the {convention} preset reproduces the {len(MEASURED)} measured "
                            f"ties, forward and backward", check))
    if MEASUREMENTS_FILE.exists():
        def file_agrees():
            data = json.loads(MEASUREMENTS_FILE.read_text())
            ok = True
            for (key, _, _), measured in MEASURED.items():
                for lib in LIBRARIES:
                    raw = data[lib][key]
                    for mode in ("reverse", "forward"):
                        ok &= all(_float_equal(e, m) for e, m in zip(measured[lib], raw[mode]))
            return ok, {"file": "tests/data/framework_measurements.json"}
        claims.append(claim("the table above matches the raw measurements file", file_agrees))
    for key, count in (("abs(0)", 2), ("maximum(0,0)", 2), ("clip(-1)", 2),
                       ("maximum_x0(0)", 2), ("relu(0)", 1), ("max3(1,1,0)", 1)):
        (program, point), = [(p, x) for (k, p, x) in MEASURED if k == key]

        def distinct(program=program, point=point):
            outs = {lib: selcalc.grad(case.program(program), point, convention=c)
                    for lib, c in LIBRARIES.items()}
            return len(set(outs.values())), outs
        verb = "disagree" if count > 1 else "agree"
        claims.append(claim(f"{key}: the three libraries {verb} ({count} distinct value"
                            f"{'s' if count > 1 else ''})",
                            lambda d=distinct, n=count: (d()[0] == n, d()[1])))

    def inside():
        for (key, program, point) in MEASURED:
            A = selcalc.ad_outputs(case.program(program), point)
            for convention in LIBRARIES.values():
                g = selcalc.grad(case.program(program), point, convention=convention)
                if A.contains(g).holds is not True:
                    return False, {"row": key, "convention": convention, "output": g}
        return True, {}
    claims.append(claim("every preset's output lies in conv(AD outputs)", inside))
    claims.append(claim("none of the three presets is a selection convention",
                        lambda: (not any(selcalc.is_selection_convention(c)
                                         for c in LIBRARIES.values()),
                                 {c: selcalc.CONVENTIONS[c].averaging_families()
                                  for c in LIBRARIES.values()})))
    return claims


CASE = Case(
    name="framework_disagreements",
    title="Framework disagreements at ties: abs, maximum, clip, max reductions",
    narrative=NARRATIVE,
    source=SOURCE,
    points={program: point for (_, program, point) in reversed(list(MEASURED))},
    make_claims=make_claims,
    tags={"conventions", "frameworks"},
    table=table,
)
