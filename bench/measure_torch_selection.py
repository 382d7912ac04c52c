"""Measure where ``torch.median(x, dim)`` and ``torch.kthvalue(x, k, dim)`` send the
derivative when the selected value is tied.

For row lengths 2..16 and random rows of small integers (many ties), each row is its own
call.  Reverse mode: the gradient of the selected value.  Forward mode: the tangent of the
selected value under ``torch.autograd.forward_ad`` with tangent ``(1, 2, ..., r)``, which
names the entry it comes from.  Both are compared with the index torch returns and with
the first and the last tied index.

Run: ``python bench/measure_torch_selection.py [rows per length]`` (default 500).  The
figures for torch 2.13.0 and 2.14.1 (CPU) are in docs/models.md.
"""

from __future__ import annotations

import random
import sys

import torch
import torch.autograd.forward_ad as fwAD


def _ops(rng):
    def kth(t):
        k = rng.randrange(1, t.shape[0] + 1)
        return k, torch.kthvalue(t, k, 0)
    return {"median": lambda t: ((t.shape[0] + 1) // 2, torch.median(t, 0)), "kthvalue": kth}


def measure(rows=500, seed=0):
    """``{op: {r: counts}}``: rows, ties at the selected value, rows where reverse / forward
    mode follow the returned index, and tied rows where it is the first / last tied index."""
    rng = random.Random(seed)
    out = {}
    for name, op in _ops(rng).items():
        out[name] = {}
        for r in range(2, 17):
            c = dict(rows=0, tied=0, reverse_is_index=0, forward_is_index=0, first=0, last=0)
            for _ in range(rows):
                m = rng.choice([1, 2, 3, max(1, r // 2), r])
                x = torch.tensor([float(rng.randrange(m)) for _ in range(r)],
                                 dtype=torch.float64, requires_grad=True)
                state = rng.getstate()
                k, (value, index) = op(x)
                value.backward()
                rng.setstate(state)  # the same k in forward mode
                with fwAD.dual_level():
                    tangent = torch.arange(1.0, r + 1, dtype=torch.float64)
                    _, (fv, _) = op(fwAD.make_dual(x.detach(), tangent))
                    fwd = int(fwAD.unpack_dual(fv).tangent.item()) - 1
                i = int(index)
                grad = x.grad.tolist()
                tied = [j for j in range(r) if x[j].item() == value.item()]
                c["rows"] += 1
                c["reverse_is_index"] += grad == [1.0 if j == i else 0.0 for j in range(r)]
                c["forward_is_index"] += fwd == i
                if len(tied) > 1:
                    c["tied"] += 1
                    c["first"] += i == tied[0]
                    c["last"] += i == tied[-1]
            out[name][r] = c
    return out


def main(argv):
    rows = int(argv[1]) if len(argv) > 1 else 500
    print(f"torch {torch.__version__}, {rows} random rows per length")
    for name, per_r in measure(rows).items():
        total = {k: sum(c[k] for c in per_r.values()) for k in next(iter(per_r.values()))}
        print(f"\n{name}: r  rows  reverse=index  forward=index  tied  first  last")
        for r, c in per_r.items():
            print(f"  {r:2d}  {c['rows']:5d}  {c['reverse_is_index']:5d}  "
                  f"{c['forward_is_index']:5d}  {c['tied']:5d}  {c['first']:5d}  {c['last']:5d}")
        print(f"  all {total['rows']:5d}  {total['reverse_is_index']:5d}  "
              f"{total['forward_is_index']:5d}  {total['tied']:5d}  {total['first']:5d}  "
              f"{total['last']:5d}")


if __name__ == "__main__":
    main(sys.argv)
