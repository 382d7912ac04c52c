"""Time limits, work budgets and progress reports for the set-valued computations.

Every exponential search in selcalc (tie patterns, all patterns, cells of a local
arrangement, pieces along a curve) calls :meth:`Budget.tick` once per unit of work.  The
budget raises :class:`selcalc.TimeLimitExceeded` past ``time_limit`` seconds and
:class:`selcalc.PatternBudgetExceeded` past ``max_steps`` units, each saying what was done
and which argument raises the limit, and calls ``progress`` (at most ten times a second)
with a :class:`Progress` record.

>>> seen = []
>>> b = Budget("demo", max_steps=3, progress=seen.append, interval=0)
>>> b.tick(); b.tick(); seen[-1].done
2
>>> b.tick(); b.tick()
Traceback (most recent call last):
...
selcalc.errors.PatternBudgetExceeded: 4 cells exceed the budget of 3; pass max_cells=4 (or larger) to enumerate them all
"""

from __future__ import annotations

import numbers
import time
from dataclasses import dataclass

from .errors import InputError, PatternBudgetExceeded, SelcalcError, TimeLimitExceeded


@dataclass
class Progress:
    """One progress report: the computation, work done, total if known, seconds spent."""

    what: str
    done: int
    total: int | None
    elapsed: float


class Budget:
    """Counts work and enforces a time limit and a step budget (see the module doc)."""

    def __init__(self, what, time_limit=None, max_steps=None, progress=None, total=None,
                 unit="cells", how="max_cells", interval=0.1):
        if time_limit is not None and (isinstance(time_limit, bool) or not isinstance(
                time_limit, numbers.Real) or not time_limit > 0):
            raise InputError(f"time_limit must be a positive number of seconds (or None), "
                             f"not {time_limit!r}")
        if max_steps is not None and (isinstance(max_steps, bool) or not isinstance(
                max_steps, int) or max_steps < 0):
            raise InputError(f"{how} must be a nonnegative integer (or None), not "
                             f"{max_steps!r}")
        if progress is not None and not callable(progress):
            raise SelcalcError("progress must be a callable taking a selcalc.budget.Progress")
        self.what, self.time_limit, self.max_steps = what, time_limit, max_steps
        self.progress, self.total, self.unit, self.how = progress, total, unit, how
        self.interval = interval
        self.start = self.last = time.monotonic()
        self.done = 0

    @property
    def elapsed(self):
        return time.monotonic() - self.start

    def tick(self, n=1):
        """Record ``n`` units of work; raise when a limit is passed."""
        self.done += n
        if self.max_steps is not None and self.done > self.max_steps:
            raise PatternBudgetExceeded(self.done, self.max_steps, self.unit, self.how)
        if self.time_limit is None and self.progress is None:
            return
        now = time.monotonic()
        if self.time_limit is not None and now - self.start > self.time_limit:
            raise TimeLimitExceeded(self.what, self.done, now - self.start, self.time_limit,
                                    self.unit)
        if self.progress is not None and now - self.last >= self.interval:
            self.last = now
            self.progress(Progress(self.what, self.done, self.total, now - self.start))

    def finish(self):
        """A last progress report (done = total)."""
        if self.progress is not None:
            self.progress(Progress(self.what, self.done, self.done, self.elapsed))


def budget(what, time_limit=None, max_steps=None, progress=None, **kw):
    """A :class:`Budget`, or the one passed in (``time_limit`` may already be a Budget)."""
    if isinstance(time_limit, Budget):
        return time_limit
    return Budget(what, time_limit, max_steps, progress, **kw)
