"""Every library's measured kink rules, per version: the one home of these facts.

``RULES[library][version][op]`` is the tie rule (see :mod:`selcalc.conventions`) that the
library's own derivative code applies to op ``op`` of that version, measured at every kink
and tie (``selcalc audit``; ``bench/measure_frameworks.py``).  Piece order of each op's
primitive is fixed by :mod:`selcalc.libraries.ops` (left of a kink to its right; window /
reduction elements in the library's scan order), so ``("prefer", (0, 2, 1))`` on a clamp
means "at either bound take the constant piece": derivative 0.

A rule may be ``{"backward": rule, "forward": rule}`` where the library's two modes
disagree (torch 2.13 ``fmax``).

``GENERIC[library]`` says which op of the library selcalc's generic primitive families
(``relu``, ``clip``, ``max`` ... of :func:`selcalc.parse` programs) stand for, so the
presets ``"pytorch@2.13"`` etc. also cover programs written in selcalc's own language.
An importer (``from_torch``, ``from_jax``) gives every node the family ``"<library>.<op>"``.

>>> RULES["torch"]["2.13"]["hardtanh"], RULES["torch"]["2.13"]["clamp"]
(('prefer', (0, 2, 1)), ('prefer', (1, 0, 2)))
>>> newest("torch") in measured_versions("torch")
True
"""

from __future__ import annotations

from fractions import Fraction

from ..errors import Undecided

# the selection rules, by what they pick
IDENTITY_FIRST = ("prefer", (1, 0, 2))   # clamp-like: derivative 1 at a bound
CONSTANT_FIRST = ("prefer", (0, 2, 1))   # clamp-like: derivative 0 at a bound
SECOND_FIRST = ("prefer", (1, 0))        # two pieces: the right one (relu'(0) = 1 style)


def clip_of_two_means(active):
    """``minimum(hi, maximum(lo, x))`` with both ties split 1/2-1/2 (jnp.clip).

    At one bound the two tied pieces get 1/2 each; when ``lo == hi == x`` all three pieces
    are tied and the identity piece gets ``1/2 * 1/2 = 1/4``.

    >>> clip_of_two_means((0, 1, 2))
    {0: Fraction(3, 8), 1: Fraction(1, 4), 2: Fraction(3, 8)}
    """
    if len(active) == 3:
        return {0: Fraction(3, 8), 1: Fraction(1, 4), 2: Fraction(3, 8)}
    return {i: Fraction(1, 2) for i in active}


def selection_order(active):
    """``torch.topk``, ``torch.kthvalue`` and ``torch.median(x, dim)``: the entry they pick
    among tied ones is the one their selection algorithm meets, which is not fixed by the
    index order (measured on torch 2.13: ``topk`` of four equal entries returns the indices
    ``(2, 3, 0)``; ``median(x, 0)`` of four equal entries returns index 1, of
    ``(1, 0, 0, 0)`` index 2; over random ties the index is the first tied one in about a
    quarter of the rows and the last in another quarter).  No rule over the tied pieces
    predicts it, so at a tie that reaches a returned entry the preset's gradient is
    :class:`selcalc.Undecided` (``ad_outputs`` and ``clarke`` still hold every choice,
    torch's among them).  Ties among entries the op does not return never reach this rule:
    the sort node's ``distinct_readings`` has already kept one order of them.

    >>> selection_order((4,))
    {4: 1}
    """
    if len(active) == 1:
        return {active[0]: 1}
    raise Undecided(f"torch.topk / kthvalue / median(x, dim) return the tied entry their "
                    f"selection algorithm meets, not one fixed by index: at this tie "
                    f"({len(active)} tied orders) the gradient is not fixed by a rule; "
                    f"ad_outputs / clarke hold every choice")


def componentwise_first(active, prim):
    """JAX 0.10's forward mode (``jvp``, ``jacfwd``) on a window of a *padded*
    ``lax.reduce_window`` max: the tied entry whose every coordinate in the window is <=
    those of all the other tied entries, when there is one; otherwise
    :class:`selcalc.Undecided`.

    Measured on jax 0.10.2 (CPU, float32 and float64, ``bench/measure_jax_pooling.py``):
    on an op with padding, the order in which forward mode prefers a window's entries is
    not always row-major (a 2x2 window of a 2-D op padded along its last dimension is
    scanned column by column; a 2x3 window can take ``(0,0) (0,1) (1,0) (1,1) (0,2)
    (1,2)``), and which order it is depends on the op's window, padding and dtype, not on
    the tie pattern; in every window measured the order kept the componentwise order of
    the entries, so an entry componentwise before all the other tied ones is the one
    forward mode follows.  Reverse mode, and both modes without padding, take the first
    tied entry in row-major order (the rule ``"first"``).  ``prim.window`` holds the
    pieces' coordinates (:func:`selcalc.libraries.ops.window_extremum`).

    >>> from selcalc.libraries.ops import window_extremum
    >>> box = window_extremum((2, 2), True, "jax.reduce_window_max_padded")
    >>> componentwise_first((0, 3), box), componentwise_first((1, 3), box)
    ({0: 1}, {1: 1})
    >>> componentwise_first((1, 2), box)  # (0, 1) and (1, 0): no rule
    Traceback (most recent call last):
    selcalc.errors.Undecided: ...
    """
    coords = prim.window
    for i in active:
        if all(all(a <= b for a, b in zip(coords[i], coords[j])) for j in active):
            return {i: 1}
    raise Undecided(f"jax forward mode at a tie of a padded reduce_window max "
                    f"({prim.name}): the tied entries {[coords[i] for i in active]} have no "
                    f"componentwise-first one, and which one jvp / jacfwd follows then "
                    f"depends on the op's window, padding and dtype, not on the tie "
                    f"(measured on jax 0.10.2); ad_outputs / clarke hold every choice")


componentwise_first.reads_primitive = True  # called as rule(active, primitive)
componentwise_first.picks_one = True        # a selection where it answers


def clamp_tensor_split(active):
    """torch >= 2.14 ``clamp`` with tensor bounds: a tie of ``x`` with one bound splits
    1/2-1/2; ``x == lo == hi`` sends everything to ``x``; ``lo == hi`` (away from ``x``)
    to ``lo``.  Pieces: ``[lo, x, hi, hi (crossed bounds)]``.

    >>> clamp_tensor_split((0, 1)), clamp_tensor_split((0, 1, 2, 3)), clamp_tensor_split((0, 3))
    ({0: Fraction(1, 2), 1: Fraction(1, 2)}, {1: 1}, {0: 1})
    """
    if 1 in active and len(active) == 2:
        return {i: Fraction(1, 2) for i in active}
    return {next(i for i in (1, 0, 2, 3) if i in active): 1}


PRESET_NAMES = {"torch": "pytorch", "jax": "jax", "tensorflow": "tensorflow"}

_TORCH_2_13 = {
    "relu": "first", "abs": "mean", "leaky_relu": "first",
    "hardtanh": CONSTANT_FIRST,            # F.relu6 and F.hardtanh: 0 at both bounds
    "clamp": IDENTITY_FIRST,               # torch.clamp: 1 at a bound
    "clamp_min": SECOND_FIRST, "clamp_max": ("prefer", (0, 1)),
    "maximum": "mean", "minimum": "mean",  # ties split 1/2-1/2
    "amax": "mean", "amin": "mean",        # even split over all maximal entries
    "max_dim": "first", "min_dim": "first",  # the whole derivative to the first index
    "max_pool": "first",                   # max_pool1d/2d: first maximal in the window
    "max_all": "mean", "min_all": "mean",  # torch.max(x) without dim: even split
    "fmax": {"backward": "first", "forward": "last"},  # the modes disagree
    "fmin": "first",
    "sort": "first",
    "elu": "first",                        # F.elu / F.selu: the left piece at 0
    "celu": "first",
    "prelu": {"backward": "first", "forward": "last"},  # slope in reverse, 1 in forward
    "hardsigmoid": CONSTANT_FIRST, "hardswish": CONSTANT_FIRST,  # 0 at -3; 0 / 1 at 3
    "softshrink": ("prefer", (1, 0, 2)),   # the zero piece at +-lambda
    "smooth_l1_loss": "first", "huber_loss": "first",  # C1 at the joints
    # clamp(x, lo_t, hi_t), pieces [lo, x, hi, hi]: x at every tie with it (at lo == hi > x
    # torch 2.13 reverse mode returns 0, which no rule over the tied pieces gives)
    "clamp_tensor": ("prefer", (1, 0, 2, 3)),
    "clamp_min_tensor": {"backward": SECOND_FIRST, "forward": ("prefer", (0, 1))},
    "clamp_max_tensor": {"backward": ("prefer", (0, 1)), "forward": SECOND_FIRST},
    "median": "mean",                      # torch.median(x): even split over equal entries
    "topk": selection_order,               # ties: the selection algorithm's order
    "median_dim": selection_order,         # torch.median(x, dim): the index it returns
    "kthvalue": selection_order,           # (neither the first nor the last tied one)
    "adaptive_max_pool": "first",          # first maximal entry of the window
    "argmax_gather": "first",              # x.gather(d, x.argmax(d)): the first index
}

RULES = {
    "torch": {
        "2.13": _TORCH_2_13,
        # measured on torch 2.14.1: clamp at a bound now gives 0, fmax / fmin split ties
        "2.14": {**_TORCH_2_13, "clamp": CONSTANT_FIRST, "clamp_min": "first",
                 "clamp_max": SECOND_FIRST, "fmax": "mean", "fmin": "mean",
                 "clamp_tensor": clamp_tensor_split, "clamp_min_tensor": "mean",
                 "clamp_max_tensor": "mean"},
    },
    "jax": {
        "0.10": {
            "relu": "first", "abs": SECOND_FIRST, "leaky_relu": SECOND_FIRST,
            "relu6": CONSTANT_FIRST,
            "max": "mean", "min": "mean",          # lax.max / lax.min: 1/2-1/2
            "reduce_max": "mean", "reduce_min": "mean",
            "reduce_window_max": "first",          # lax.reduce_window max pooling
            # ... with padding: forward mode's scan order depends on the op (measured)
            "reduce_window_max_padded": {"backward": "first", "forward": componentwise_first},
            "clip": clip_of_two_means, "sort": "first",
            "top_k": "first",                      # ties keep index order
        },
    },
    "tensorflow": {
        "2.21": {
            "relu": "first", "abs": "mean", "leaky_relu": "first",
            "maximum": "first", "minimum": "first",
            "reduce_max": "mean", "reduce_min": "mean",
            "clip_by_value": IDENTITY_FIRST, "sort": "first",
        },
    },
}

GENERIC = {
    "torch": {"relu": "relu", "abs": "abs", "leaky_relu": "leaky_relu", "maximum": "maximum",
              "minimum": "minimum", "max": "amax", "min": "amin", "clip": "clamp",
              "sort": "sort"},
    "jax": {"relu": "relu", "abs": "abs", "leaky_relu": "leaky_relu", "maximum": "max",
            "minimum": "min", "max": "reduce_max", "min": "reduce_min", "clip": "clip",
            "sort": "sort"},
    "tensorflow": {"relu": "relu", "abs": "abs", "leaky_relu": "leaky_relu",
                   "maximum": "maximum", "minimum": "minimum", "max": "reduce_max",
                   "min": "reduce_min", "clip": "clip_by_value", "sort": "sort"},
}

DESCRIPTIONS = {
    "torch": "torch.relu, torch.abs, F.leaky_relu, F.relu6/F.hardtanh, torch.clamp, "
             "torch.maximum/minimum, torch.amax/amin, torch.max/min(dim), F.max_pool1d/2d, "
             "torch.sort",
    "jax": "jax.nn.relu, jnp.abs, jax.nn.leaky_relu, jax.nn.relu6, jnp.maximum/minimum, "
           "jnp.max/min, jnp.clip, jnp.sort",
    "tensorflow": "tf.nn.relu, tf.abs, tf.nn.leaky_relu, tf.maximum/minimum, "
                  "tf.reduce_max/min, tf.clip_by_value, tf.sort",
}


def _key(version):
    return tuple(int(p) for p in version.split("."))


def measured_versions(library):
    """The measured versions of ``library`` (``"torch"``, ``"jax"``, ``"tensorflow"``), oldest first."""
    return sorted(RULES[library], key=_key)


def newest(library):
    """The newest measured version of ``library``: what the plain preset name means."""
    return measured_versions(library)[-1]


def family(library, op):
    """The primitive family of ``op`` of ``library`` in imported programs."""
    return f"{library}.{op}"


_MEANING = {  # (op, rule) -> what the derivative is, where the generic words are unclear
    ("clamp_min", SECOND_FIRST): "1 at the bound", ("clamp_min", "first"): "0 at the bound",
    ("clamp_max", ("prefer", (0, 1))): "1 at the bound",
    ("clamp_max", SECOND_FIRST): "0 at the bound",
    ("relu", "first"): "0 at 0", ("abs", SECOND_FIRST): "1 at 0", ("abs", "mean"): "0 at 0",
    ("leaky_relu", "first"): "the negative slope at 0", ("leaky_relu", SECOND_FIRST): "1 at 0",
    ("max_pool", "first"): "first maximal entry of the window",
    ("reduce_window_max", "first"): "first maximal entry of the window",
    ("reduce_window_max_padded", "first"): "first maximal entry of the window",
    ("max_dim", "first"): "first maximal index", ("min_dim", "first"): "first minimal index",
    ("elu", "first"): "the left piece at 0 (scale * alpha)",
    ("celu", "first"): "the left piece at 0 (both pieces have slope 1)",
    ("prelu", "first"): "the slope at 0", ("prelu", "last"): "1 at 0",
    ("hardsigmoid", CONSTANT_FIRST): "0 at -3 and at 3",
    ("hardswish", CONSTANT_FIRST): "0 at -3, 1 at 3",
    ("softshrink", ("prefer", (1, 0, 2))): "0 at -lambda and at lambda",
    ("smooth_l1_loss", "first"): "C1 at the joints (one value)",
    ("huber_loss", "first"): "C1 at the joints (one value)",
    ("clamp_tensor", ("prefer", (1, 0, 2, 3))): "x at every tie with x (lo at lo == hi)",
    ("clamp_min_tensor", SECOND_FIRST): "x", ("clamp_min_tensor", ("prefer", (0, 1))): "the bound",
    ("clamp_max_tensor", ("prefer", (0, 1))): "x", ("clamp_max_tensor", SECOND_FIRST): "the bound",
    ("clamp_min_tensor", "mean"): "even split (x, bound)",
    ("clamp_max_tensor", "mean"): "even split (x, bound)",
    ("median", "mean"): "even split over the entries equal to the median",
    ("sort", "first"): "tied entries keep their order",
    ("top_k", "first"): "tied entries keep their order",
    ("adaptive_max_pool", "first"): "first maximal entry of the window",
    ("argmax_gather", "first"): "first maximal index",
}


_CALLABLE_MEANING = {
    "clip_of_two_means": "1/2 at a bound, 1/4 when lo == hi",
    "clamp_tensor_split": "even split of x with a bound; x when x == lo == hi",
    "selection_order": "not by index (selection algorithm): unknown at a tie of a returned entry",
    "componentwise_first": "the tied entry componentwise before the other tied ones; "
                           "unknown when there is none",
}


def describe_rule(rule, op=None):
    """A rule in words (for the docs' tables).

    >>> describe_rule(CONSTANT_FIRST), describe_rule({"backward": "first", "forward": "last"})
    ('0 at a bound', 'reverse: first tied piece; forward: last tied piece')
    """
    if isinstance(rule, dict):
        return (f"reverse: {describe_rule(rule['backward'], op)}; "
                f"forward: {describe_rule(rule['forward'], op)}")
    if not callable(rule) and (op, rule) in _MEANING:
        return _MEANING[op, rule]
    words = {"first": "first tied piece", "last": "last tied piece", "mean": "even split",
             IDENTITY_FIRST: "1 at a bound", CONSTANT_FIRST: "0 at a bound",
             SECOND_FIRST: "right piece", ("prefer", (0, 1)): "left piece"}
    if callable(rule):
        return _CALLABLE_MEANING[rule.__name__]
    return words.get(rule, str(rule))


def markdown(library):
    """The measured rules of ``library`` as a Markdown table, one column per version."""
    versions = measured_versions(library)
    ops = sorted({op for v in versions for op in RULES[library][v]})
    lines = ["| op | " + " | ".join(f"{library} {v}" for v in versions) + " |",
             "|---|" + "---|" * len(versions)]
    for op in ops:
        cells = [describe_rule(RULES[library][v][op], op) if op in RULES[library][v] else "—"
                 for v in versions]
        lines.append(f"| `{op}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)
