"""Case 16: ReLU networks with weights in {-1, 0, 1} — AD outputs versus Clarke at 0."""

import time

import selcalc
from selcalc import Convention, ConvexSet

from .checks import claim, equals
from .nets import hidden_linear_source, relu_net_source
from .registry import Case

P_IN = 3
RANDOM = {f"net_{'x'.join(map(str, w))}": w for w in [(2,), (3,), (4,), (3, 3), (4, 4), (5, 5)]}
HIDDEN = {f"linear_{k}": k for k in (1, 2, 3, 4)}

_hidden = {name: hidden_linear_source(name, P_IN, k, seed=k) for name, k in HIDDEN.items()}
SOURCE = "\n".join([relu_net_source(name, P_IN, w, seed=sum(w)) for name, w in RANDOM.items()]
                   + [src for src, _ in _hidden.values()])
LINEAR_GRADIENT = {name: grad for name, (_, grad) in _hidden.items()}

RELU_ONE = Convention("relu-one", rules={"relu": "last"},
                      description="relu'(0) = 1 (the other tied piece)")
ZERO = (0,) * P_IN

NARRATIVE = """\
The complexity paper (Bolte, Boustany, Pauwels & Pesquet-Popescu, ICLR 2023) contrasts two
tasks on ReLU networks whose matrix and vector entries lie in {-1, 0, 1}: computing two
distinct elements of the Clarke subgradient is NP-hard, while two elements of a conservative
gradient cost two backpropagations. The engine shows both sides at x = 0, where with zero
biases every ReLU is tied. Two backprop passes (relu'(0) = 0, then relu'(0) = 1) each return an
element of conv(AD outputs), in time linear in the network. The Clarke set, on the other
hand, needs the essential patterns: a search over tie choices pruned by exact LPs, and
the table shows its size and cost growing with the network. The `linear_k` networks
compute a linear function, Σ_j (relu(a_j·x) - relu(-a_j·x)) = (Σ_j a_j)·x, so the Clarke
subgradient is the single point Σ_j a_j (worked out from the weights), while AD can return
many other vectors; both backprop passes miss the Clarke point. Deciding whether the
Clarke set is a single point, i.e. whether a network is differentiable at a point, is the
hard question."""


_CACHE = {}


def _stats(P):
    """AD outputs and Clarke set at 0 with their times (computed once per program)."""
    if id(P) in _CACHE:
        return _CACHE[id(P)]
    t0 = time.perf_counter()
    A = selcalc.ad_outputs(P, ZERO)
    t1 = time.perf_counter()
    C = selcalc.clarke(P, ZERO)
    t2 = time.perf_counter()
    _CACHE[id(P)] = A, C, (t1 - t0) * 1e3, (t2 - t1) * 1e3
    return _CACHE[id(P)]


def table(case):
    rows = []
    for name in list(RANDOM) + list(HIDDEN):
        P = case.program(name)
        A, C, ta, tc = _stats(P)
        rows.append([name, len(A.ties), len(A.patterns), len(A.points), len(A.vertices),
                     len(C.vertices), C.stats.lp, C.stats.pruned, f"{ta:.1f}", f"{tc:.1f}"])
    return {"columns": ["network", "tied ReLUs", "tie choices", "distinct AD outputs",
                        "hull vertices", "Clarke vertices", "LPs", "pruned", "ad_outputs (ms)",
                        "clarke (ms)"],
            "rows": rows}


def _two_passes(P):
    return (selcalc.grad(P, ZERO, convention="pytorch"),
            selcalc.grad(P, ZERO, convention=RELU_ONE))


def make_claims(case):
    claims = []
    for name in list(RANDOM) + list(HIDDEN):
        P = case.program(name)
        claims.append(claim(f"{name}: Clarke(0) ⊆ conv(AD outputs at 0)",
                            lambda P=P: (_stats(P)[1].issubset(_stats(P)[0]),
                                         {"clarke": _stats(P)[1]})))

        def two_elements(P=P):
            u, v = _two_passes(P)
            A = _stats(P)[0]
            return (u != v and A.contains(u).holds is True and A.contains(v).holds is True,
                    {"relu'(0) = 0": u, "relu'(0) = 1": v})
        claims.append(claim(f"{name}: two backprop passes give two distinct elements of "
                            f"conv(AD outputs)", two_elements))
    for name, gradient in LINEAR_GRADIENT.items():
        P = case.program(name)
        claims.append(equals(f"{name}: the Clarke subgradient at 0 is the single point "
                             f"Σ a_j = {gradient}",
                             lambda P=P: selcalc.clarke(P, ZERO), ConvexSet([gradient])))
        claims.append(claim(f"{name}: neither backprop pass returns the Clarke point",
                            lambda P=P, g=gradient: (all(
                                _stats(P)[1].contains(u).holds is False
                                for u in _two_passes(P)), {"passes": _two_passes(P)})))
    return claims


CASE = Case(
    name="np_hardness",
    title="ReLU networks with weights in {-1, 0, 1}: AD outputs versus Clarke at 0",
    narrative=NARRATIVE,
    source=SOURCE,
    points={name: ZERO for name in list(RANDOM) + list(HIDDEN)},
    make_claims=make_claims,
    tags={"iclr2023", "complexity"},
    table=table,
)
