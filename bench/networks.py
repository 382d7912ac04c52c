"""Random ReLU networks with rational weights, built with selcalc.trace (shared by benches)."""

from __future__ import annotations

import random
from fractions import Fraction

import selcalc


def relu_network_weights(widths, seed=0, denominators=(1, 2, 3, 4), tied_first_layer=0):
    """Weights for a fully connected ReLU net; the first ``tied_first_layer`` neurons of the
    first layer get bias 0, so they all tie at the input 0."""
    rng = random.Random(seed)
    layers = []
    for li, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:])):
        W = [[Fraction(rng.randint(-4, 4), rng.choice(denominators)) for _ in range(n_in)]
             for _ in range(n_out)]
        b = [Fraction(rng.randint(-4, 4), rng.choice(denominators)) for _ in range(n_out)]
        if li == 0:
            for i in range(min(tied_first_layer, n_out)):
                b[i] = Fraction(0)
        elif tied_first_layer:
            b = [bi or Fraction(1) for bi in b]  # only the first layer ties at 0
        layers.append((W, b))
    return layers


def relu_network(widths, seed=0, tied_first_layer=0, weights=None):
    layers = weights or relu_network_weights(widths, seed, tied_first_layer=tied_first_layer)

    def net(*x):
        h = list(x)
        for li, (W, b) in enumerate(layers):
            pre = [sum((w * v for w, v in zip(row, h)), bi) for row, bi in zip(W, b)]
            h = pre if li == len(layers) - 1 else [selcalc.relu(z) for z in pre]
        return h[0]
    return selcalc.trace(net, nargs=widths[0]), layers
