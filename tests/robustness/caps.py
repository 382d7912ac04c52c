"""Per-case time and memory caps for the fuzz suites, and the suite size.

``SELCALC_FUZZ_EXAMPLES`` sets the number of generated cases per fuzz test (default 40, so
CI stays fast; a nightly run uses e.g. 2000).  ``SELCALC_FUZZ_SECONDS`` is the time cap of
one case (default 60 s, generous because the machine running CI may be loaded), and
``SELCALC_FUZZ_MEMORY_MB`` the extra address space one case may take (default 2048 MB).
The cases are the same on every run unless ``SELCALC_FUZZ_RANDOM=1`` asks for fresh ones.
A case past its cap fails the test: a hang or a memory blow-up is a bug, like a crash.
"""

from __future__ import annotations

import os
import signal
import threading
from contextlib import contextmanager

EXAMPLES = int(os.environ.get("SELCALC_FUZZ_EXAMPLES", "40"))
SECONDS = float(os.environ.get("SELCALC_FUZZ_SECONDS", "60"))
MEMORY_MB = int(os.environ.get("SELCALC_FUZZ_MEMORY_MB", "2048"))
#: the same cases on every run unless SELCALC_FUZZ_RANDOM is set (a nightly run sets it)
DERANDOMIZE = not os.environ.get("SELCALC_FUZZ_RANDOM")

try:
    import resource
except ImportError:  # pragma: no cover - not POSIX
    resource = None


class CaseTimeout(BaseException):
    """A fuzz case ran past its time cap (a BaseException, so no ``except Exception`` in the
    code under test can swallow it)."""


def _address_space():
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


@contextmanager
def capped(seconds=None, memory_mb=None):
    """Run the block under a wall-clock cap (SIGALRM) and an address-space cap (RLIMIT_AS
    set to the current size plus ``memory_mb``); both are lifted afterwards.  Caps that the
    platform cannot set are skipped."""
    seconds = SECONDS if seconds is None else seconds
    memory_mb = MEMORY_MB if memory_mb is None else memory_mb
    main = threading.current_thread() is threading.main_thread()
    use_alarm = main and hasattr(signal, "setitimer")
    old_handler = old_limit = None
    if use_alarm:
        def _expired(signum, frame):
            raise CaseTimeout(f"the case ran past its cap of {seconds:g} s")
        old_handler = signal.signal(signal.SIGALRM, _expired)
        signal.setitimer(signal.ITIMER_REAL, seconds)
    size = _address_space() if resource is not None else None
    if size is not None:
        old_limit = resource.getrlimit(resource.RLIMIT_AS)
        cap = size + memory_mb * (1 << 20)
        hard = old_limit[1]
        if hard == resource.RLIM_INFINITY or cap <= hard:
            resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
        else:
            old_limit = None
    try:
        yield
    finally:
        if use_alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old_handler)
        if old_limit is not None:
            resource.setrlimit(resource.RLIMIT_AS, old_limit)
