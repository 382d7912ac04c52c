"""One exception family for selcalc; every message says what went wrong and what to do."""

from __future__ import annotations


class SelcalcError(Exception):
    """Base class of every error selcalc raises on purpose."""


class ParseError(SelcalcError):
    """Source text uses a construct the parser does not support.

    ``line`` and ``col`` locate the construct (1-based line, 1-based column).
    """

    def __init__(self, message: str, line: int | None = None, col: int | None = None,
                 construct: str | None = None):
        self.line, self.col, self.construct = line, col, construct
        where = f"line {line}, column {col}: " if line is not None else ""
        super().__init__(where + message)


class ProgramError(SelcalcError):
    """A program's data is malformed (cycle, wrong arity, bad numbering)."""


class NotContinuous(SelcalcError):
    """The pieces of a branch disagree where their conditions overlap.

    ``point`` is an exact point (tuple of sympy numbers) where two pieces that are both
    allowed give different values.
    """

    def __init__(self, message: str, point=None, node=None):
        self.point, self.node = point, node
        super().__init__(message)


class DomainError(SelcalcError, ArithmeticError):
    """A primitive was applied outside its domain (log of 0, division by 0, ...).

    ``node`` is the program node, ``value`` the offending argument values.
    """

    def __init__(self, message: str, node=None, value=None):
        self.node, self.value = node, value
        super().__init__(message)


#: an enumeration of more items than this is out of reach whatever the budget: past it,
#: :class:`PatternBudgetExceeded` advises another question instead of a larger budget
OUT_OF_REACH = 1 << 32


class PatternBudgetExceeded(SelcalcError):
    """An enumeration over patterns would exceed its budget.

    ``count`` is the number of patterns needed, ``budget`` the limit in force.  Past
    :data:`OUT_OF_REACH` items the message says so and names questions that need no
    enumeration, rather than advising a budget no machine could spend.

    >>> print(PatternBudgetExceeded(5000, 4096))
    5000 patterns exceed the budget of 4096; pass max_patterns=5000 (or larger) to enumerate them all
    >>> print(PatternBudgetExceeded(2 ** 70, 4096))  # doctest: +NORMALIZE_WHITESPACE
    1180591620717411303424 patterns exceed the budget of 4096: a count this large is out of
    reach of any enumeration, so a larger max_patterns will not help; ask for one element
    instead (selcalc.clarke_element, selcalc.directional_derivative), or ask about a smaller
    program or region
    """

    def __init__(self, count: int, budget: int, what: str = "patterns",
                 how: str = "max_patterns"):
        self.count, self.budget = count, budget
        if count > OUT_OF_REACH:
            advice = (f": a count this large is out of reach of any enumeration, so a larger "
                      f"{how} will not help; ask for one element instead "
                      f"(selcalc.clarke_element, selcalc.directional_derivative), or ask "
                      f"about a smaller program or region")
        else:
            advice = f"; pass {how}={count} (or larger) to enumerate them all"
        super().__init__(f"{count} {what} exceed the budget of {budget}{advice}")


class Undecided(SelcalcError):
    """An exact decision could not be reached (a sign, or a local question).

    Never a guess: callers either raise this or report an explicit unknown.
    """


class TracerBoolError(SelcalcError, TypeError):
    """Python control flow was asked to branch on a traced value."""


class InputError(SelcalcError, ValueError):
    """User input that selcalc refuses: text that is not a number, a non-finite or
    non-real number (``nan``, ``inf``, complex), or a point / vector of the wrong shape."""


class TimeLimitExceeded(SelcalcError):
    """A set-valued computation ran past its ``time_limit`` (seconds).

    ``what`` names the computation, ``done`` counts the work finished (patterns, cells),
    ``elapsed`` and ``limit`` are in seconds; ``partial`` holds what was reached when the
    computation can say something (e.g. :class:`selcalc.ClarkeBounds`), else None.
    """

    def __init__(self, what: str, done: int, elapsed: float, limit: float, unit="steps",
                 partial=None):
        self.what, self.done, self.elapsed, self.limit = what, done, elapsed, limit
        self.partial = partial
        super().__init__(
            f"{what} stopped after {elapsed:.1f} s (time_limit={limit:g}) having done "
            f"{done} {unit}; pass a larger time_limit= (or time_limit=None for no limit)")
