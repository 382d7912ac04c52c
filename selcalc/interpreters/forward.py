"""Forward mode of Algorithm 2: tangents pushed from the inputs, in node order.

``ẋ_k = Σ_{j ∈ pr(k)} d_k[j] ẋ_j`` with ``ẋ_i = e_i`` for the inputs; returns the q×p
Jacobian as a list of rows.
"""

from __future__ import annotations


def forward_jacobian(P, d):
    tangent = forward_tangents(P, d)
    return [list(tangent[k]) for k in P.outputs]


def forward_tangents(P, d, upto=None):
    """Tangents (p-vectors) of every node up to ``upto`` (default: all)."""
    p = P.p
    tangent = [None] * (P.m + 1)
    for i in range(1, p + 1):
        row = [0] * p
        row[i - 1] = 1
        tangent[i] = row
    zero = [0] * p
    for k in range(p + 1, (upto or P.m) + 1):
        acc = None
        for j, dk in zip(P.args[k], d[k]):
            if dk == 0:
                continue
            tj = tangent[j]
            acc = [dk * v for v in tj] if acc is None else [a + dk * v for a, v in zip(acc, tj)]
        tangent[k] = acc if acc is not None else zero
    return tangent
