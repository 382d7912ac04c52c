"""A model that uses every supported torch op (and one per jax counterpart), at planted ties.

Two halves:

* the piecewise-linear ops, with dyadic weights and inputs: float64 computes every value
  and derivative exactly, so torch's gradient and selcalc's preset gradient are compared
  as rationals, in reverse and forward mode, w.r.t. the inputs and the parameters;
* selu at its kink (an irrational-constant op), exactly.
"""

from __future__ import annotations

import math
import random
from fractions import Fraction

import pytest
import sympy

import selcalc
from selcalc.interpreters.evaluate import evaluate

torch = pytest.importorskip("torch")
nn, F = torch.nn, torch.nn.functional
f64 = torch.float64
pytestmark = [pytest.mark.frameworks,
              pytest.mark.filterwarnings("ignore::DeprecationWarning")]

from test_models import dyadic, set_dyadic, torch_grads  # noqa: E402


class PiecewiseLinear(nn.Module):
    """Every piecewise-linear op of docs/models.md, in one graph."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv1d(1, 2, 3, stride=2, padding=1)
        self.conv2 = nn.Conv2d(2, 2, 3, padding=1, dilation=1, groups=2)
        self.lin = nn.Linear(11, 4)
        self.prelu = nn.PReLU(2, init=0.25)

    def forward(self, x, s):  # x: 1x2x4x4 image, s: 1x1x6 signal
        h = self.prelu(self.conv2(x))                                  # 1x2x4x4
        h = F.relu6(h * 4) - F.hardtanh(h, -0.5, 0.5) + F.leaky_relu(h, 0.125)
        h = torch.clamp(h, -1.0, 1.0) + torch.clamp(h, min=0.0) + h.clamp(max=0.5)
        p = F.max_pool2d(h, 3, stride=2, padding=1, ceil_mode=True)   # overlapping
        q = F.adaptive_max_pool2d(h, (1, 2))
        t = F.max_pool1d(self.conv1(s), 2)                           # 1x2x1
        lo, hi = h[:, 0], h[:, 1]
        c = torch.clamp(h.sum(1), lo, hi + 1)                        # tensor bounds
        m = torch.maximum(lo, hi) + torch.minimum(lo, hi) + torch.fmax(lo, hi) - torch.fmin(lo, hi)
        flat = torch.cat([p.flatten(1), q.reshape(1, -1)], 1)        # 1x22
        z = torch.stack([flat[:, :11], flat[:, 11:]], 0).squeeze(1)  # 2x11
        y = self.lin(z)                                              # 2x4
        r = F.softshrink(y, 0.5) + y.abs() + torch.where(y > 0, y, -y / 2)
        g = r.gather(1, r.argmax(1, keepdim=True)).sum()
        top = torch.topk(r[0], 2)[0].sum() + torch.sort(r[1], descending=True)[0][0]
        losses = F.l1_loss(y[0], y[1]) + F.smooth_l1_loss(y[0], y[1], beta=0.5) \
            + F.huber_loss(y[0], y[1], delta=0.5) \
            + F.hinge_embedding_loss(y[0], torch.tensor([1.0, -1.0, 1.0, -1.0], dtype=f64)) \
            + F.margin_ranking_loss(y[0], y[1], torch.tensor([1.0, -1.0, 1.0, 1.0], dtype=f64))
        return (r.amax(1).sum() + r.amin(0).sum() + torch.max(r, 1)[0].mean()
                - torch.min(r, 0)[0].sum() + g + top + losses + t.sum() + c.mean()
                + m.permute(0, 2, 1).sum() + m[0, 1:3, ::2].sum() + m[..., 0].sum()
                + (p / 2 - p.neg() * 0.25).mean() + y.view(-1)[3])


def pl_case(seed):
    rng = random.Random(seed)
    model = set_dyadic(PiecewiseLinear().double(), rng)
    x = dyadic((1, 2, 4, 4), rng, zero=0.4)
    x[0, :, :2, :2] = 0.5      # flat pooling windows, equal lo / hi channels
    s = dyadic((1, 1, 6), rng, zero=0.5)
    return model, (x, s)


def assert_close(lib, ours):
    assert len(lib) == len(ours)
    bad = [(i, a, b) for i, (a, b) in enumerate(zip(lib, ours))
           if not math.isclose(a, float(b), rel_tol=1e-12, abs_tol=1e-12)]
    assert not bad, bad[:3]


@pytest.mark.parametrize("seed", [0, 1])
def test_every_piecewise_linear_op_equals_torch_exactly(seed):
    model, args = pl_case(seed)
    P = selcalc.from_torch(model, *args, wrt="both")
    point = list(args) + [p for _, p in model.named_parameters()]
    ties = {P.node_info(g).op for g in evaluate(P, point).ties()}
    assert len(ties) >= 3, ties  # planted ties at several kinds of kink
    for mode in ("backward", "forward"):
        # float64 sums of this many dyadic terms can round, so: agreement to rounding (a
        # wrong piece at a tie is off by O(1))
        assert_close(torch_grads(model, args, "both", mode), selcalc.grad(P, point, mode=mode))
    if seed == 0:  # the other views give the sub-vectors of the same gradient
        n = sum(a.numel() for a in args)
        full = selcalc.grad(P, point)
        Pp = selcalc.from_torch(model, *args, wrt="parameters")
        assert selcalc.grad(Pp, [p for _, p in model.named_parameters()]) == full[n:]
        Pi = selcalc.from_torch(model, *args)
        assert selcalc.grad(Pi, list(args)) == full[:n]
        assert selcalc.ad_outputs(Pi, list(args)).contains(full[:n]).holds is True


def test_selu_at_zero_is_the_left_piece_exactly():
    """torch's selu'(0) is scale * alpha (left piece), whose exact value is the product of
    the two float64 constants torch uses."""
    x = torch.zeros(1, dtype=f64)
    P = selcalc.from_torch(lambda t: F.selu(t).sum(), x)
    (g,) = selcalc.grad(P, x)
    scale, alpha = Fraction(1.0507009873554805), Fraction(1.6732632423543772)
    assert sympy.Rational(g) == sympy.Rational(scale * alpha)
