"""The same z3-backed decision answers the same, with the same certificate, idle or loaded.

z3 runs under a deterministic resource limit (``rlimit``), never a wall-clock timeout, so
a busy machine cannot turn "holds" into "unknown".  The child process below makes
nonlinear decisions (nlsat), Gordan / cone certificates (a z3 model) and a Clarke
computation; it runs once on its own and once while another process burns a core.
"""

import os
import subprocess
import sys
import time

_CHILD = r"""
import json, random, sympy, selcalc
from selcalc.decide import local_interior, open_cone
x, y = sympy.symbols("x y")
out = []
for k in range(-2, 3):
    d = local_interior([(x**3 - y**2 + k*x*y, 1), (y - x**2, -1)], [x, y], (0, 0))
    out.append([d.holds, sorted(map(str, d.certificate.items()))])
    d = local_interior([(x**2 + y**2 - sympy.Rational(1, 4) + k * x, 1)], [x, y], (0, 0))
    out.append([d.holds, sorted(map(str, d.certificate.items()))])
random.seed(7)
for _ in range(8):
    c = [tuple(random.randint(-4, 4) for _ in range(3)) for _ in range(4)]
    d = open_cone(c)
    out.append([d.holds, str(d.certificate.get("direction"))])
P = selcalc.parse("def f(x, y):\n    return relu(x*y - y**3) + abs(x - y**2)")
out.append(str(selcalc.clarke(P, (0, 0))))
print(json.dumps(out))
"""


def _child(env):
    return subprocess.run([sys.executable, "-c", _CHILD], env=env, capture_output=True,
                          text=True, timeout=300)


def test_same_answers_under_cpu_load():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([root] + sys.path))
    idle = _child(env)
    assert idle.returncode == 0 and idle.stdout.strip(), idle.stderr
    burner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.2)  # let the burner take its core
        busy = _child(dict(env, PYTHONHASHSEED="4242"))
    finally:
        burner.kill()
        burner.wait()
    assert busy.returncode == 0, busy.stderr
    assert busy.stdout == idle.stdout
    assert "null" not in idle.stdout  # every decision was reached (no unknown)
