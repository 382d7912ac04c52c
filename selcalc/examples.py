"""Built-in example programs (the paper's Figure 1 family), used by the CLI and docs."""

FIGURE1 = '''\
def relu2(t):
    return relu(-t) + t

def relu3(t):
    return (relu(t) + relu2(t)) / 2

def zero(t):
    return relu2(t) - relu(t)

def identity(t):
    return t - zero(t)
'''

EXAMPLES = {
    "identity": (FIGURE1, "identity", "0"),
    "zero": (FIGURE1, "zero", "0"),
    "relu2": (FIGURE1, "relu2", "0"),
    "relu3": (FIGURE1, "relu3", "0"),
    "max": ("def f(x, y):\n    return max(x, y)\n", "f", "0, 0"),
    "abs-sum": ("def f(x, y):\n    return abs(x) + abs(y)\n", "f", "0, 0"),
}
