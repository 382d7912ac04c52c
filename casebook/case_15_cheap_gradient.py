"""Case 15: the cheap gradient principle on ReLU networks (ω_b ≈ 5)."""

import time

import selcalc

from .checks import claim, contains
from .nets import relu_net_source
from .registry import Case

NETS = {"net_a": (3, (3, 3), 4), "net_b": (4, (6, 6), 1), "net_c": (8, (10, 10, 10), 2),
        "net_d": (3, (4,) * 6, 3)}
SOURCE = "\n".join(relu_net_source(name, p, widths, seed)
                   for name, (p, widths, seed) in NETS.items())
OMEGA_B = 5

NARRATIVE = """\
The complexity paper (Bolte, Boustany, Pauwels & Pesquet-Popescu, ICLR 2023) recalls the
Baur–Strassen theorem — for rational functions, computing the gradient by backpropagation costs
at most 5 times the cost of the function — and its nonsmooth extension: backpropagation on a
program for a locally Lipschitz function returns an element of a conservative gradient at a
cost at most ω_b times that of the program, with ω_b ≈ 5 for ReLU networks. The engine counts
operations on three ReLU networks with weights in {-1, 0, 1}. If the theorem helper's
`selcalc.cost` / `selcalc.cost_backward` exist they are used; otherwise this case counts
with its own model: a node with r arguments costs max(1, r - 1) operations to evaluate,
and backpropagation adds, per argument, one multiplication by the local partial and one
addition into the adjoint, plus one comparison to pick the piece at a branching node. In
that model a binary node costs 1 + 4 = 5, so the ratio of a whole network stays below 5.
The backpropagated vector at the all-ties point 0 is checked to lie in the conservative
field conv(AD outputs). Wall-clock times of the exact interpreters are shown for
information only; they are not what the theorem is about."""


def local_costs(P):
    """(cost(P), cost(backprop(P))) in this case's operation-count model."""
    forward = extra = 0
    for k in range(P.p + 1, P.m + 1):
        prim = P.ops[k]
        if P.groups[k] != k:  # other outputs of a vector node: counted with the first
            continue
        r = prim.arity
        forward += max(1, r - 1)
        extra += 2 * r + (1 if prim.branching else 0)
    return forward, forward + extra


def costs(P):
    """Costs from ``selcalc.cost`` when the engine has it, else from :func:`local_costs`."""
    if hasattr(selcalc, "cost") and hasattr(selcalc, "cost_backward"):
        try:
            fwd, bwd = selcalc.cost(P), selcalc.cost_backward(P)
            if isinstance(fwd, (int, float)) and isinstance(bwd, (int, float)) and fwd > 0:
                return fwd, bwd, "selcalc.cost"
        except Exception:  # noqa: BLE001 - an interface we do not know: fall back
            pass
    fwd, bwd = local_costs(P)
    return fwd, bwd, "casebook op count"


def _point(P):
    return tuple((-1) ** i * (i + 1) for i in range(P.p))


def table(case):
    rows = []
    for name in NETS:
        P = case.program(name)
        fwd, bwd, model = costs(P)
        x = _point(P)
        t0 = time.perf_counter()
        P(*x)
        t1 = time.perf_counter()
        selcalc.grad(P, x)
        t2 = time.perf_counter()
        rows.append([name, P.p, P.m, fwd, bwd, f"{bwd / fwd:.3f}", model,
                     f"{(t1 - t0) * 1e3:.2f}", f"{(t2 - t1) * 1e3:.2f}"])
    return {"columns": ["network", "inputs", "nodes m", "cost(P)", "cost(backprop(P))",
                        "ratio", "cost model", "evaluate (ms)", "evaluate + backprop (ms)"],
            "rows": rows}


def make_claims(case):
    claims = []
    for name in NETS:
        P = case.program(name)

        def ratio(P=P):
            fwd, bwd, model = costs(P)
            return bwd <= OMEGA_B * fwd, {"cost(P)": fwd, "cost(backprop(P))": bwd,
                                          "ratio": f"{bwd / fwd:.3f}", "model": model}
        claims.append(claim(f"{name}: cost(backprop(P)) <= 5 cost(P)", ratio))
    small = case.program("net_a")
    zero = (0,) * small.p
    claims.append(contains("net_a: backprop at 0 (all ReLUs tied) is in conv(AD outputs)",
                           lambda: selcalc.ad_outputs(small, zero),
                           lambda: selcalc.grad(small, zero, convention="pytorch")))
    return claims


CASE = Case(
    name="cheap_gradient",
    title="The cheap gradient principle on ReLU networks",
    narrative=NARRATIVE,
    source=SOURCE,
    points={name: tuple((-1) ** i * (i + 1) for i in range(p))
            for name, (p, _, _) in NETS.items()},
    make_claims=make_claims,
    tags={"iclr2023", "complexity"},
    table=table,
)
