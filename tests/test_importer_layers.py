"""Property test of the importers on generated small networks of LAYER ops (issue 21).

Measured with torch 2.13.0 and jax 0.10.2.  Each example is a random chain of the layer
ops ``from_torch`` / ``from_jax`` lower (linear / matmul / bmm / dot_general, convolutions
with stride, padding, dilation and groups, max pools with padding, stride and ceil mode,
adaptive pools, order statistics, max / min / where / prelu / pad, cat / stack / split /
slicing / indexing, means, losses ...), with seeded random weights, ending in a scalar.

Why exact equality is the right check: weights are multiples of 1/8 and inputs multiples
of 1/64 (float64) or 1/16 (float32), at most three contractions of at most a dozen terms
each, so every value stays a dyadic rational of well under 24 significant bits; on such
numbers additions, products, max / min, comparisons and pooling are exact in floats.
A mean over k entries is preceded by a multiplication by k (``(t * k).mean()``): its exact
value is then a dyadic number, which the library's correctly rounded division returns
exactly (measured: torch's ``mean``, ``mean(dim)`` and ``AdaptiveAvgPool1d(1)`` return it
for k = 3, 5, 6, 7 in float64 and float32).  So the library's value IS the exact value of
the program, and selcalc's exact value must EQUAL it: a constant off by one ulp (the
double ``1/3`` for 1/3) or a wrong weight conversion shows, which no rounding bound can do.

The only rounding ops (softmax, log_softmax, logsumexp, cross_entropy, nll_loss) come last,
on exact inputs; they are checked to ``|lib - exact| <= 64 * (k + M + 1) * eps``: an
``exp`` / ``log`` is within 2 ulps, a sum of k terms in [0, 1] within k ulps, the shift by
the maximum M within ulp(M) (amplified by at most 1, the slope of exp below 0 and of log
above 1), and a batch mean within 1 ulp; 64 is slack on that analysis.
"""

from __future__ import annotations

import math
import random
from fractions import Fraction

import numpy as np
import pytest
import sympy

import selcalc

pytestmark = pytest.mark.frameworks
MEAN_SIZES = (3, 5, 6, 7)


def _exact(P, x):
    out = P(x)
    return out[0] if isinstance(out, tuple) else out


def _assert_equal(lib_value, exact, what):
    """The library's float IS the exact value (a rational here)."""
    lib = sympy.Rational(*Fraction(lib_value).as_integer_ratio())
    assert lib == sympy.sympify(exact), (what, lib_value, exact)


def _assert_close(lib_value, exact, bound, what):
    diff = abs(lib_value - float(sympy.N(sympy.sympify(exact), 40)))
    assert diff <= bound, (what, lib_value, exact, bound)


def _assert_gradient(lib, ours, what):
    """torch's float64 gradient against selcalc's (torch's preset) entry by entry, to
    2**-40 relative: the backward pass divides by counts (a mean's k, ties shared evenly by
    ``max()``), so it is not always exact, but a wrong piece at a tie is off by a multiple
    of 1/64 at least (weights in multiples of 1/8, at most three contractions)."""
    bad = [(i, a, b) for i, (a, b) in enumerate(zip(lib, ours))
           if abs(a - float(b)) > 2.0 ** -40 * max(1.0, abs(a))]
    assert len(lib) == len(ours) and not bad, (what, bad[:4])


# =========================================================================== torch
def _torch_blocks(torch):
    """(name, make) pairs; ``make(rng, shape)`` -> (function of t, new shape, exact in
    floats) for a tensor t of shape (B, C, L)."""
    nn, F = torch.nn, torch.nn.functional
    f64 = torch.float64

    def dy(shape, scale=8, lo=-8, hi=8, rng=None):
        return torch.tensor([rng.randint(lo, hi) / scale for _ in range(math.prod(shape))],
                            dtype=f64).reshape(shape)

    def module(m, rng):
        with torch.no_grad():
            for p in m.parameters():
                p.copy_(dy(tuple(p.shape), rng=rng))
        return m.double()

    def linear(rng, s):
        m = module(nn.Linear(s[2], rng.randint(2, 5)), rng)
        return m, s[:2] + (m.out_features,), True

    def matmul(rng, s):
        W = dy((s[2], rng.randint(2, 4)), rng=rng)
        return (lambda t: t @ W), s[:2] + (W.shape[1],), True

    def bmm(rng, s):
        W = dy((s[0], s[2], rng.randint(2, 4)), rng=rng)
        return (lambda t: torch.bmm(t, W)), s[:2] + (W.shape[2],), True

    def conv1d(rng, s):
        g = rng.choice([d for d in (1, 2) if s[1] % d == 0])
        k, d = rng.randint(1, 3), rng.choice((1, 2, 2))
        p = rng.randint(0, 2)
        span = s[2] + 2 * p - d * (k - 1) - 1
        if span < 0:
            k, d, p, span = 1, 1, 0, s[2] - 1
        st = rng.randint(1, 2)
        m = module(nn.Conv1d(s[1], g * rng.randint(1, 2), k, stride=st, padding=p,
                             dilation=d, groups=g, bias=rng.random() < 0.7), rng)
        return m, (s[0], m.out_channels, span // st + 1), True

    def pool_size(n, k, st, p, ceil):
        span = n + 2 * p - (k - 1) - 1
        out = (-(-span // st) if ceil else span // st) + 1
        return out - 1 if ceil and (out - 1) * st >= n + p else out

    def max_pool1d(rng, s):
        k = rng.randint(1, min(3, s[2]))
        st, p, ceil = rng.randint(1, 2), rng.randint(0, k // 2), rng.random() < 0.5
        return (lambda t: F.max_pool1d(t, k, st, p, ceil_mode=ceil)), \
            s[:2] + (pool_size(s[2], k, st, p, ceil),), True

    def adaptive_max(rng, s):
        o = rng.randint(1, s[2])
        return (lambda t: F.adaptive_max_pool1d(t, o)), s[:2] + (o,), True

    def prelu(rng, s):
        return module(nn.PReLU(s[1]), rng), s, True

    def elementwise(rng, s):
        fn = rng.choice([
            F.relu, torch.abs, lambda t: F.hardtanh(t, -0.5, 1.5),
            lambda t: t.clamp(-1.0, 0.75), lambda t: torch.where(t > 0.25, t, t * 0.5 + 0.125),
            lambda t: torch.where(t <= -0.5, -t - 1, t),
            lambda t: torch.maximum(t, -t * 0.5), lambda t: torch.minimum(t, t * 0.25 + 0.5),
            lambda t: torch.fmax(t, 0.5 - t), lambda t: torch.fmin(t, -t),
            lambda t: F.leaky_relu(t, 0.125), lambda t: F.softshrink(t, 0.25),
            lambda t: F.relu6(t * 4)])
        return fn, s, True

    def pad(rng, s):
        lo, hi, v = rng.randint(0, 2), rng.randint(0, 2), rng.randint(-4, 4) / 8
        return (lambda t: F.pad(t, (lo, hi), value=v)), s[:2] + (s[2] + lo + hi,), True

    def transpose(rng, s):
        if rng.random() < 0.5:
            return (lambda t: t.transpose(1, 2)), (s[0], s[2], s[1]), True
        return (lambda t: t.permute(0, 2, 1).contiguous()), (s[0], s[2], s[1]), True

    def cat_stack(rng, s):
        if rng.random() < 0.5 and s[1] <= 3:
            return (lambda t: torch.cat([t, F.relu(-t)], 1)), (s[0], 2 * s[1], s[2]), True
        if s[2] <= 4:
            return (lambda t: torch.stack([t, t * 0.5 - 0.25], 3).reshape(s[0], s[1], -1)), \
                s[:2] + (2 * s[2],), True
        return (lambda t: torch.stack([t, -t], 0).amax(0)), s, True

    def split(rng, s):
        if s[2] < 2:
            return (lambda t: torch.cat(t.split(1, 1)[::-1], 1)), s, True
        a = rng.randint(1, s[2] - 1)
        return (lambda t: torch.cat(t.split([a, s[2] - a], 2)[::-1], 2)), s, True

    def slicing(rng, s):
        if rng.random() < 0.5 and s[2] >= 2:
            return (lambda t: t[:, :, ::2]), s[:2] + ((s[2] + 1) // 2,), True
        idx = torch.tensor([rng.randrange(s[2]) for _ in range(rng.randint(1, 4))])
        return (lambda t: t[:, :, idx]), s[:2] + (len(idx),), True

    def order(rng, s):
        r = s[2]
        k = rng.randint(1, r)
        desc = rng.random() < 0.5
        return rng.choice([
            ((lambda t: torch.sort(t, 2, descending=desc)[0]), s),
            ((lambda t: torch.topk(t, k, 2)[0]), s[:2] + (k,)),
            ((lambda t: torch.median(t, 2, keepdim=True)[0]), s[:2] + (1,)),
            ((lambda t: torch.kthvalue(t, k, 2, keepdim=True)[0]), s[:2] + (1,)),
            ((lambda t: torch.max(t, 2, keepdim=True)[0]), s[:2] + (1,)),
            ((lambda t: torch.min(t, 1, keepdim=True)[0]), (s[0], 1, r)),
            ((lambda t: torch.amax(t, 1, keepdim=True)), (s[0], 1, r)),
            ((lambda t: torch.amin(t, 2, keepdim=True)), s[:2] + (1,))]) + (True,)

    def means(rng, s):  # multiplied by the count first: an exact mean (module docstring)
        if rng.random() < 0.5:
            return (lambda t: (t * s[2]).mean(2, keepdim=True)), s[:2] + (1,), True
        return (lambda t: nn.AdaptiveAvgPool1d(1)(t * s[2])), s[:2] + (1,), True

    def reshape(rng, s):
        return (lambda t: t.reshape(s[0], 1, -1)), (s[0], 1, s[1] * s[2]), True

    return {"linear": linear, "matmul": matmul, "bmm": bmm,
            "conv1d": conv1d, "conv1d'": conv1d,  # twice as likely: the richest lowering
            "max_pool1d": max_pool1d, "adaptive_max": adaptive_max, "prelu": prelu,
            "elementwise": elementwise, "pad": pad, "transpose": transpose,
            "cat_stack": cat_stack, "split": split, "slicing": slicing, "order": order,
            "means": means, "reshape": reshape}


def _torch_image_blocks(torch):
    """``make(rng, (B, C, H, W))`` -> (function, new shape, exact)."""
    nn, F = torch.nn, torch.nn.functional

    def conv2d(rng, s):
        g = 2 if s[1] % 2 == 0 and rng.random() < 0.5 else 1
        k, d, p, st = 2, rng.choice((1, 2, 2)), rng.randint(0, 1), rng.randint(1, 2)
        if min(s[2:]) + 2 * p - d * (k - 1) - 1 < 0:
            k = d = 1
        m = nn.Conv2d(s[1], g * rng.randint(1, 2), k, stride=st, padding=p, dilation=d,
                      groups=g).double()
        with torch.no_grad():
            for q in m.parameters():
                q.copy_(torch.tensor([rng.randint(-8, 8) / 8 for _ in range(q.numel())],
                                     dtype=torch.float64).reshape(q.shape))
        out = tuple((n + 2 * p - d * (k - 1) - 1) // st + 1 for n in s[2:])
        return m, (s[0], m.out_channels) + out, True

    def max_pool2d(rng, s):
        k = rng.randint(2, min(3, *s[2:])) if min(s[2:]) >= 2 else 1
        st, p, ceil = rng.randint(1, 2), rng.randint(0, k // 2), rng.random() < 0.5
        sizes = []
        for n in s[2:]:
            span = n + 2 * p - k
            o = (-(-span // st) if ceil else span // st) + 1
            sizes.append(o - 1 if ceil and (o - 1) * st >= n + p else o)
        return (lambda t: F.max_pool2d(t, k, st, p, ceil_mode=ceil)), s[:2] + tuple(sizes), True

    def adaptive(rng, s):
        if rng.random() < 0.5:
            o = (rng.randint(1, s[2]), rng.randint(1, s[3]))
            return (lambda t: F.adaptive_max_pool2d(t, o)), s[:2] + o, True
        n = s[2] * s[3]
        return (lambda t: nn.AdaptiveAvgPool2d(1)(t * n)), s[:2] + (1, 1), True

    return {"conv2d": conv2d, "max_pool2d": max_pool2d, "adaptive2d": adaptive}


def _torch_finals(torch, rng, s):
    """A random last op to a scalar: (name, function, exact in floats)."""
    F = torch.nn.functional
    n = math.prod(s)
    target = torch.tensor([rng.randint(-8, 8) * n / 8 for _ in range(n)],
                          dtype=torch.float64).reshape(s)
    classes = torch.tensor([rng.randrange(n // s[0]) for _ in range(s[0])])
    finals = {
        "sum": (lambda t: t.sum(), True), "max": (lambda t: t.max(), True),
        "min": (lambda t: t.min(), True), "amax": (lambda t: t.amax((1, 2)).sum(), True),
        "median": (lambda t: t.median(), True),
        "mean": (lambda t: (t * n).mean(), True),
        "mse_loss": (lambda t: F.mse_loss(t * n, target), True),
        "l1_loss": (lambda t: F.l1_loss(t * n, target), True),
        "huber_loss": (lambda t: F.huber_loss(t * n, target, delta=n / 2), True),
        "smooth_l1_loss": (lambda t: F.smooth_l1_loss(t * n, target, beta=n / 2), True),
        "logsumexp": (lambda t: torch.logsumexp(t.reshape(-1), 0), False),
        "softmax": (lambda t: F.softmax(t.reshape(-1), 0)[0], False),
        "log_softmax": (lambda t: F.log_softmax(t.reshape(-1), 0)[-1], False),
        "cross_entropy": (lambda t: F.cross_entropy(t.reshape(s[0], -1), classes), False),
        "nll_loss": (lambda t: F.nll_loss(F.log_softmax(t.reshape(s[0], -1), 1), classes,
                                          reduction="sum"), False),
    }
    name = rng.choice(sorted(finals))
    return (name,) + finals[name]


def _torch_case(torch, seed):
    """A generated network: (module, input shape, [block names], final name, exact)."""
    rng = random.Random(seed)
    blocks = _torch_blocks(torch)
    fns, names, exact = [], [], True
    if rng.random() < 0.4:  # an image first
        shape = (rng.randint(1, 2), rng.randint(1, 2), rng.randint(2, 4), rng.randint(2, 4))
        first = shape
        image = _torch_image_blocks(torch)
        for _ in range(rng.randint(1, 2)):
            name = rng.choice(sorted(image))
            fn, shape, ok = image[name](rng, shape)
            fns, names, exact = fns + [fn], names + [name], exact and ok
        s3 = shape[:2] + (shape[2] * shape[3],)
        fns.append(lambda t, s3=s3: t.reshape(s3))
        shape = s3
    else:
        shape = first = (rng.randint(1, 2), rng.randint(1, 3), rng.choice(MEAN_SIZES))
    contractions = sum(n.startswith("conv") for n in names)
    for _ in range(rng.randint(1, 4)):
        pool = [k for k in sorted(blocks) if contractions < 2 or
                k not in ("linear", "matmul", "bmm", "conv1d", "conv1d'")]
        if math.prod(shape) > 40:
            pool = [k for k in pool if k not in ("cat_stack", "pad", "linear")] + ["order"]
        name = rng.choice(pool)
        fn, shape, ok = blocks[name](rng, shape)
        contractions += name in ("linear", "matmul", "bmm", "conv1d", "conv1d'")
        fns, names, exact = fns + [fn], names + [name], exact and ok
    final, ffn, ok = _torch_finals(torch, rng, shape)
    fns.append(ffn)

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = torch.nn.ModuleList(f for f in fns if isinstance(f, torch.nn.Module))

        def body(self, t):  # the input of the final op
            for f in fns[:-1]:
                t = f(t)
            return t

        def forward(self, t):
            return fns[-1](self.body(t))
    return Net(), first, names, final, exact and ok, rng


TORCH_SEEDS = range(30)


@pytest.mark.parametrize("seed", TORCH_SEEDS)
def test_torch_layer_networks_equal_torch_float64(seed):
    torch = pytest.importorskip("torch")
    net, shape, names, final, exact, rng = _torch_case(torch, seed)
    what = (seed, names, final, shape)
    x0 = torch.zeros(shape, dtype=torch.float64)
    P = selcalc.from_torch(net, x0)
    for _ in range(2):
        x = torch.tensor([rng.randint(-128, 128) / 64 for _ in range(math.prod(shape))],
                         dtype=torch.float64).reshape(shape)
        xg = x.clone().requires_grad_(True)
        lib = net(xg)
        (g,) = torch.autograd.grad(lib, xg)
        lib = lib.detach()
        value = _exact(P, x)
        if exact:  # (exact gradients of softmax-like ops take seconds to normalize)
            ours = selcalc.grad(P, x, convention=P.default_convention)
            _assert_gradient(g.reshape(-1).tolist(), ours, what)
        if exact:
            _assert_equal(float(lib), value, what)
        else:
            with torch.no_grad():
                h = net.body(x)
            k, M = h.numel(), max(float(h.abs().max()), abs(float(lib)))
            _assert_close(float(lib), value, 64 * (k + M + 1) * 2.0 ** -53, what)


# ------------------------------------------------------------- torch, float32 scalars
def _f32(q):
    """The float32 nearest to the exact rational ``q`` (ties to even), as a Fraction."""
    q = Fraction(q)
    if q == 0:
        return q
    e = math.floor(math.log2(abs(q)))
    e += abs(q) >= Fraction(2) ** (e + 1)
    e -= abs(q) < Fraction(2) ** e
    unit = Fraction(2) ** (e - 23)
    return round(q / unit) * unit


SCALARS = (0.1, 0.2, 0.3, 0.7, 1 / 3)  # doubles that float32 does not hold


def _scalar_kinks(torch, rng):
    """A kink whose position is a Python float scalar s: (name, function, [tie inputs])."""
    F = torch.nn.functional
    s, s2 = sorted(rng.sample(SCALARS, 2))
    slope = rng.choice(SCALARS)
    kinks = {
        "relu(t - s)": (lambda t: torch.relu(t - s), [s]),
        "relu(s - t)": (lambda t: torch.relu(s - t), [s]),
        "relu(t / s - 1)": (lambda t: torch.relu(t / s - 1), [s]),
        "clamp(t, s, s2)": (lambda t: torch.clamp(t, s, s2), [s, s2]),
        "clamp(t, min=s)": (lambda t: torch.clamp(t, min=s), [s]),
        "clamp(t, max=s)": (lambda t: torch.clamp(t, max=s), [s]),
        "hardtanh(t, -s2, s)": (lambda t: F.hardtanh(t, -s2, s), [-s2, s]),
        "where(t <= s, s, t)": (lambda t: torch.where(t <= s, s, t), [s]),
        "where(t > s, t, s)": (lambda t: torch.where(t > s, t, s), [s]),
        "maximum(t, full(s))": (lambda t: torch.maximum(t, torch.full_like(t, s)), [s]),
        "leaky_relu(t - s, slope)": (lambda t: F.leaky_relu(t - s, slope), [s]),
    }
    name = rng.choice(sorted(kinks))
    fn, ties = kinks[name]
    return f"{name} s={s} s2={s2} slope={slope}", fn, ties


def _scalar_case(torch, seed):
    """(chain names, function, tie values, rng): a kink at a scalar, then scalar ops with
    at most one more non-dyadic factor (so that torch's float32 backward rounds at most
    once per entry: its gradient is the float32 rounding of the exact one), then a sum or
    a max along the only dimension (one entry receives the gradient, never a split).
    Every branch is decided on exact float32 values: the kink's argument is rounded at
    most once, and rounding keeps its sign (and is 0 only at the float32 tie itself)."""
    rng = random.Random(seed)
    kink, fn, ties = _scalar_kinks(torch, rng)
    a, b = rng.choice(SCALARS), rng.choice(SCALARS)
    posts = {"* a": lambda t: t * a, "+ a": lambda t: t + a, "- b": lambda t: t - b,
             "* 2 + b": lambda t: t * 2 + b, "a - t": lambda t: a - t}
    chosen = rng.sample(sorted(posts), rng.randint(0, 2))
    if sum(p in ("* a",) for p in chosen) > 1:
        chosen = chosen[:1]
    # a max after the smooth scalar ops could see a tie that float32 rounding made (equal
    # in torch, not in exact arithmetic: selcalc.float_ties' subject, not this test's)
    final = rng.choice(["sum", "max(0)"]) if not chosen else "sum"
    fns = [fn] + [posts[p] for p in chosen] + \
        [(lambda t: t.sum()) if final == "sum" else (lambda t: t.max(0)[0])]

    def model(t):
        for f in fns:
            t = f(t)
        return t
    return [kink] + [p.replace("a", f"{a}").replace("b", f"{b}") for p in chosen] + [final], \
        model, ties, rng


def _scalar_points(torch, rng, ties, n):
    """Float32 points: every entry a tie (float32(s)), a neighbour of one, or random."""
    f32 = torch.float32
    near = []
    for s in ties:
        t = torch.tensor(s, dtype=f32)
        near += [t, torch.nextafter(t, torch.tensor(-2.0)), torch.nextafter(t, torch.tensor(2.0))]
    pts = [torch.stack([torch.tensor(s, dtype=f32) for s in (ties * n)[:n]])]
    for _ in range(3):
        pts.append(torch.stack([rng.choice(near) if rng.random() < 0.7 else
                                torch.tensor(rng.uniform(-1, 1), dtype=f32)
                                for _ in range(n)]))
    return pts


@pytest.mark.parametrize("seed", range(24))
def test_torch_float32_scalars_value_and_gradient_at_float32_ties(seed):
    """A Python float in an op on a float32 tensor is the float32 number (measured, torch
    2.13.0: bench/measure_torch_scalars.py): at t = float32(0.1) the kink of relu(t - 0.1)
    is tied, and selcalc's gradient (torch's preset) must be torch's own there, entry by
    entry (the float32 rounding of the exact gradient, see ``_scalar_case``).  Values are
    checked to 16 * n * eps32 * max(1, M) (a few float32 ops on entries of size <= M)."""
    torch = pytest.importorskip("torch")
    names, model, ties, rng = _scalar_case(torch, seed)
    n = 3
    P = selcalc.from_torch(model, torch.zeros(n, dtype=torch.float32))
    for x in _scalar_points(torch, rng, ties, n):
        what = (seed, names, x.tolist())
        xg = x.clone().requires_grad_(True)
        y = model(xg)
        (g,) = torch.autograd.grad(y, xg)
        point = tuple(Fraction(float(v)) for v in x)
        M = max(1.0, float(x.abs().max()), abs(float(y.detach())))
        _assert_close(float(y.detach()), _exact(P, point), 16 * n * M * 2.0 ** -24, what)
        ours = selcalc.grad(P, point, convention=P.default_convention)
        assert [Fraction(float(v)) for v in g] == [_f32(v) for v in ours], \
            (what, g.tolist(), ours)


# =========================================================================== jax
def _jax_blocks(jax, jnp, lax, dtype):
    """``make(rng, (B, C, L))`` -> (function, new shape); every block is exact in float32
    on the dyadic values of this test (a mean is a sum of the entries times k, over k)."""

    def dy(shape, rng):
        return jnp.asarray(np.array([rng.randint(-8, 8) / 8 for _ in range(math.prod(shape))],
                                    dtype=dtype).reshape(shape))

    def dot(rng, s):
        W = dy((s[2], rng.randint(2, 4)), rng)
        if rng.random() < 0.5:
            return (lambda v: jnp.dot(v, W)), s[:2] + (W.shape[1],)
        Wb = dy((s[0], s[2], rng.randint(2, 4)), rng)
        return (lambda v: jnp.einsum("bij,bjk->bik", v, Wb)), s[:2] + (Wb.shape[2],)

    def conv(rng, s):
        g = rng.choice([d for d in (1, 2) if s[1] % d == 0])
        k, d = rng.randint(1, 3), rng.choice((1, 2, 2))
        p, st = rng.randint(0, 1), rng.randint(1, 2)
        if s[2] + 2 * p - d * (k - 1) - 1 < 0:
            k = d = 1
        w = dy((g * rng.randint(1, 2), s[1] // g, k), rng)
        out = (s[2] + 2 * p - d * (k - 1) - 1) // st + 1
        return (lambda v: lax.conv_general_dilated(v, w, (st,), [(p, p)], rhs_dilation=(d,),
                                                   feature_group_count=g)), \
            (s[0], w.shape[0], out)

    def window_max(rng, s):
        k = rng.randint(1, min(3, s[2]))
        st, lo, hi = rng.randint(1, 2), rng.randint(0, k - 1), rng.randint(0, k - 1)
        out = (s[2] + lo + hi - k) // st + 1
        return (lambda v: lax.reduce_window(v, -jnp.inf, lax.max, (1, 1, k), (1, 1, st),
                                            ((0, 0), (0, 0), (lo, hi)))), s[:2] + (out,)

    def elementwise(rng, s):
        return rng.choice([jax.nn.relu, jnp.abs, lambda v: jnp.clip(v, -0.5, 0.75),
                           lambda v: jnp.where(v > 0.25, v, v * 0.5 + 0.125),
                           lambda v: jnp.maximum(v, -v * 0.5), lambda v: jnp.minimum(v, 0.5 - v),
                           jax.nn.relu6]), s

    def reduce(rng, s):
        ax = rng.choice([1, 2])
        f = rng.choice([jnp.max, jnp.min, lambda v, axis, keepdims: jnp.sum(
            v * s[ax], axis, keepdims=keepdims) / s[ax]])
        return (lambda v: f(v, axis=ax, keepdims=True)), \
            tuple(1 if i == ax else n for i, n in enumerate(s))

    def order(rng, s):
        k = rng.randint(1, s[2])
        if rng.random() < 0.5:
            return (lambda v: jnp.sort(v, axis=2)), s
        return (lambda v: lax.top_k(v, k)[0]), s[:2] + (k,)

    def shapes(rng, s):
        return rng.choice([
            ((lambda v: jnp.concatenate([v, -v], axis=1)), (s[0], 2 * s[1], s[2])),
            ((lambda v: v[:, :, ::2]), s[:2] + ((s[2] + 1) // 2,)),
            ((lambda v: v[:, :, 1:] if s[2] > 1 else v), s[:2] + (max(s[2] - 1, 1),)),
            ((lambda v: jnp.swapaxes(v, 1, 2)), (s[0], s[2], s[1])),
            ((lambda v: v.reshape(s[0], 1, -1)), (s[0], 1, s[1] * s[2]))])

    return {"dot": dot, "conv": conv, "window_max": window_max, "elementwise": elementwise,
            "reduce": reduce, "order": order, "shapes": shapes}


def _jax_case(jax, seed, dtype):
    jnp, lax = jax.numpy, jax.lax
    rng = random.Random(seed)
    blocks = _jax_blocks(jax, jnp, lax, dtype)
    shape = first = (rng.randint(1, 2), rng.randint(1, 3), rng.choice(MEAN_SIZES))
    fns, names, contractions = [], [], 0
    for _ in range(rng.randint(1, 4)):
        pool = [k for k in sorted(blocks) if contractions < 2 or k not in ("dot", "conv")]
        if math.prod(shape) > 40:
            pool = [k for k in pool if k not in ("shapes", "dot")] + ["reduce"]
        name = rng.choice(pool)
        fn, shape = blocks[name](rng, shape)
        contractions += name in ("dot", "conv")
        fns, names = fns + [fn], names + [name]
    n = math.prod(shape)
    final = rng.choice(["sum", "max", "min", "mean"] + ["sorted"] * (n <= 16))
    fns.append({"sum": jnp.sum, "max": jnp.max, "min": jnp.min,
                "mean": lambda v: jnp.sum(v * n) / n,
                "sorted": lambda v: jnp.sort(v.reshape(-1))[n // 2]}[final])

    def fn(v):
        for f in fns:
            v = f(v)
        return v
    return fn, first, names + [final], rng


@pytest.mark.parametrize("seed, dtype", [(s, "float32") for s in range(12)] +
                         [(s, "float64") for s in range(100, 104)])
def test_jax_layer_networks_equal_jax(seed, dtype):
    """Exact equality of the value (module docstring: every op is exact in float32 on
    these dyadic numbers: inputs multiples of 1/16 in [-1, 1], weights of 1/8; in
    float64, under ``jax.enable_x64``, inputs of 1/64 in [-2, 2]), and selcalc's preset
    gradient against ``jax.grad`` (to 2**-18 relative: ties shared by a count round, a
    wrong piece is off by 1/128 at least).  Dtypes are always explicit: other tests turn
    x64 on for the whole process."""
    jax = pytest.importorskip("jax")
    with jax.enable_x64(dtype == "float64"):
        _check_jax_case(jax, seed, np.dtype(dtype))


def _check_jax_case(jax, seed, dtype):
    fn, shape, names, rng = _jax_case(jax, seed, dtype)
    P = selcalc.from_jax(fn, jax.numpy.zeros(shape, dtype=dtype))
    scale = 16 if dtype == np.float32 else 64
    for _ in range(2):
        x = np.array([rng.randint(-scale, scale) / scale * 2 ** (scale == 64)
                      for _ in range(math.prod(shape))], dtype=dtype).reshape(shape)
        what = (seed, names, shape, x.ravel().tolist())
        lib = float(fn(jax.numpy.asarray(x)))
        point = [float(v) for v in x.ravel()]
        _assert_equal(lib, _exact(P, point), what)
        g = np.asarray(jax.grad(fn)(jax.numpy.asarray(x))).ravel().tolist()
        ours = selcalc.grad(P, point, convention=P.default_convention)
        bad = [(i, a, b) for i, (a, b) in enumerate(zip(g, ours))
               if abs(a - float(b)) > 2.0 ** -18 * max(1.0, abs(a))]
        assert not bad, (what, bad[:4])
