"""Beyond composition: SGD and its bad step sizes (Theorem 4), the integral rule,
nonsmooth implicit differentiation, fixed-point unrolling and the projection formula.

Each module implements one result and states it in its docstring; see ``docs/beyond.md``.
"""

from .implicit import ImplicitJacobian, check_implicit_conservative, implicit_jacobian
from .jacobian import check_conservative_jacobian, component
from .integral import Expectation, Uniform, expectation
from .stratification import check_closed_graph, check_projection_formula, stratum
from .unroll import Unrolled, unroll
from .sgd import BadStepSizes, SGDRun, SGDStep, bad_step_sizes, sgd

__all__ = ["check_conservative_jacobian", "component", "check_closed_graph", "check_projection_formula", "stratum", "Unrolled", "unroll", "ImplicitJacobian", "check_implicit_conservative", "implicit_jacobian", "Expectation", "Uniform", "expectation", "BadStepSizes", "SGDRun", "SGDStep", "bad_step_sizes", "sgd"]
