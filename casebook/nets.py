"""ReLU networks with weights in {-1, 0, 1}, written out as plain Python source.

Used by the cheap-gradient and NP-hardness cases (Bolte, Boustany, Pauwels & Pesquet-Popescu,
ICLR 2023).  Everything is deterministic: a network is fixed by its sizes and a seed.

>>> print(relu_net_source("tiny", 2, (2,), seed=1))
def tiny(x1, x2):
    h1_1 = relu(x1 + x2)
    h1_2 = relu(-x1)
    return h1_1 - h1_2
<BLANKLINE>
"""

from __future__ import annotations

import random


def _combination(rng, names, allow_empty=False):
    """A random {-1, 0, 1} combination of ``names`` as source text (never empty)."""
    while True:
        weights = [rng.choice((-1, 0, 1)) for _ in names]
        if any(weights) or allow_empty:
            break
    return _linear(weights, names)


def _linear(weights, names):
    text = ""
    for w, name in zip(weights, names):
        if w == 0:
            continue
        if not text:
            text = name if w > 0 else f"-{name}"
        else:
            text += f" + {name}" if w > 0 else f" - {name}"
    return text or "0"


def relu_net_source(name, p, widths, seed=0):
    """Source of ``x -> w_L · relu(W_{L-1} ... relu(W_1 x))`` with entries in {-1, 0, 1}.

    Biases are 0, so at ``x = 0`` every ReLU sits on its kink: the hardest point.
    """
    rng = random.Random(seed)
    inputs = [f"x{i}" for i in range(1, p + 1)]
    lines = [f"def {name}({', '.join(inputs)}):"]
    previous = inputs
    for layer, width in enumerate(widths, start=1):
        current = []
        for j in range(1, width + 1):
            unit = f"h{layer}_{j}"
            lines.append(f"    {unit} = relu({_combination(rng, previous)})")
            current.append(unit)
        previous = current
    lines.append(f"    return {_combination(rng, previous)}")
    return "\n".join(lines) + "\n"


def hidden_linear_source(name, p, k, seed=0):
    """Source of ``Σ_j relu(a_j·x) − relu(−a_j·x)`` (= ``Σ_j a_j·x``, a linear function).

    Returns ``(source, gradient)``: the program and the gradient ``Σ_j a_j`` of the linear
    function it computes, worked out by hand from the weights.
    """
    rng = random.Random(seed)
    inputs = [f"x{i}" for i in range(1, p + 1)]
    lines = [f"def {name}({', '.join(inputs)}):"]
    total = [0] * p
    units = []
    for j in range(1, k + 1):
        while True:
            a = [rng.choice((-1, 0, 1)) for _ in inputs]
            if any(a):
                break
        total = [t + ai for t, ai in zip(total, a)]
        z = _linear(a, inputs)
        minus_z = _linear([-ai for ai in a], inputs)
        lines.append(f"    u{j} = relu({z}) - relu({minus_z})")
        units.append(f"u{j}")
    lines.append(f"    return {' + '.join(units)}")
    return "\n".join(lines) + "\n", tuple(total)
