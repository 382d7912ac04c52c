"""Imported models (``selcalc.from_torch``) against the library's own gradients, exactly.

Models are built in the test with dyadic weights and inputs (multiples of 1/8 of small
size), so that float64 computes every value and gradient of a piecewise-linear model
exactly; the comparison is then ``Fraction(torch value) == selcalc value``.  The points
carry planted ties: zero pixels and zero biases (ReLU at 0), flat pooling windows, values
at the bounds of relu6 / hardtanh / clamp, equal logits under max / amax.
"""

from __future__ import annotations

import random
from fractions import Fraction

import pytest
import sympy

import selcalc

torch = pytest.importorskip("torch")
nn, F = torch.nn, torch.nn.functional
f64 = torch.float64
pytestmark = pytest.mark.frameworks


def dyadic(shape, rng, scale=8, lo=-8, hi=8, zero=0.0):
    """A float64 tensor of k/scale with k in [lo, hi]; a fraction ``zero`` of exact zeros."""
    n = 1
    for s in shape:
        n *= s
    vals = [0.0 if rng.random() < zero else rng.randint(lo, hi) / scale for _ in range(n)]
    return torch.tensor(vals, dtype=f64).reshape(shape)


def set_dyadic(module, rng, zero_bias=True):
    with torch.no_grad():
        for name, p in module.named_parameters():
            if name.endswith("bias") and zero_bias:
                p.zero_()
            else:
                p.copy_(dyadic(tuple(p.shape), rng, scale=4, lo=-4, hi=4))
    return module


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.l1 = nn.Linear(4, 5)
        self.l2 = nn.Linear(5, 4)

    def forward(self, x):
        h = F.relu(self.l1(x))
        h = F.relu6(self.l2(h) * 4)
        h = torch.clamp(h, 0.0, 1.0) + F.hardtanh(h - 1) + F.leaky_relu(h - 2, 0.25)
        return h.amax(dim=1).sum() + torch.max(h, 1)[0].mean() + torch.maximum(h[:, 0], h[:, 1]).sum() \
            + h.abs().sum() / 8


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3, padding=1)
        self.conv2 = nn.Conv2d(2, 2, 2, stride=1, dilation=2, groups=2)
        self.fc = nn.Linear(8, 3)

    def forward(self, x):
        h = F.relu(self.conv(x))                               # 1x2x6x6
        h = F.max_pool2d(h, 3, stride=2, padding=1)            # overlapping windows: 1x2x3x3
        h = F.relu(self.conv2(F.pad(h, (1, 0, 1, 0))))         # 1x2x2x2
        y = self.fc(h.flatten(1))
        return F.relu(y).sum() + torch.amax(y)


def image(rng):
    """A 1x1x6x6 image with runs of equal pixels: a zero band and a saturated corner."""
    x = dyadic((1, 1, 6, 6), rng, zero=0.4)
    x[0, 0, :2, :] = 0.0
    x[0, 0, 4:, 4:] = 1.0
    return x


def torch_grads(model, args, wrt, mode):
    """The library's own gradient, flat in selcalc's input order, in ``mode``."""
    named = list(model.named_parameters())
    params = [p.detach().clone() for _, p in named]
    args = [a.detach().clone() for a in args]
    n = len(args)
    leaves = (args if wrt != "parameters" else []) + (params if wrt != "inputs" else [])

    def f(*vs):
        it = iter(vs)
        a = [next(it) if wrt != "parameters" else t for t in args]
        ps = [next(it) if wrt != "inputs" else t for t in params]
        return torch.func.functional_call(model, {nm: p for (nm, _), p in zip(named, ps)},
                                          tuple(a[:n]))

    if mode == "backward":
        xs = [t.clone().requires_grad_(True) for t in leaves]
        gs = torch.autograd.grad(f(*xs), xs)
        return [v for g in gs for v in g.reshape(-1).tolist()]
    out = []
    for i, t in enumerate(leaves):
        for j in range(t.numel()):
            tangents = [torch.zeros_like(s) for s in leaves]
            tangents[i].view(-1)[j] = 1.0
            _, d = torch.func.jvp(f, tuple(leaves), tuple(tangents))
            out.append(float(d))
    return out


def point_of(model, args, wrt):
    parts = (list(args) if wrt != "parameters" else []) + \
        ([p for _, p in model.named_parameters()] if wrt != "inputs" else [])
    return parts


def assert_exact(lib, ours):
    assert len(lib) == len(ours)
    bad = [(i, a, b) for i, (a, b) in enumerate(zip(lib, ours)) if Fraction(a) != Fraction(str(b))]
    assert not bad, f"{len(bad)} entries differ, first: {bad[:3]}"


def mlp_case(seed):
    rng = random.Random(seed)
    model = set_dyadic(MLP().double(), rng)
    x = dyadic((2, 4), rng, zero=0.5)
    x[1] = x[0]  # a repeated row: equal entries under max / amax
    return model, (x,)


@pytest.mark.parametrize("wrt", ["inputs", "parameters", "both"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mlp_gradient_equals_torch_both_modes(seed, wrt):
    model, args = mlp_case(seed)
    P = selcalc.from_torch(model, *args, wrt=wrt)
    point = point_of(model, args, wrt)
    for mode in ("backward", "forward"):
        assert_exact(torch_grads(model, args, wrt, mode), selcalc.grad(P, point, mode=mode))


@pytest.mark.parametrize("seed", [0, 1])
def test_cnn_gradient_equals_torch_with_ties(seed):
    rng = random.Random(seed)
    model = set_dyadic(CNN().double(), rng)
    x = image(rng)
    for wrt in ("inputs", "both"):
        P = selcalc.from_torch(model, x, wrt=wrt)
        point = point_of(model, (x,), wrt)
        from selcalc.interpreters.evaluate import evaluate
        run = evaluate(P, point)
        tied = {P.node_info(g).op for g in run.ties()}
        assert {"relu", "max_pool2d_with_indices"} <= tied  # the planted ties are there
        modes = ("backward", "forward") if wrt == "inputs" else ("backward",)
        for mode in modes:
            assert_exact(torch_grads(model, (x,), wrt, mode), selcalc.grad(P, point, mode=mode))


def test_gradient_lies_in_ad_outputs_and_clarke_on_a_small_model():
    rng = random.Random(5)
    model = set_dyadic(nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)).double(), rng)
    x = torch.tensor([[0.0, 0.0]], dtype=f64)  # every hidden unit tied at 0
    P = selcalc.from_torch(model, x)
    g = selcalc.grad(P, x)
    assert g == tuple(sympy.Rational(str(Fraction(v))) for v in torch_grads(model, (x,), "inputs", "backward"))
    ad = selcalc.ad_outputs(P, x)
    assert ad.contains(g).holds is True
    C = selcalc.clarke(P, x)
    assert C.issubset(ad) is True
    # zero biases: f is positively homogeneous, so the gradient at a generic direction d
    # (no tie there) is a limiting gradient at 0, hence a Clarke element
    for _ in range(10):
        d = (Fraction(rng.randint(-9, 9), 7) or Fraction(1, 3), Fraction(rng.randint(1, 9), 5))
        assert C.contains(selcalc.grad(P, d)).holds is True


def test_max_pool_first_index_and_amax_even_split():
    """Hand-derived: a flat 2x2 window sends 1 to its first entry; amax splits 1/4 each."""
    x = torch.zeros((1, 1, 2, 2), dtype=f64)
    P = selcalc.from_torch(lambda t: F.max_pool2d(t, 2).sum(), x)
    assert selcalc.grad(P, x) == (1, 0, 0, 0)
    P = selcalc.from_torch(lambda t: torch.amax(t), x)
    assert selcalc.grad(P, x) == (sympy.Rational(1, 4),) * 4
    P = selcalc.from_torch(lambda t: torch.max(t.flatten(), 0)[0], x)
    assert selcalc.grad(P, x) == (1, 0, 0, 0)


def test_bounds_rules_differ_by_op():
    """relu6/hardtanh give 0 at both bounds, torch.clamp (2.13) gives 1: same pieces, two ops."""
    x = torch.tensor([0.0, 6.0], dtype=f64)
    P6 = selcalc.from_torch(lambda t: F.relu6(t).sum(), x)
    Pc = selcalc.from_torch(lambda t: torch.clamp(t, 0.0, 6.0).sum(), x)
    assert selcalc.grad(P6, x) == (0, 0)
    assert selcalc.grad(Pc, x, convention="pytorch@2.13") == (1, 1)
    assert selcalc.grad(P6, x, convention="selection") == (0, 1)  # lowest piece index


def test_inputs_flattened_in_c_order_then_parameters():
    model = nn.Linear(2, 1).double()
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[1.0, 2.0]]))
        model.bias.fill_(0.5)
    x = torch.tensor([[3.0, 4.0]], dtype=f64)
    P = selcalc.from_torch(model, x, wrt="both")
    assert P.input_names == ("input[0,0]", "input[0,1]", "weight[0,0]", "weight[0,1]", "bias[0]")
    assert P((3, 4, 1, 2, 0.5)) == sympy.Rational(23, 2)
    assert selcalc.grad(P, (3, 4, 1, 2, 0.5)) == (1, 2, 3, 4, 1)
    assert selcalc.grad(P, [x, model.weight, model.bias]) == (1, 2, 3, 4, 1)


def test_float32_converts_exactly():
    x = torch.tensor([0.1], dtype=torch.float32)
    P = selcalc.from_torch(lambda t: (t * 3).sum(), x)
    assert P(x) == 3 * sympy.Rational(str(Fraction(float(x[0]))))


def test_node_info_names_op_and_line():
    def f(t):
        h = F.max_pool2d(t, 2)
        return h.sum()
    x = torch.zeros((1, 1, 4, 4), dtype=f64)
    P = selcalc.from_torch(f, x)
    pools = [k for k in range(P.p + 1, P.m + 1) if P.node_info(k).op == "max_pool2d_with_indices"]
    assert len(pools) == 4
    info = P.node_info(pools[-1])
    assert info.function == "f" and info.file == "test_models.py" and info.detail == "window (1, 1)"
    assert "F.max_pool2d(t, 2)" in info.code


@pytest.mark.parametrize("fn, op", [
    (lambda t: torch.nanmedian(t, 0)[0], "nanmedian"),
    (lambda t: torch.median(t, 0)[1].double().sum(), "the indices returned by median"),
    (lambda t: torch.kthvalue(t, 2, 0, True)[1], "the indices returned by kthvalue as an output"),
    (lambda t: torch.sort(t)[1], "the indices returned by sort as an output"),
    (lambda t: torch.kthvalue(t, 3)[0], "capture (RuntimeError"),  # k past the row
    (lambda t: torch.median(t.repeat(9), 0)[0], "median_dim over 18 entries"),
    (lambda t: torch.sort(t)[1].double().sum(), "the indices returned by sort"),
    (lambda t: torch.sort(t.repeat(9))[0].sum(), "sort over 18 entries"),
    (lambda t: torch.linalg.vector_norm(t), "linalg_vector_norm"),
    (lambda t: t[torch.argmax(t)], "argmax"),
    (lambda t: torch.sin(t).sum(), "sin"),
])
def test_unsupported_ops_raise_parse_error_with_location(fn, op):
    with pytest.raises(selcalc.ParseError) as err:
        selcalc.from_torch(fn, torch.tensor([1.0, 2.0], dtype=f64))
    assert op in str(err.value) and "test_models.py" in str(err.value), str(err.value)
    assert err.value.line is not None
