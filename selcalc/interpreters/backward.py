"""Backward mode of Algorithm 2 (backpropagation): adjoints pulled from each output.

``x̄_j += d_k[j] x̄_k`` for ``k = m .. p+1``; returns the q×p Jacobian as rows.  Layers of
affine nodes are pulled back as one exact integer matrix product (:mod:`.linear`), runs
of ReLU / max nodes in one loop (:mod:`.elementwise`).
"""

from __future__ import annotations

from .elementwise import backward_run, runs
from .linear import backward_block, blocks


def backward_jacobian(P, d):
    rows = []
    args = P.args
    layers = {b.stop - 1: b for b in blocks(P).values()}
    batched = {e.stop - 1: e for e in runs(P).values()}
    for out in P.outputs:
        adj = [0] * (P.m + 1)
        adj[out] = 1
        k = out + 1
        while k > P.p + 1:
            k -= 1
            b = layers.get(k)
            if b is not None and b.start > P.p and backward_block(b, adj, d):
                k = b.start  # a whole layer at once (linear.py): adj[args] += Wᵀ adj[layer]
                continue
            e = batched.get(k)
            if e is not None and e.start > P.p:
                backward_run(e, adj, d)  # a run of ReLU / max nodes (elementwise.py)
                k = e.start
                continue
            a = adj[k]
            if a == 0:
                continue
            for j, dk in zip(args[k], d[k]):
                if dk != 0:
                    v = a if dk == 1 else a * dk  # ReLU and max pooling pass adjoints on
                    u = adj[j]
                    adj[j] = v if type(u) is int and u == 0 else u + v
        rows.append(adj[1:P.p + 1])
    return rows
