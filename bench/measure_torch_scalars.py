"""Measure which number torch computes with when a Python float meets a low-precision tensor.

A Python float scalar in an op on a float32 (float16, bfloat16) tensor is a double in the
graph that ``make_fx`` records, but the kernel may compute with the scalar rounded to the
tensor's dtype.  At a point where that matters (``x`` the float32 just above 0.1, where the
double 0.1 lies strictly between two float32 numbers) the op's value and gradient tell the
two apart: this script compares torch's output and gradient with the scalar given as the
double ``s`` against the same op with the scalar given as ``dtype(s)`` (exactly
representable, so no rounding question), at and around the tie.

    python bench/measure_torch_scalars.py        # prints one row per op, and the verdict
"""
import torch
import torch.nn.functional as F

S = 0.1
OPS = {
    "sub": lambda x, s: torch.relu(x - s),
    "add": lambda x, s: torch.relu(x + (-s)),
    "rsub": lambda x, s: torch.relu(s - x),
    "mul": lambda x, s: torch.relu(x * s - x * s),
    "div": lambda x, s: torch.relu(x / s - 1),
    "clamp_max": lambda x, s: torch.clamp(x, max=s),
    "clamp_min": lambda x, s: torch.clamp(x, min=s),
    "hardtanh": lambda x, s: F.hardtanh(x, -1.0, s),
    "threshold": lambda x, s: F.threshold(x, s, 0.0),
    "le": lambda x, s: torch.where(x <= s, x, 2 * x),
    "lt": lambda x, s: torch.where(x < s, x, 2 * x),
    "ge": lambda x, s: torch.where(x >= s, x, 2 * x),
    "eq": lambda x, s: torch.where(x == s, x, 2 * x),
    "maximum_full": lambda x, s: torch.maximum(x, torch.full_like(x, s)),
    "where_scalar": lambda x, s: torch.relu(torch.where(x > 0, x, s) - s),
    "leaky_relu": lambda x, s: F.leaky_relu(x - 0.1, s) / s,
    "elu": lambda x, s: F.elu(x - 1, s) / s,
}


def probe(op, dtype, s):
    rows = []
    base = torch.tensor(S, dtype=dtype)
    for x0 in (torch.nextafter(base, torch.tensor(0.0, dtype=dtype)), base,
               torch.nextafter(base, torch.tensor(1.0, dtype=dtype))):
        x = x0.clone().requires_grad_(True)
        y = op(x, s)
        (g,) = torch.autograd.grad(y.sum(), x, allow_unused=True)
        rows.append((y.item(), None if g is None else g.item()))
    return rows


def main():
    print(f"torch {torch.__version__}; scalar {S!r} as a double against it rounded to the dtype")
    for dtype in (torch.float32, torch.float16, torch.bfloat16, torch.float64):
        rounded = torch.tensor(S, dtype=dtype).item()
        same = []
        for name, op in OPS.items():
            a, b = probe(op, dtype, S), probe(op, dtype, rounded)
            same.append(a == b)
            if a != b:
                print(f"  {str(dtype):15} {name:13} double: {a}  rounded: {b}")
        print(f"{str(dtype):15} {sum(same)}/{len(same)} ops compute with the scalar rounded "
              f"to the tensor's dtype")


if __name__ == "__main__":
    main()
