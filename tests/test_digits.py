"""Real images: scikit-learn's bundled 8x8 digits (no download) through small CNNs.

Pixels are integers 0..16, scaled by 1/16 (exact in float64); weights are random dyadic
numbers, biases zero, so torch's float64 gradient is exact and is compared as a rational.
The digits' blank borders tie ReLUs at 0 and make flat max-pooling windows.
"""

from __future__ import annotations

import random

import pytest

import selcalc
from selcalc.libraries.scan import summary

torch = pytest.importorskip("torch")
datasets = pytest.importorskip("sklearn.datasets")
nn, F = torch.nn, torch.nn.functional
pytestmark = [pytest.mark.frameworks,
              pytest.mark.filterwarnings("ignore::DeprecationWarning")]


def digits(n):
    images = datasets.load_digits().images[:n] / 16.0
    return [torch.tensor(im, dtype=torch.float64).reshape(1, 1, 8, 8) for im in images]


def dyadic_model(model, seed):
    rng = random.Random(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.tensor([0.0 if name.endswith("bias") else rng.randint(-4, 4) / 8
                                  for _ in range(p.numel())], dtype=torch.float64).reshape(p.shape))
    return model.double()


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3, padding=1)
        self.fc = nn.Linear(2 * 4 * 4, 10)

    def forward(self, x):
        h = F.max_pool2d(F.relu(self.conv(x)), 2)
        y = self.fc(h.flatten(1))
        return F.relu(y - y[:, :1] + 1).sum()


def test_digits_scan_ties_and_exact_agreement_with_torch():
    model = dyadic_model(SmallCNN(), 0)
    rows = selcalc.scan(model, digits(12), progress=False)
    s = summary(rows)
    assert s["images"] == 12 and s["library_equal"] == 12
    # blank borders: every image has tied ReLUs and flat pooling windows
    assert all(r.ties.get("relu", 0) > 0 and r.ties.get("max_pool2d_with_indices", 0) > 0
               for r in rows)


def test_digits_clarke_on_a_tiny_model():
    """Disjoint 2x2 patches, stride 2: f = Σ relu(w·patch) is separable, so at a blank patch
    the Clarke set of its term is conv{0, w}, which contains relu'(0) = 0: the preset
    gradient is a Clarke element on every image."""
    model = dyadic_model(nn.Sequential(nn.Conv2d(1, 1, 2, stride=2), nn.ReLU()), 1)
    corners = [im[:, :, :4, :4].contiguous() for im in digits(3)]  # 4 patches, some blank
    rows = selcalc.scan(model, corners, output=lambda y: y.sum(), clarke=True,
                        progress=False)
    assert all(r.library_equal and r.in_clarke is True for r in rows)
    assert all(r.ties.get("relu", 0) > 0 for r in rows)


def _key(rows):
    return [(r.index, r.ties, r.gradient, r.library_equal) for r in rows]


def test_scan_in_two_forked_processes_gives_the_same_rows():
    """Forked workers (the default on Linux) inherit the program imported here: chunks of 2
    over 7 images (4 tasks, the last short), rows in input order."""
    model = dyadic_model(SmallCNN(), 2)
    data = digits(7)
    one = selcalc.scan(model, data, progress=False)
    two = selcalc.scan(model, data, workers=2, chunk=2, start_method="fork", progress=False)
    assert _key(one) == _key(two) and [r.index for r in two] == list(range(7))


@pytest.mark.slow
def test_scan_in_two_spawned_processes_gives_the_same_rows():
    """Spawned workers get the model pickled and import it themselves."""
    model = dyadic_model(SmallCNN(), 2)
    data = digits(6)
    one = selcalc.scan(model, data, progress=False)
    two = selcalc.scan(model, data, workers=2, chunk=3, start_method="spawn",
                       progress=False)
    assert _key(one) == _key(two)


def _same_rows_on_dask(capsys, **kw):
    pytest.importorskip("distributed")
    model = dyadic_model(SmallCNN(), 3)
    data = digits(10)  # two chunks of 8 and 2: order across tasks is checked
    here = selcalc.scan(model, data, progress=False)
    there = selcalc.scan(model, data, engine="dask", float_ties=True, **kw)
    key = [(r.index, r.ties, r.gradient, r.library_equal) for r in here]
    assert [(r.index, r.ties, r.gradient, r.library_equal) for r in there] == key
    assert [r.float_ties for r in there] == [[]] * 10  # float64, dyadic: no float ties
    assert "selcalc scan: 10/10" in capsys.readouterr().err


def test_scan_through_a_given_dask_client_gives_the_same_rows(capsys):
    """engine="dask" with client=: the rows of the local path, same order, same answers,
    and a progress line on stderr (an in-process cluster of 2 threads: quick)."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        _same_rows_on_dask(capsys, client=client)


@pytest.mark.slow
def test_scan_on_a_dask_local_cluster_of_two_processes(capsys):
    """engine="dask", workers=2: scan starts (and closes) a LocalCluster of 2 processes."""
    _same_rows_on_dask(capsys, workers=2)


def test_scan_engine_errors_say_what_to_do():
    model = dyadic_model(SmallCNN(), 0)
    with pytest.raises(selcalc.SelcalcError, match="unknown engine 'spark'"):
        selcalc.scan(model, digits(1), engine="spark")
    with pytest.raises(selcalc.SelcalcError, match="engine='dask'"):
        selcalc.scan(model, digits(1), client=object())
    for bad in ({"workers": 0}, {"workers": 1.5}, {"chunk": 0}, {"chunk": True}):
        with pytest.raises(selcalc.SelcalcError, match="positive integer"):
            selcalc.scan(model, digits(1), progress=False, **bad)
    with pytest.raises(selcalc.SelcalcError, match="start_method 'threads'"):
        selcalc.scan(model, digits(1), start_method="threads", progress=False)
