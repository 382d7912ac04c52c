"""``selcalc.from_jax``: a JAX function → :class:`selcalc.Program` (placeholder)."""


def from_jax(fn, *example_args):
    raise NotImplementedError
