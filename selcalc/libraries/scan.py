"""``selcalc.scan``: one imported model over a data set, image by image, exactly.

For every input: the tied nodes by op (``relu``, ``max_pool2d_with_indices`` ...), the
gradient under the program's preset, whether the library's own gradient equals it
exactly (when a model is given), optionally whether it lies in the Clarke set, and
optionally the nodes where the library's float arithmetic creates or destroys a tie
(:func:`selcalc.float_ties`).  Runs in this process, in local worker processes
(``engine="processes"``, ``concurrent.futures``; forked where the platform allows, so the
workers inherit the program imported here) or on a Dask cluster (``engine="dask"``),
with a progress line on stderr; the rows are the same, in the same order, whatever the
engine.

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

import math
import multiprocessing
import sys
import threading
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from ..errors import SelcalcError, Undecided

ENGINES = ("processes", "dask")
START_METHODS = ("fork", "forkserver", "spawn")
CHUNK = 8  # default inputs per task sent to a worker (amortises the round trip)
_IMPORT_LOCK = threading.Lock()


@dataclass
class ScanRow:
    """The result for one input.

    ``float_ties`` (with ``scan(..., float_ties=True)``) lists the
    :class:`selcalc.libraries.floats.FloatTie` of that input: nodes whose tie status
    differs between the library's floats and exact arithmetic.  ``gradient`` is ``None``
    when the preset does not fix it at that input (a :class:`selcalc.Undecided`, e.g. a
    ``topk`` tie reaching a returned entry); ``notes`` then says why.
    """

    index: int
    ties: dict
    gradient: tuple | None
    library_equal: bool | None = None
    in_clarke: bool | None = None
    notes: list = field(default_factory=list)
    float_ties: list | None = None


def library_equal(library_floats, exact_values):
    """Whether the library's floats are exactly the exact values, entry by entry.

    A float stands for its binary value (``0.1`` is ``3602879701896397/2**55``, not one
    tenth), and the comparison is a certified sign, so it also holds for irrational exact
    values; ``None`` when a sign cannot be proved.

    >>> from fractions import Fraction
    >>> library_equal([0.5, 0.1], [Fraction(1, 2), Fraction(1, 10)])
    False
    >>> library_equal([0.5, 0.1], [Fraction(1, 2), Fraction(0.1)])
    True
    """
    from ..numbers import compare, to_exact
    library_floats, exact_values = list(library_floats), list(exact_values)
    if len(library_floats) != len(exact_values):
        return False
    verdict = True
    for f, e in zip(library_floats, exact_values):
        if not math.isfinite(f):
            return False
        try:
            if compare(to_exact(float(f)), e) != 0:
                return False
        except Undecided:
            verdict = None
    return verdict


def _arguments(point):
    """An input as the model's argument tuple (a lone tensor is one argument)."""
    return point if isinstance(point, tuple) else (point,)


class _Task:
    """What a worker needs: the model (picklable) and how to import it."""

    def __init__(self, model, output, wrt, clarke, float_ties=False):
        self.model, self.output, self.wrt, self.clarke = model, output, wrt, clarke
        self.float_ties = float_ties
        self.program = None

    def __getstate__(self):  # the imported program stays in the process that made it
        state = dict(self.__dict__)
        state["program"] = None
        return state

    def scored(self):
        model, output = self.model, self.output
        if output is None:
            return model

        def fn(*args):
            return output(model(*args))
        fn.__name__ = "scored"
        return fn

    def imported(self, args):
        """The program, imported from the model at the first input seen (once per process)."""
        from ..frontends.torch import from_torch
        with _IMPORT_LOCK:  # Dask workers may be threads sharing this task
            if self.program is None:
                self.program = from_torch(self.scored(), *args, wrt=self.wrt)
        return self.program

    def run(self, index, point):
        from ..autodiff import jacobian_rows
        from ..fields import clarke
        from ..interpreters.evaluate import evaluate
        from ..numbers import canonical
        from .floats import float_ties
        import torch
        args = _arguments(point)
        P = self.imported(args)
        try:
            run = evaluate(P, args)  # the one exact evaluation of this input
        except SelcalcError as exc:
            exc.add_note(f"selcalc scan: at input {index}")
            raise
        row = ScanRow(index, dict(Counter(P.node_info(g).op for g in run.ties())), None)
        try:
            row.gradient = tuple(canonical(v) for v in jacobian_rows(P, args, run=run)[0])
        except Undecided as exc:
            row.notes.append(f"gradient: {exc}")
        if row.gradient is not None:
            xs = [a.detach().clone().requires_grad_(True) for a in args]
            lib = torch.autograd.grad(self.scored()(*xs), xs)
            flat = [v for t in lib for v in t.reshape(-1).tolist()]
            row.library_equal = library_equal(flat, row.gradient)
        if self.clarke and row.gradient is not None:
            try:
                row.in_clarke = clarke(P, args).contains(row.gradient).holds
            except SelcalcError as exc:
                row.notes.append(f"clarke: {exc}")
        if self.float_ties:
            row.float_ties = float_ties(P, args, run=run)
        return row

    def run_chunk(self, chunk):
        return [self.run(i, x) for i, x in chunk]


_WORKER = {}


def _init(task):
    import torch
    torch.set_num_threads(1)  # one process per core: no oversubscription
    _WORKER["task"] = task


def _work(chunk):
    return _WORKER["task"].run_chunk(chunk)


def _dask_work(task, chunk):
    """One chunk on a Dask worker; ``task`` is the scattered copy that worker keeps, so
    the model is imported once per worker (its program is cached on that copy)."""
    import torch
    torch.set_num_threads(1)
    return task.run_chunk(chunk)


def _dask_chunks(task, chunks, workers, client, tick):
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise SelcalcError("scan(engine='dask') needs dask.distributed: "
                           "pip install 'selcalc[cluster]' (or dask[distributed])") from None
    own = None
    if client is None:
        cluster = LocalCluster(n_workers=max(1, workers), threads_per_worker=1,
                               processes=True, dashboard_address=None)
        own = client = Client(cluster)
    try:
        shared = client.scatter(task, broadcast=True)
        futures = [client.submit(_dask_work, shared, chunk, pure=False) for chunk in chunks]
        size = {fut.key: len(chunk) for fut, chunk in zip(futures, chunks)}
        done = 0
        for fut in as_completed(futures):
            done += size[fut.key]
            tick(done)
        return [fut.result() for fut in futures]  # submission order; re-raises errors
    finally:
        if own is not None:
            cluster = own.cluster
            own.close()
            cluster.close()


def _pool_chunks(task, chunks, workers, start_method):
    """Chunks on a pool of local processes, results in submission order.  Forked workers
    inherit ``task`` with the program already imported; spawned / forkserver ones receive
    it pickled (without the program) and import the model once each."""
    ctx = multiprocessing.get_context(start_method)
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init,
                             initargs=(task,)) as pool:
        yield from pool.map(_work, chunks)


def default_start_method():
    """``"fork"`` where the platform has it (Linux), else ``"spawn"``."""
    return "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"


def scan(program_or_model, inputs, *, output=None, clarke=False, float_ties=False,
         workers=1, engine="processes", client=None, chunk=None, start_method=None,
         progress=True):
    """Scan a PyTorch model over ``inputs``: ties, exact gradients, library agreement.

    Parameters
    ----------
    program_or_model : torch.nn.Module or callable of tensors
        The model; it is imported with :func:`selcalc.from_torch` (``wrt="inputs"``) at
        the first input, once per process that needs it.
    inputs : iterable of tensors (or tuples of tensors)
    output : callable, optional
        Applied to the model's output to get the scalar that is differentiated
        (default: the model must return a scalar).
    clarke : bool
        Also decide whether the preset gradient lies in the Clarke set (small models).
    float_ties : bool
        Also list, per input (``ScanRow.float_ties``), the nodes where the library's own
        forward pass in the inputs' dtype creates or destroys a tie that exact arithmetic
        does not have (:func:`selcalc.float_ties`).
    workers : int
        Worker processes; with ``engine="processes"`` 1 runs in this process.
    engine : ``"processes"`` or ``"dask"``
        ``"processes"``: local worker processes (``concurrent.futures``).  The model is
        imported here first; forked workers (the default where the platform has
        ``fork``) inherit that program, so anything callable works.  With
        ``start_method="spawn"`` or ``"forkserver"`` the model and ``output`` are pickled
        to each worker (module-level functions and classes, not lambdas) and imported
        there.  ``"dask"``: tasks on a ``dask.distributed`` cluster — ``client`` if
        given, else a ``LocalCluster`` of ``workers`` processes started and closed here
        (install the ``cluster`` extra); the model is scattered to the workers once.
        The rows are the same, in the same order, for every engine.
    client : distributed.Client, optional
        An existing Dask client (``engine="dask"`` only).
    chunk : int, optional
        Inputs per task sent to a worker (default 8).
    start_method : ``"fork"``, ``"forkserver"`` or ``"spawn"``, optional
        How ``engine="processes"`` starts its workers (default: ``fork`` where available,
        else ``spawn``).  Forked workers run torch on one thread, as torch's own data
        loader workers do.
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
    if engine not in ENGINES:
        raise SelcalcError(f"scan: unknown engine {engine!r}; use one of {', '.join(ENGINES)}")
    if client is not None and engine != "dask":
        raise SelcalcError("scan: client= is a Dask client; pass engine='dask' with it")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise SelcalcError(f"scan: workers must be a positive integer, not {workers!r}")
    if chunk is None:
        chunk = CHUNK
    if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1:
        raise SelcalcError(f"scan: chunk must be a positive integer, not {chunk!r}")
    if start_method is None:
        start_method = default_start_method()
    if start_method not in START_METHODS or \
            start_method not in multiprocessing.get_all_start_methods():
        raise SelcalcError(f"scan: start_method {start_method!r} is not available here; use "
                           f"one of {', '.join(multiprocessing.get_all_start_methods())}")
    task = _Task(program_or_model, output, "inputs", clarke, float_ties)
    items = list(enumerate(inputs))
    chunks = [items[i:i + chunk] for i in range(0, len(items), chunk)]

    def tick(i):
        if progress:
            print(f"\rselcalc scan: {i}/{len(items)}", end="", file=sys.stderr, flush=True)

    rows = []
    if engine == "dask":
        for part in _dask_chunks(task, chunks, workers, client, tick):
            rows.extend(part)
    elif workers <= 1 or len(chunks) <= 1:
        for i, item in enumerate(items, 1):
            rows.append(task.run(*item))
            tick(i)
    else:
        if start_method == "fork":  # import once, here; the workers inherit it
            task.imported(_arguments(items[0][1]))
        for part in _pool_chunks(task, chunks, workers, start_method):
            rows.extend(part)
            tick(len(rows))
    if progress:
        print(file=sys.stderr)
    return rows


def summary(rows):
    """Totals over a scan: images, tied nodes by op, library agreement, Clarke, and (with
    ``float_ties=True``) the float-created / destroyed / moved ties by kind."""
    ties, kinds = Counter(), Counter()
    for r in rows:
        ties.update(r.ties)
        kinds.update(t.kind for t in r.float_ties or ())
    out = {"images": len(rows), "images_with_ties": sum(1 for r in rows if r.ties),
           "tied_nodes_by_op": dict(ties),
           "library_equal": sum(1 for r in rows if r.library_equal),
           "outside_clarke": sum(1 for r in rows if r.in_clarke is False)}
    if any(r.float_ties is not None for r in rows):
        out["float_ties_by_kind"] = dict(kinds)
        out["images_with_float_ties"] = sum(1 for r in rows if r.float_ties)
    return out
