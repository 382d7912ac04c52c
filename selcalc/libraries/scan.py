"""``selcalc.scan``: one imported model over a data set, image by image, exactly.

For every input: the tied nodes by op (``relu``, ``max_pool2d_with_indices`` ...), the
gradient under the program's preset, whether the library's own gradient equals it
exactly (when a model is given), and optionally whether it lies in the Clarke set.
Runs in local worker processes (``workers=2``) with a progress line on stderr.

>>> import pytest, selcalc
>>> torch = pytest.importorskip("torch")
>>> net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU()).double()
>>> with torch.no_grad():
...     _ = net[0].weight.copy_(torch.tensor([[1.0, -1.0], [0.5, 0.5]])), net[0].bias.zero_()
>>> data = [torch.tensor([[1.0, 1.0]], dtype=torch.float64), torch.tensor([[2.0, 0.0]], dtype=torch.float64)]
>>> rows = selcalc.scan(net, data, output=lambda y: y.sum(), progress=False)
>>> [r.ties for r in rows], [r.library_equal for r in rows]
([{'relu': 1}, {}], [True, True])
"""

from __future__ import annotations

import multiprocessing
import sys
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from fractions import Fraction

from ..errors import SelcalcError


@dataclass
class ScanRow:
    """The result for one input."""

    index: int
    ties: dict
    gradient: tuple
    library_equal: bool | None = None
    in_clarke: bool | None = None
    notes: list = field(default_factory=list)


class _Task:
    """What a worker needs: the model (picklable) and how to import it."""

    def __init__(self, model, output, wrt, clarke):
        self.model, self.output, self.wrt, self.clarke = model, output, wrt, clarke
        self.program = None

    def scored(self):
        model, output = self.model, self.output
        if output is None:
            return model

        def fn(*args):
            return output(model(*args))
        fn.__name__ = "scored"
        return fn

    def run(self, index, point):
        from ..autodiff import grad
        from ..fields import clarke
        from ..frontends.torch import from_torch
        from ..interpreters.evaluate import evaluate
        import torch
        args = point if isinstance(point, tuple) else (point,)
        if self.program is None:
            self.program = from_torch(self.scored(), *args, wrt=self.wrt)
        P = self.program
        run = evaluate(P, args)
        ties = Counter(P.node_info(g).op for g in run.ties())
        g = grad(P, args)
        row = ScanRow(index, dict(ties), g)
        xs = [a.detach().clone().requires_grad_(True) for a in args]
        lib = torch.autograd.grad(self.scored()(*xs), xs)
        flat = [v for t in lib for v in t.reshape(-1).tolist()]
        row.library_equal = all(Fraction(a) == Fraction(str(b)) for a, b in zip(flat, g))
        if self.clarke:
            try:
                row.in_clarke = clarke(P, args).contains(g).holds
            except SelcalcError as exc:
                row.notes.append(f"clarke: {exc}")
        return row


_WORKER = {}


def _init(task):
    import torch
    torch.set_num_threads(1)  # one process per core: no oversubscription
    _WORKER["task"] = task


def _work(item):
    return _WORKER["task"].run(*item)


def scan(program_or_model, inputs, *, output=None, clarke=False, workers=1, progress=True):
    """Scan a PyTorch model over ``inputs``: ties, exact gradients, library agreement.

    Parameters
    ----------
    program_or_model : torch.nn.Module or callable of tensors
        The model; it is imported once per process with :func:`selcalc.from_torch`
        (``wrt="inputs"``).
    inputs : iterable of tensors (or tuples of tensors)
    output : callable, optional
        Applied to the model's output to get the scalar that is differentiated
        (default: the model must return a scalar).
    clarke : bool
        Also decide whether the preset gradient lies in the Clarke set (small models).
    workers : int
        Local worker processes (``concurrent.futures``, spawned); 1 runs in this process.
        With workers, the model and ``output`` must be picklable (module-level
        functions, not lambdas).
    progress : bool
        A progress line on stderr.

    Returns
    -------
    list of ScanRow
    """
    if not callable(program_or_model) or hasattr(program_or_model, "coerce_point"):
        raise SelcalcError("scan needs the model (an nn.Module or a function of tensors), "
                           "so that every worker can import it and ask the library for its "
                           "own gradient")
    task = _Task(program_or_model, output, "inputs", clarke)
    items = list(enumerate(inputs))
    rows = []

    def tick(i):
        if progress:
            print(f"\rselcalc scan: {i}/{len(items)}", end="", file=sys.stderr, flush=True)

    if workers <= 1:
        for i, item in enumerate(items, 1):
            rows.append(task.run(*item))
            tick(i)
    else:
        # spawn, not fork: forking a process that runs torch's thread pools can deadlock
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init,
                                 initargs=(task,)) as pool:
            for i, row in enumerate(pool.map(_work, items, chunksize=8), 1):
                rows.append(row)
                tick(i)
    if progress:
        print(file=sys.stderr)
    return rows


def summary(rows):
    """Totals over a scan: images, tied nodes by op, library agreement, Clarke."""
    ties = Counter()
    for r in rows:
        ties.update(r.ties)
    return {"images": len(rows), "images_with_ties": sum(1 for r in rows if r.ties),
            "tied_nodes_by_op": dict(ties),
            "library_equal": sum(1 for r in rows if r.library_equal),
            "outside_clarke": sum(1 for r in rows if r.in_clarke is False)}
