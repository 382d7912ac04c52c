"""selcalc: exact answers to what automatic differentiation computes on nonsmooth programs.

Follows Bolte & Pauwels, "A mathematical model for automatic differentiation in machine
learning" (NeurIPS 2020).

>>> import selcalc
>>> zero = selcalc.parse('''
... def zero(t):
...     return relu(-t) + t - relu(t)
... ''')
>>> zero(0), selcalc.grad(zero, 0, convention="tensorflow")
(0, (1,))
"""

from .autodiff import grad, jacobian
from .beyond import (Uniform, bad_step_sizes, check_closed_graph, check_projection_formula,
                     expectation, implicit_jacobian, sgd, unroll)
from .beyond import check_conservative_jacobian, check_implicit_conservative
from .curves import (Breakpoints, Curve, Field, artificial_critical_points, breakpoints,
                     check_conservative, check_integration, integrate_along,
                     polynomial_curve, sample_curves, segment)
from .conventions import CONVENTIONS, Convention, is_selection_convention
from .fields import ClarkeBounds, ad_outputs, artificial_critical, clarke, index_closure
from .errors import (DomainError, InputError, NotContinuous, ParseError, PatternBudgetExceeded,
                     ProgramError, SelcalcError, SizeLimitExceeded, TimeLimitExceeded,
                     TracerBoolError, Undecided)
from .frontends import parse, trace
from .frontends.jax import from_jax
from .frontends.torch import from_torch
from .frontends.library import LibraryProgram, Origin
from .libraries.audit import audit
from .libraries.scan import scan
from .libraries.floats import float_ties
from .functions import (Real, abs, clip, cos, exp, leaky_relu, log, max, min, relu, sigmoid, sin,
                        softplus, sort, sqrt, tanh, where)
from .interpreters.opcount import cost, cost_backward
from .ir import Program
from .local import (ClarkeElement, clarke_element, directional_derivative,
                    directional_derivatives)
from .points import decimal
from .selection import Selection, selection
from .sets import ConvexSet
from .theorems.lemma1 import prove_forward_equals_backward, prove_lemma1
from .verdict import Verdict

__version__ = "0.1.0"

__all__ = [
    "Breakpoints", "ClarkeBounds", "ConvexSet", "Curve", "Field", "ad_outputs",
    "artificial_critical", "artificial_critical_points", "breakpoints", "check_conservative",
    "check_integration", "clarke", "index_closure", "integrate_along", "polynomial_curve",
    "sample_curves", "segment",
    "CONVENTIONS", "Convention", "DomainError", "NotContinuous", "ParseError",
    "PatternBudgetExceeded", "Program", "ProgramError", "SelcalcError", "Selection",
    "Real", "TracerBoolError", "Undecided", "Verdict", "abs", "clip", "cos", "exp", "grad",
    "is_selection_convention", "jacobian", "leaky_relu", "log", "max", "min", "parse", "relu",
    "selection", "sigmoid", "sin", "softplus", "sort", "sqrt", "tanh", "trace", "where",
    "cost", "cost_backward",
    "Uniform", "bad_step_sizes", "check_closed_graph", "check_projection_formula",
    "check_conservative_jacobian", "check_implicit_conservative",
    "expectation", "implicit_jacobian", "sgd", "unroll",
    "prove_forward_equals_backward", "prove_lemma1",
    "InputError", "decimal",
    "TimeLimitExceeded", "SizeLimitExceeded", "ClarkeElement", "clarke_element",
    "directional_derivative", "directional_derivatives",
    "LibraryProgram", "Origin", "audit", "from_jax", "from_torch", "scan",
    "float_ties",
]
