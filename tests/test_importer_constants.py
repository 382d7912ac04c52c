"""Every constant an importer writes is the exact number the library's op means.

Measured with torch 2.13.0 and jax 0.10.2.  Each op's lowering is checked against the op's
definition computed with Fraction / sympy at sizes where ``float(1/n)`` is not ``1/n``
(n = 3, 5, 6, 7) and at all-ones inputs where the exact answer is a simple number; ties
must be found (``relu(mean - 1)`` at ones).  The guard (:class:`FloatConstant`) is tested
by planting floats; the source line of an error is the user's own.
"""

from __future__ import annotations

import functools
import inspect
import re
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import sympy

import selcalc
from selcalc.frontends import builder as builder_mod
from selcalc.frontends.builder import Builder, Const, FloatConstant
from selcalc.frontends.library import Origin
from selcalc.numbers import sign
from selcalc.primitives import PRIMITIVES

torch = pytest.importorskip("torch")
F = torch.nn.functional
f64 = torch.float64
pytestmark = pytest.mark.frameworks
SIZES = (3, 5, 6, 7)
HERE = Path(__file__).name


def ones(n, c=1.0):
    return torch.full((n,), c, dtype=f64)


def same(a, b):
    """Certified equality of two exact numbers."""
    return sign(sympy.sympify(a) - sympy.sympify(b)) == 0


def value(P, x):
    out = P(x)
    return out[0] if isinstance(out, tuple) else out


H = Fraction  # the double a library holds, converted exactly
E = sympy.E


# (name, torch function of a vector t of n entries, the entry c of the input c*ones(n),
#  the exact definition as a function of n); an elementwise op's entries are summed (one
#  contraction with weights 1, so that the op's own constants are what is tested)
OPS = [
    ("mean", lambda t: t.mean(), 1.0, lambda n: 1),
    ("mean(dim)", lambda t: t.reshape(1, -1).mean(1), 1.0, lambda n: 1),
    ("mean(dims, keepdim)", lambda t: t.reshape(1, -1, 1).mean((1, 2), keepdim=True), 3.0,
     lambda n: 3),
    ("mse_loss", lambda t: F.mse_loss(t, torch.zeros_like(t)), 1.0, lambda n: 1),
    ("l1_loss", lambda t: F.l1_loss(t, torch.zeros_like(t)), 1.0, lambda n: 1),
    ("smooth_l1_loss", lambda t: F.smooth_l1_loss(t, torch.zeros_like(t)), 3.0,
     lambda n: Fraction(5, 2)),
    ("smooth_l1_loss beta=3", lambda t: F.smooth_l1_loss(t, torch.zeros_like(t), beta=3.0),
     1.0, lambda n: Fraction(1, 6)),
    ("smooth_l1_loss beta=0.5", lambda t: F.smooth_l1_loss(t, torch.zeros_like(t), beta=0.5),
     1.0, lambda n: Fraction(3, 4)),
    ("huber_loss", lambda t: F.huber_loss(t, torch.zeros_like(t)), 3.0,
     lambda n: Fraction(5, 2)),
    ("huber_loss delta=3", lambda t: F.huber_loss(t, torch.zeros_like(t), delta=3.0), 1.0,
     lambda n: Fraction(1, 2)),
    ("nll_loss", lambda t: F.nll_loss(t.reshape(-1, 1), torch.zeros(t.shape[0], dtype=torch.long)),
     1.0, lambda n: -1),
    ("cross_entropy", lambda t: F.cross_entropy(torch.stack([t, 0 * t], 1),
                                                torch.zeros(t.shape[0], dtype=torch.long)),
     1.0, lambda n: sympy.log(1 + sympy.exp(-1))),
    ("AdaptiveAvgPool1d(1)", lambda t: torch.nn.AdaptiveAvgPool1d(1)(t.reshape(1, 1, -1)), 1.0,
     lambda n: 1),
    ("AdaptiveAvgPool2d(1)", lambda t: torch.nn.AdaptiveAvgPool2d(1)(t.reshape(1, 1, 1, -1)),
     1.0, lambda n: 1),
    ("celu alpha=3", lambda t: F.celu(t, 3.0), -1.0,
     lambda n: 3 * (sympy.exp(sympy.Rational(-1, 3)) - 1)),
    ("celu alpha=0.1", lambda t: F.celu(t, 0.1), -1.0,
     lambda n: H(0.1) * (sympy.exp(-1 / sympy.Rational(H(0.1))) - 1)),
    ("elu", lambda t: F.elu(t, 0.5), -1.0, lambda n: sympy.Rational(1, 2) * (1 / E - 1)),
    ("selu", lambda t: F.selu(t), -1.0,
     lambda n: sympy.Rational(H(1.0507009873554804934193349852946))
     * sympy.Rational(H(1.6732632423543772848170429916717)) * (1 / E - 1)),
    ("softplus beta=3", lambda t: F.softplus(t, beta=3.0), 1.0,
     lambda n: sympy.log(1 + sympy.exp(3)) / 3),
    ("softplus beta=0.1", lambda t: F.softplus(t, beta=0.1), 1.0,
     lambda n: sympy.log(1 + sympy.exp(sympy.Rational(H(0.1)))) / sympy.Rational(H(0.1))),
    ("leaky_relu", lambda t: F.leaky_relu(t), -1.0, lambda n: -H(0.01)),
    ("leaky_relu 1/3", lambda t: F.leaky_relu(t, 1 / 3), -3.0, lambda n: -3 * H(1 / 3)),
    ("hardtanh", lambda t: F.hardtanh(t, -0.1, 0.1), 1.0, lambda n: H(0.1)),
    ("relu6", lambda t: F.relu6(t), 7.0, lambda n: 6),
    ("clamp", lambda t: t.clamp(min=0.1, max=0.7), 1.0, lambda n: H(0.7)),
    ("clamp_min", lambda t: t.clamp_min(0.1), -1.0, lambda n: H(0.1)),
    ("hardsigmoid", lambda t: F.hardsigmoid(t), 1.0, lambda n: Fraction(2, 3)),
    ("hardswish", lambda t: F.hardswish(t), 1.0, lambda n: Fraction(2, 3)),
    ("softshrink", lambda t: F.softshrink(t, 0.3), 1.0, lambda n: 1 - H(0.3)),
    ("mul/div by scalars", lambda t: (t * 0.1 / 3.0).sum(), 1.0, lambda n: n * H(0.1) / 3),
    ("add alpha", lambda t: torch.add(t, t, alpha=0.1).sum(), 1.0, lambda n: n * (1 + H(0.1))),
    ("softmax", lambda t: F.softmax(t, 0)[0], 1.0, lambda n: Fraction(1, n)),
    ("log_softmax", lambda t: F.log_softmax(t, 0)[0], 1.0, lambda n: -sympy.log(n)),
    ("logsumexp", lambda t: torch.logsumexp(t, 0), 0.0, lambda n: sympy.log(n)),
    ("pow", lambda t: t ** 2, 3.0, lambda n: 9),
    ("median", lambda t: t.median(), 1.0, lambda n: 1),
    ("linear", lambda t: F.linear(t, torch.full((1, t.shape[0]), 0.1, dtype=f64),
                                  torch.full((1,), 1 / 3, dtype=f64))[0], 1.0,
     lambda n: n * H(0.1) + H(1 / 3)),
    ("pad value", lambda t: F.pad(t, (1, 2), value=0.1).sum(), 1.0, lambda n: n + 3 * H(0.1)),
    ("where scalar", lambda t: torch.where(t > 0, 0.1 * t, t), 1.0, lambda n: H(0.1)),
    ("prelu", lambda t: F.prelu(t, torch.full((1,), 0.3, dtype=f64)), -1.0,
     lambda n: -H(0.3)),
    ("full_like", lambda t: (t + torch.full_like(t, 0.1)), 1.0, lambda n: 1 + H(0.1)),
    ("exp/log", lambda t: torch.log(torch.exp(t) + 0.5), 1.0, lambda n: sympy.log(E + H(0.5))),
]


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("name, fn, c, exact", OPS, ids=[o[0] for o in OPS])
def test_lowering_equals_definition(name, fn, c, exact, n):
    x = ones(n, c)
    elementwise = fn(x).shape == x.shape
    if elementwise:
        fn, single = (lambda f: lambda t: f(t).sum())(fn), exact
        exact = lambda n: n * sympy.sympify(single(n))  # noqa: E731
    P = selcalc.from_torch(fn, x)
    got = value(P, x)
    assert same(got, exact(n)), (name, n, got, exact(n))
    # the definition is torch's: its float64 value agrees (to rounding)
    assert abs(float(fn(x).reshape(-1)[0]) - float(sympy.N(sympy.sympify(exact(n)), 30))) < 1e-12


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("make", [
    lambda t: F.relu(t.mean() - 1),
    lambda t: F.relu(torch.nn.AdaptiveAvgPool1d(1)(t.reshape(1, 1, -1)) - 1).sum(),
    lambda t: F.relu(F.l1_loss(t, torch.zeros_like(t)) - 1),
], ids=["mean", "AdaptiveAvgPool1d", "l1_loss"])
def test_tie_of_a_mean_is_found(make, n):
    x = ones(n)
    P = selcalc.from_torch(make, x)
    assert value(P, x) == 0
    C = selcalc.clarke(P, x)
    assert sorted(map(tuple, C.vertices)) == sorted([(0,) * n, (Fraction(1, n),) * n]), C
    assert selcalc.directional_derivative(P, x, (1,) * n) == 1
    assert selcalc.directional_derivative(P, x, (-1,) * n) == 0


# --------------------------------------------------------------------------- the guard
@pytest.mark.parametrize("bad", [1 / 3, np.float32(0.5), np.float64(0.25), sympy.Float(0.5),
                                 sympy.Float(0.5) * sympy.Symbol("x")])
def test_const_refuses_a_float(bad):
    with pytest.raises(FloatConstant, match="internal error"):
        Const(bad)


def test_const_keeps_exact_numbers():
    for ok in (1, Fraction(1, 3), sympy.log(2), sympy.Rational(1, 3)):
        assert Const(ok).value == ok


def test_node_parameter_refuses_a_float_and_names_the_op():
    b = Builder()
    x = b.input()
    b.note = Origin("mul", "f", "model.py", 7)
    with pytest.raises(FloatConstant, match="mul in f, model.py, line 7"):
        b._push(PRIMITIVES["mul"].fix((1,)), [x], [0.5], None, 0)


def _line_of(text):
    lines = Path(__file__).read_text().splitlines()
    return next(i for i, s in enumerate(lines, 1) if text in s)


def test_planted_float_in_a_lowering_raises_naming_op_and_line(monkeypatch):
    from selcalc.frontends.torch import _TorchLowering

    def float_mean(self, x, dim=None, keepdim=False, dtype=None):  # the old bug
        return self.reduce(x, self._dims(x, dim), keepdim,
                           lambda vs: self.total(vs, 1 / len(vs)))
    monkeypatch.setattr(_TorchLowering, "mean", float_mean)

    def model(t):
        return F.relu(t.mean() - 1)  # planted-mean
    with pytest.raises(FloatConstant) as err:
        selcalc.from_torch(model, ones(3))
    text = str(err.value)
    assert "0.333" in text and "mean in model" in text, text
    assert f"{HERE}, line {_line_of('# planted-mean')}" in text, text


def test_planted_float_in_a_primitive_raises(monkeypatch):
    from selcalc.frontends import torch as ftorch
    from selcalc.libraries.ops import elu

    def float_celu(self, x, alpha=1):
        return self.map(elu(ftorch._fam("celu"), alpha, 1, 1 / float(alpha)), x)
    monkeypatch.setattr(ftorch._TorchLowering, "celu", float_celu)
    with pytest.raises(FloatConstant, match="celu"):
        selcalc.from_torch(lambda t: F.celu(t, 3.0).sum(), ones(3, -1.0))


def test_planted_float_in_a_weight_path_raises(monkeypatch):
    from selcalc.frontends import tensors
    monkeypatch.setattr(tensors, "held", lambda v: float(v) / 3)  # not exact any more
    with pytest.raises(FloatConstant):
        selcalc.from_torch(lambda t: t * 0.5, ones(2))


def test_importers_convert_floats_only_through_held():
    """The architecture of the guard: torch.py and jax.py never call ``exact`` (which
    converts any float silently), and tensors.py only inside ``held``."""
    root = Path(selcalc.__file__).parent / "frontends"
    call = re.compile(r"(?<![\w.])exact\(")
    for name in ("torch.py", "jax.py"):
        text = (root / name).read_text()
        assert not call.search(text) and "import exact" not in text, name
    src = inspect.getsource(__import__("selcalc.frontends.tensors", fromlist=["x"]))
    held_src = inspect.getsource(__import__("selcalc.frontends.tensors",
                                            fromlist=["x"]).held)
    assert len(call.findall(src)) == len(call.findall(held_src)) == 1


def test_jax_literal_is_the_number_jax_computes_with():
    """A weak-typed Python float in a float32 op is float32(1/3) in JAX (jax 0.10.2), not
    the double 1/3: the constant is converted in the literal's own dtype (the operand is
    float32 explicitly: other tests enable x64, where a default array is float64)."""
    jax = pytest.importorskip("jax")
    v = jax.numpy.full((1,), -1.0, dtype=jax.numpy.float32)  # float32 even under x64
    P = selcalc.from_jax(lambda v: jax.nn.celu(v, 1 / 3).sum(), v)
    consts = {c for ps in P.params for c in ps if c not in (0, 1)}
    assert consts == {Fraction(float(np.float32(1 / 3)))}, consts


# --------------------------------------------------------------------------- softplus
def _softplus_model(t):
    return F.softplus(t, 1.0, 1.0).sum()  # softplus-line


def test_softplus_torch_jumps_at_its_threshold():
    """Measured (torch 2.13.0): x where beta*x > threshold, the smooth function at and
    below it."""
    def sp(x, beta=1.0, threshold=1.0):
        return F.softplus(torch.tensor(x, dtype=f64), beta, threshold).item()
    assert sp(2.0) == 2.0 and abs(sp(2.0) - float(sympy.log(1 + sympy.exp(2)))) > 0.12
    assert sp(1.0) == pytest.approx(float(sympy.log(1 + E)), rel=1e-15)
    assert sp(1.001) == 1.001
    assert sp(20.01, threshold=20.0) == 20.01 and sp(20.0, threshold=20.0) > 20.0
    assert sp(0.5001, beta=2.0) == 0.5001


def test_softplus_is_smooth_below_the_threshold():
    P = selcalc.from_torch(_softplus_model, ones(1, 0.0))
    assert same(value(P, (0,)), sympy.log(2))
    assert same(value(P, (Fraction(1, 2),)), sympy.log(1 + sympy.exp(sympy.Rational(1, 2))))
    assert selcalc.grad(P, (0,)) == (Fraction(1, 2),)


@pytest.mark.parametrize("x", [2, 1, Fraction(1001, 1000)])
def test_softplus_past_its_threshold_is_refused_with_the_line(x):
    P = selcalc.from_torch(_softplus_model, ones(1, 0.0))
    with pytest.raises(selcalc.NotContinuous) as err:
        P((x,))
    text = str(err.value)
    assert "softplus" in text and f"{HERE}, line {_line_of('# softplus-line')}" in text, text
    with pytest.raises(selcalc.NotContinuous):
        selcalc.grad(P, (x,))


def test_softplus_default_threshold_and_beta():
    P = selcalc.from_torch(lambda t: F.softplus(t).sum(), ones(1, 0.0))
    assert same(value(P, (19,)), sympy.log(1 + sympy.exp(19)))
    with pytest.raises(selcalc.NotContinuous):
        P((21,))
    P2 = selcalc.from_torch(lambda t: F.softplus(t, 2.0, 1.0).sum(), ones(1, 0.0))
    assert same(value(P2, (Fraction(1, 4),)), sympy.log(1 + sympy.exp(sympy.Rational(1, 2))) / 2)
    with pytest.raises(selcalc.NotContinuous):
        P2((Fraction(1, 2),))


def test_softplus_of_a_constant_is_what_torch_returns():
    c = torch.tensor([2.0], dtype=f64)
    P = selcalc.from_torch(lambda t: (t + F.softplus(c, 1.0, 1.0)).sum(), ones(1, 0.0))
    assert value(P, (0,)) == 2  # torch returns x past the threshold


# --------------------------------------------------------------------------- locations
def _gelu_helper(y):
    return F.gelu(y)  # helper-line


def _calls_helper(t):
    return _gelu_helper(t * 2).sum()


def _gelu_two(t, a):
    return F.gelu(t * a).sum()  # partial-line


class _Callable:
    def __call__(self, t):
        return F.gelu(t).sum()  # callable-line


@pytest.mark.parametrize("fn, marker", [
    (_calls_helper, "# helper-line"),
    (functools.partial(_gelu_two, a=2.0), "# partial-line"),
    (_Callable(), "# callable-line"),
], ids=["helper", "partial", "callable"])
def test_unsupported_functional_op_names_the_users_line(fn, marker):
    with pytest.raises(selcalc.ParseError) as err:
        selcalc.from_torch(fn, ones(2))
    text = str(err.value)
    assert "gelu" in text and f"{HERE}, line {_line_of(marker)}" in text, text
    assert err.value.line == _line_of(marker)


def test_capture_failure_names_the_users_line():
    def data_dependent(t):
        return F.interpolate(t.reshape(1, 1, -1), scale_factor=float(t.sum()))  # capture-line
    with pytest.raises(selcalc.ParseError) as err:
        selcalc.from_torch(data_dependent, ones(2))
    assert f"{HERE}, line {_line_of('# capture-line')}" in str(err.value), str(err.value)


# ----------------------------------------------------- scalars in the tensor's precision
SCALAR_OPS = {
    "sub": lambda t: torch.relu(t - 0.1),
    "rsub": lambda t: torch.relu(0.1 - t),
    "clamp_max": lambda t: torch.clamp(t, max=0.1),
    "le": lambda t: torch.where(t <= 0.1, 0.1, t),
}


@pytest.mark.parametrize("name", sorted(SCALAR_OPS))
def test_torch_scalar_on_float32_is_the_float32_number(name):
    """``t - 0.1`` on a float32 tensor computes with float32(0.1) (measured, torch 2.13.0:
    bench/measure_torch_scalars.py), so at ``t = float32(0.1)`` a following kink is tied;
    selcalc's program must see that tie and give torch's gradient there."""
    fn = SCALAR_OPS[name]
    t = torch.tensor([0.1], dtype=torch.float32)
    P = selcalc.from_torch(fn, t)
    x = (Fraction(float(t[0])),)
    assert len(selcalc.ad_outputs(P, x).points) == 2, "the tie at float32(0.1) was missed"
    tg = t.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(fn(tg).sum(), tg)
    assert selcalc.grad(P, x, convention=P.default_convention) == (Fraction(g.item()),)


def test_torch_scalar_on_float64_stays_the_double():
    P = selcalc.from_torch(SCALAR_OPS["sub"], torch.tensor([0.1], dtype=torch.float64))
    assert Fraction(0.1) in {c for ps in P.params for c in ps}


def test_torch_scalar_on_half_tensor_is_refused_unless_held_exactly():
    t = torch.tensor([0.1], dtype=torch.float16)
    with pytest.raises(selcalc.ParseError, match="half-precision"):
        selcalc.from_torch(SCALAR_OPS["sub"], t)
    selcalc.from_torch(lambda t: torch.relu(t - 0.5), t)  # 0.5 is held exactly


def test_jax_x64_literal_cast_to_float32_is_the_float32_number():
    """Under x64 a Python float passed into a jitted library function (``jax.nn.celu``'s
    alpha) is an f64 argument that the function casts to f32 (convert_element_type) before
    a float32 op uses it: the constant is float32(1/3), as without x64 (jax 0.10.2)."""
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    v = jax.numpy.full((1,), -1.0, dtype=jax.numpy.float32)
    fn = lambda v: jax.nn.celu(v, 1 / 3).sum()  # noqa: E731
    assert "convert_element_type" in str(jax.make_jaxpr(fn)(v))
    P = selcalc.from_jax(fn, v)
    consts = {c for ps in P.params for c in ps if c not in (0, 1)}
    assert consts == {Fraction(float(np.float32(1 / 3)))}, consts


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_torch_leaky_relu_default_slope_in_the_op_precision(dtype):
    """``F.leaky_relu(t)`` records no slope in the graph; torch's kernel uses its default
    0.01 in the tensor's precision (torch 2.13.0: the gradient at -1 is float32(0.01) on
    float32), so the imported constant is that number, not the double 0.01."""
    dt = getattr(torch, dtype)
    P = selcalc.from_torch(lambda t: F.leaky_relu(t), torch.tensor([-1.0], dtype=dt))
    t = torch.tensor([-1.0], dtype=dt, requires_grad=True)
    F.leaky_relu(t).sum().backward()
    assert selcalc.grad(P, (-1,)) == (Fraction(t.grad.item()),)
