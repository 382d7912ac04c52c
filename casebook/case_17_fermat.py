"""Case 17: Fermat's rule, and selection-critical points that are Clarke critical."""

import selcalc
from selcalc import ConvexSet

from .checks import claim, contains, equals
from .registry import Case

SOURCE = '''\
def absx(x):
    return abs(x)

def relu1(x):
    return relu(x)

def l1(x, y):
    return abs(x) + abs(y)

def negabs(x):
    return -abs(x)

def bowl(t):
    return t * t + 5 * (relu(-t) + t - relu(t))
'''

NARRATIVE = """\
Fermat's rule for conservative fields (Bolte & Pauwels, Mathematical Programming 2021): at a
local minimum, 0 ∈ conv D(x) for every conservative field D — in particular 0 ∈ ∂^c f(x) ⊂ conv
D(x). The engine checks it at the minimizers of |x|, relu and |x| + |y|, and on `bowl`, a
program for t² with a `5·zero` gadget at the minimizer: AD returns 5 there, not 0, yet 0 lies
in conv(AD outputs) = [-5, 5] and in the Clarke set {0}. These points are selection critical
(0 ∈ D_f, the paper's section 5.1) *and* Clarke critical, so they are not artificial,
unlike the identity's 0 (case `identity`). The converse of Fermat's rule fails: -|x| is
Clarke critical at its maximum."""


def make_claims(case):
    progs = case.programs()
    claims = []
    for name, x in (("absx", (0,)), ("relu1", (0,)), ("l1", (0, 0)), ("bowl", (0,))):
        P = progs[name]
        zero = (0,) * P.p
        claims.append(contains(f"{name}: 0 ∈ Clarke at its minimizer {x}",
                               lambda P=P, x=x: selcalc.clarke(P, x), zero))
        claims.append(contains(f"{name}: 0 ∈ conv(AD outputs) at {x} (selection critical)",
                               lambda P=P, x=x: selcalc.ad_outputs(P, x), zero))
        claims.append(claim(f"{name}: {x} is an artificial critical point",
                            lambda P=P, x=x: selcalc.artificial_critical(P, x),
                            expected=False))
    claims += [
        equals("l1: the Clarke subgradient at (0, 0) is the square [-1, 1]²",
               lambda: selcalc.clarke(progs["l1"], (0, 0)),
               ConvexSet([(-1, -1), (-1, 1), (1, -1), (1, 1)])),
        equals("relu: PyTorch's AD returns 0 at the minimizer",
               lambda: selcalc.grad(progs["relu1"], 0, convention="pytorch"), (0,)),
        equals("bowl: AD returns 5 at its minimizer, conv(AD outputs) = [-5, 5], Clarke {0}",
               lambda: (selcalc.grad(progs["bowl"], 0, convention="tensorflow"),
                        selcalc.ad_outputs(progs["bowl"], 0).interval,
                        selcalc.clarke(progs["bowl"], 0).interval),
               ((5,), (-5, 5), (0, 0))),
        contains("-|x| is Clarke critical at 0, a maximum (the converse of Fermat fails)",
                 lambda: selcalc.clarke(progs["negabs"], 0), (0,)),
    ]
    return claims


CASE = Case(
    name="fermat",
    title="Fermat's rule: critical points that are not artificial",
    narrative=NARRATIVE,
    source=SOURCE,
    points={"absx": (0,), "relu1": (0,), "l1": (0, 0), "negabs": (0,), "bowl": (0,)},
    make_claims=make_claims,
    tags={"conservative-fields", "neurips2020", "criticality"},
)
