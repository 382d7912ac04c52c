"""torch's ``F.softplus(x, beta, threshold)``: smooth below its threshold, refused past it.

torch computes ``log(1 + exp(beta * x)) / beta`` where ``beta * x <= threshold`` and
returns ``x`` itself where ``beta * x > threshold`` (measured with torch 2.13.0: at
``beta = 1, threshold = 1``, ``x = 1`` gives 1.3133 and ``x = 1.001`` gives 1.001).  The two
branches do not meet, so the function jumps at ``beta * x = threshold`` (by
``log1p(exp(-threshold)) / beta``: about 2e-9 for the default threshold 20) and is not an
elementary selection there, whatever the threshold.

selcalc imports it as the smooth function, which IS torch's function on the open set
``beta * x < threshold``, and refuses every point outside that set: evaluating the node at an
argument with ``beta * x >= threshold`` raises :class:`selcalc.NotContinuous` naming the op and
the user's source line (the boundary itself is refused too: torch's function is not
continuous there, so no derivative question has an answer about it).  A constant argument
is folded to the value torch returns.

>>> p = threshold_softplus(1, 1, "softplus in f, model.py, line 3")
>>> p.value(0, (0,))
(log(2),)
>>> p.value(0, (2,))
Traceback (most recent call last):
...
selcalc.errors.NotContinuous: torch op softplus in f, model.py, line 3: beta*x = 2 is not below threshold = 1 ...
"""

from __future__ import annotations

from fractions import Fraction

import sympy

from ..errors import NotContinuous
from ..numbers import normalize, sign, to_sympy
from ..points import exact_str
from ..primitives import Primitive
from ..primitives.core import arg_symbols, piece


class ThresholdSoftplus(Primitive):
    """``log(1 + exp(beta*a1)) / beta``, defined only where ``beta*a1 < threshold``."""

    def __init__(self, beta, threshold, where):
        (a1,) = arg_symbols(1)
        b = sympy.Rational(Fraction(beta))
        expr = sympy.log(1 + sympy.exp(b * a1)) / b
        super().__init__(f"torch.softplus[{beta},{threshold}]", 1, [piece(expr)],
                         family="smooth")
        self.beta, self.threshold, self.where = Fraction(beta), Fraction(threshold), where

    def below(self, x):
        """True where torch's softplus is the smooth function at ``x`` (floats compare as
        floats: they are benchmarks, never a proof)."""
        if isinstance(x, float):
            return float(self.beta) * x < float(self.threshold)
        return sign(sympy.Rational(self.beta) * to_sympy(x)
                    - sympy.Rational(self.threshold)) < 0

    def check(self, vals):
        x = vals[0]
        if not self.below(x):
            bx = exact_str(sympy.Rational(self.beta) * to_sympy(x)) \
                if not isinstance(x, float) else repr(float(self.beta) * x)
            raise NotContinuous(
                f"torch op {self.where}: beta*x = {bx} is not below threshold = "
                f"{self.threshold} (beta = {self.beta}); torch returns x where beta*x > "
                f"threshold and log(1 + exp(beta*x))/beta elsewhere, a function that jumps at "
                f"beta*x = threshold, so it is not an elementary selection there; selcalc "
                f"imports softplus as the smooth function and answers only where "
                f"beta*x < threshold (raise softplus's threshold, or ask at another point)",
                point=(x,))

    def value(self, piece_index, vals):
        self.check(vals)
        return super().value(piece_index, vals)

    def partials(self, piece_index, vals):
        self.check(vals)
        return super().partials(piece_index, vals)


def threshold_softplus(beta, threshold, where):
    """The primitive for one ``softplus`` call (``where``: the op and its source line)."""
    return ThresholdSoftplus(beta, threshold, where)


def fold(x, beta, threshold):
    """torch's softplus of a constant ``x`` (exact; past the threshold, ``x`` itself)."""
    b, t = Fraction(beta), Fraction(threshold)
    if sign(sympy.Rational(b) * to_sympy(x) - sympy.Rational(t)) > 0:
        return x
    return normalize(sympy.log(1 + sympy.exp(sympy.Rational(b) * to_sympy(x)))
                     / sympy.Rational(b))
