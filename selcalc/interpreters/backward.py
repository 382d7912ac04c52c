"""Backward mode of Algorithm 2 (backpropagation): adjoints pulled from each output.

``x̄_j += d_k[j] x̄_k`` for ``k = m .. p+1``; returns the q×p Jacobian as rows.
"""

from __future__ import annotations


def backward_jacobian(P, d):
    rows = []
    args = P.args
    for out in P.outputs:
        adj = [0] * (P.m + 1)
        adj[out] = 1
        for k in range(out, P.p, -1):
            a = adj[k]
            if a == 0:
                continue
            for j, dk in zip(args[k], d[k]):
                if dk != 0:
                    adj[j] += a * dk
        rows.append(adj[1:P.p + 1])
    return rows
