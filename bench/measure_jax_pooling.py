"""Measure which entry of a tied max-pooling window JAX's derivatives follow
(``lax.reduce_window`` with ``lax.max``, the ``reduce_window_max`` primitive).

For random window sizes, strides and paddings over 1-D, 2-D, 3-D and NCHW-style 4-D
operands, each window's tie order is measured entry by entry: the window's entries still
in play are set to 1, every other entry of the operand to 0, and the entry the derivative
follows is read off (forward mode: the tangent of the window's output under a tangent
``(1, 2, ..., n)`` that names the entry, by ``jax.jvp``, and the window's row of
``jax.jacfwd``; reverse mode: ``jax.vjp`` with the cotangent 1 on that window).  That
entry is then taken out of play and the next one measured, which gives the order in which
the derivative prefers the window's entries.  Random 0/1 tie patterns then check that the
derivative follows the first tied entry in that order (so the order is the whole rule).

Each order is compared with the window's row-major order (``"first"``: the first
maximal entry in JAX's index order) and with the componentwise order of the window's
positions: an entry whose every coordinate is <= those of all the other tied entries is
"the componentwise-first tied entry"; where such an entry exists every linear extension of
that partial order picks it.

Run: ``python bench/measure_jax_pooling.py [seconds per group]`` (default 60); the
figures for jax 0.10.2 (CPU) are in docs/models.md (a run with 15 s per group).
"""

from __future__ import annotations

import collections
import itertools
import random
import sys
import time

import numpy as np

import jax

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
from jax import lax  # noqa: E402


def positions(shape, k, s, pad, d, o):
    """In-bounds positions of window ``o`` in row-major order (padding is not an entry)."""
    ranges = [[o[i] * s[i] - pad[i][0] + d[i] * j for j in range(k[i])
               if 0 <= o[i] * s[i] - pad[i][0] + d[i] * j < shape[i]] for i in range(len(k))]
    return list(itertools.product(*ranges))


def pickers(shape, k, s, pad, d, dtype):
    """``{method: function(x, o) -> flat index of the entry the derivative follows}``."""
    def f(v):
        return lax.reduce_window(v, -jnp.inf, lax.max, k, s, pad, window_dilation=d)

    n = int(np.prod(shape))
    tag = jnp.arange(1.0, n + 1, dtype=dtype).reshape(shape)
    jvp = jax.jit(lambda v: jax.jvp(f, (v,), (tag,))[1])
    jacfwd = jax.jit(jax.jacfwd(f))
    out_shape = jax.eval_shape(f, jnp.zeros(shape, dtype)).shape

    def vjp_at(v, ct):
        return jax.vjp(f, v)[1](ct)[0]
    vjp = jax.jit(vjp_at)
    methods = {
        "jvp": lambda x, o: int(np.asarray(jvp(x))[o]) - 1,
        "jacfwd": lambda x, o: int(np.flatnonzero(np.asarray(jacfwd(x))[o].ravel())[0]),
    }
    if all(v == 1 for v in d):  # JAX has no reverse mode for window dilation
        def reverse(x, o):
            ct = jnp.zeros(out_shape, dtype).at[o].set(1.0)
            return int(np.flatnonzero(np.asarray(vjp(x, ct)).ravel())[0])
        methods["vjp"] = reverse
    return methods, out_shape


def measured_order(pick, shape, pos, o, dtype):
    """The window's entries in the order the derivative prefers them (indices into pos)."""
    left, order = list(range(len(pos))), []
    flat = [int(np.ravel_multi_index(p, shape)) for p in pos]
    while left:
        x = np.zeros(shape)
        for i in left:
            x[pos[i]] = 1
        c = flat.index(pick(jnp.asarray(x, dtype), o))
        order.append(c)
        left.remove(c)
    return order


def componentwise_first(pos, tied):
    """The tied entry <= every other tied one in each coordinate, or None."""
    for i in tied:
        if all(all(a <= b for a, b in zip(pos[i], pos[j])) for j in tied):
            return i
    return None


def linear_extension(pos, order):
    """Whether ``order`` never puts an entry after one it is componentwise <= to."""
    seen = []
    for i in order:
        if any(all(a <= b for a, b in zip(pos[i], pos[j])) and pos[i] != pos[j] for j in seen):
            return False
        seen.append(i)
    return True


def random_config(rng, rank, padded):
    if rank == 4:  # NCHW: window 1 over batch and channels
        shape = (1, rng.randint(1, 2), rng.randint(2, 5), rng.randint(2, 5))
        k = (1, 1, rng.randint(1, 3), rng.randint(1, 3))
        s = (1, 1, rng.randint(1, 3), rng.randint(1, 3))
        pad = ((0, 0), (0, 0)) + tuple((rng.randint(0, 2), rng.randint(0, 2)) if padded
                                       else (0, 0) for _ in range(2))
        d = (1, 1, 1, rng.choice([1, 1, 2]))
    else:
        shape = tuple(rng.randint(1, 5 if rank < 3 else 3) for _ in range(rank))
        k = tuple(rng.randint(1, 3) for _ in range(rank))
        s = tuple(rng.randint(1, 3) for _ in range(rank))
        pad = tuple((rng.randint(0, 2), rng.randint(0, 2)) if padded else (0, 0)
                    for _ in range(rank))
        d = tuple(rng.choice([1, 1, 2]) for _ in range(rank))
    if padded and not any(lo or hi for lo, hi in pad):
        return None
    if any(shape[i] + sum(pad[i]) < d[i] * (k[i] - 1) + 1 for i in range(rank)):
        return None
    return shape, k, s, pad, d


def measure(seconds=60, seed=0, checks=4):
    """``{(rank, padded, dtype, method): Counter}`` over the windows of random configs."""
    rng = random.Random(seed)
    out = collections.defaultdict(collections.Counter)
    examples = {}
    for rank, padded, dtype in itertools.product((1, 2, 3, 4), (False, True),
                                                 (jnp.float64, jnp.float32)):
        t0 = time.time()
        while time.time() - t0 < seconds:
            cfg = random_config(rng, rank, padded)
            if cfg is None:
                continue
            shape, k, s, pad, d = cfg
            methods, out_shape = pickers(shape, k, s, pad, d, dtype)
            for o in np.ndindex(*out_shape):
                pos = positions(shape, k, s, pad, d, o)
                if len(pos) < 2:
                    continue
                for name, pick in methods.items():
                    key = (rank, padded, np.dtype(dtype).name, name)
                    c = out[key]
                    order = measured_order(pick, shape, pos, o, dtype)
                    c["windows"] += 1
                    c["row-major order"] += order == sorted(order)
                    c["componentwise order kept"] += linear_extension(pos, order)
                    if order != sorted(order):
                        examples.setdefault(key, (cfg, o, [pos[i] for i in order]))
                    for _ in range(checks):  # the order is the rule: random tie patterns
                        bits = [rng.randrange(2) for _ in pos]
                        tied = [i for i, b in enumerate(bits) if b]
                        if len(tied) < 2:
                            continue
                        x = np.zeros(shape)
                        for p, b in zip(pos, bits):
                            x[p] = b
                        flat = [int(np.ravel_multi_index(p, shape)) for p in pos]
                        got = flat.index(pick(jnp.asarray(x, dtype), o))
                        c["tied patterns"] += 1
                        c["first in measured order"] += got == next(i for i in order if bits[i])
                        c["first tied (row-major)"] += got == tied[0]
                        cf = componentwise_first(pos, tied)
                        if cf is None:
                            c["no componentwise-first"] += 1
                        else:
                            c["componentwise-first exists"] += 1
                            c["= componentwise-first"] += got == cf
    return out, examples


def main(argv):
    seconds = float(argv[1]) if len(argv) > 1 else 60
    print(f"jax {jax.__version__}, jaxlib {jax.lib.__version__}, {jax.devices()[0].platform}; "
          f"{seconds:g} s of random configs per group")
    out, examples = measure(seconds)
    for key, c in sorted(out.items()):
        rank, padded, dtype, method = key
        print(f"\nrank {rank} {'padded' if padded else 'unpadded'} {dtype} {method}: "
              + ", ".join(f"{k} {v}" for k, v in c.items()))
        if key in examples:
            cfg, o, order = examples[key]
            print(f"   e.g. shape, window, strides, padding, dilation = {cfg}, window {o}: "
                  f"order {order}")


if __name__ == "__main__":
    main(sys.argv)
