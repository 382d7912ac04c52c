"""Tests for selcalc.theorems.lemma1 (Lemma 1 of Bolte & Pauwels (NeurIPS 2020))."""

import random
from types import SimpleNamespace

import networkx as nx
import pytest
import sympy

from selcalc.theorems.lemma1 import (
    PROOF_STEPS, check_proof_step, d_symbol, naive_lemma1, prove_factor_identity,
    prove_forward_equals_backward, prove_lemma1, verify_lemma1_proof)


def dense_product(p, m, order, kind, project, values=None):
    """Independent dense product; symbolic d's, or numbers ``values[k][j-1]``."""
    I = sympy.eye(m)
    M = sympy.diag(*([1] * p + [0] * (m - p))) if project else I
    for k in order:
        if values is None:
            d = sympy.Matrix([d_symbol(k, j) for j in range(1, m + 1)])
        else:
            d = sympy.Matrix(values[k])
        e = I[:, k - 1]
        M = M * ((I - e * e.T + d * e.T) if kind == "A" else (I + d * e.T))
    return M.expand()


# ---------------------------------------------------------------------------- Lemma 1

@pytest.mark.parametrize("p,m", [(1, 2), (1, 5), (2, 7), (3, 3), (4, 9), (1, 64), (4, 64),
                                 (7, 130)])
def test_prove_lemma1_holds(p, m):
    v = prove_lemma1(p, m)
    assert v.holds is True
    assert any("induction steps" in c for c in v.checked)
    assert any("cross-check" in c for c in v.checked)
    assert len(v.certificate["columns"]) == m
    # polynomial size: one node per processed column (plus zero and the p basis vectors)
    assert v.certificate["nodes"] == m + 1


@pytest.mark.parametrize("p,m", [(1, 2), (1, 4), (2, 5), (3, 6), (1, 7)])
def test_agrees_with_naive_and_certificate_expands_to_product(p, m):
    v, naive = prove_lemma1(p, m), naive_lemma1(p, m)
    assert v.holds is True and naive.holds is True
    prog = v.certificate["program"]
    common = sympy.Matrix.hstack(*[prog.to_sympy(c) for c in v.certificate["columns"]])
    assert common == naive.certificate["matrix"]
    order = list(range(p + 1, m + 1))
    assert common == dense_product(p, m, order, "A", True)
    assert common == dense_product(p, m, order, "B", True)


@pytest.mark.parametrize("variant", [
    dict(project=False),            # P_p dropped
    dict(order=[2, 3, 4, 5]),       # an index <= p (here p = 2)
    dict(order=[3, 4, 3, 5]),       # a repeated factor
])
def test_wrong_variants_are_refuted_with_checkable_witness(variant):
    p, m = 2, 5
    v = prove_factor_identity(p, m, **variant)
    assert v.holds is False
    w = v.certificate
    order = variant.get("order", list(range(p + 1, m + 1)))
    project = variant.get("project", True)
    vec = sympy.Matrix(w["v"])
    lhs = dense_product(p, m, order, "A", project, w["d"]) * vec
    rhs = dense_product(p, m, order, "B", project, w["d"]) * vec
    assert lhs[w["row"] - 1] == w["lhs_v"] != w["rhs_v"] == rhs[w["row"] - 1]


def test_dropping_projection_is_false_densely_too():
    # the refutation is not an artefact of the engine: the dense products differ
    order = [2, 3]
    assert dense_product(1, 3, order, "A", False) != dense_product(1, 3, order, "B", False)


@pytest.mark.parametrize("order", [[6, 5, 4, 3], [4, 6, 3, 5], [5, 3]])
def test_any_order_of_distinct_indices_above_p_holds(order):
    v = prove_factor_identity(2, 6, order=order)
    assert v.holds is True
    assert dense_product(2, 6, order, "A", True) == dense_product(2, 6, order, "B", True)


def test_p_equal_m_is_the_empty_product():
    assert prove_lemma1(3, 3).holds is True
    assert naive_lemma1(3, 3).holds is True


@pytest.mark.parametrize("p,m", [(0, 3), (4, 3), (-1, 2), (1.0, 3), (1, "3"), (True, 3)])
def test_bad_sizes_raise(p, m):
    with pytest.raises(ValueError):
        prove_lemma1(p, m)
    with pytest.raises(ValueError):
        naive_lemma1(p, m)


def test_bad_order_raises():
    with pytest.raises(ValueError):
        prove_factor_identity(1, 3, order=[4])


# ------------------------------------------------------------- the written proof's steps

@pytest.mark.parametrize("p,m", [(1, 2), (1, 4), (2, 4), (2, 5), (3, 6), (4, 4)])
@pytest.mark.parametrize("step", list(PROOF_STEPS))
def test_each_proof_step_checks(step, p, m):
    assert check_proof_step(step, p, m) is True


def test_verify_lemma1_proof():
    v = verify_lemma1_proof(2, 5)
    assert v.holds is True
    assert set(v.certificate) == set(PROOF_STEPS)


def test_unknown_step_raises():
    with pytest.raises(ValueError):
        check_proof_step("magic", 1, 3)


# --------------------------------------------------- forward and backward mode on programs

def program(p, m, preds, q=1):
    return SimpleNamespace(p=p, q=q, m=m, pr=lambda k: preds[k])


def paths_oracle(P):
    """Independent: the path sum, by enumerating paths in a networkx DAG."""
    g = nx.DiGraph()
    g.add_nodes_from(range(1, P.m + 1))
    for k in range(P.p + 1, P.m + 1):
        g.add_edges_from((j, k) for j in P.pr(k))
    outputs = range(P.m - P.q + 1, P.m + 1)
    counts, entries = [], []
    for o in outputs:
        crow, erow = [], []
        for i in range(1, P.p + 1):
            paths = [[i]] if i == o else list(nx.all_simple_paths(g, i, o))
            crow.append(len(paths))
            erow.append(sympy.Add(*[sympy.Mul(*[d_symbol(b, a) for a, b in zip(path, path[1:])])
                                    for path in paths]))
        counts.append(crow)
        entries.append(erow)
    return counts, sympy.Matrix(entries)


def random_dag(rng, p, m, q):
    preds = {k: tuple(sorted(rng.sample(range(1, k), rng.randint(1, min(3, k - 1)))))
             for k in range(p + 1, m + 1)}
    return program(p, m, preds, q)


LADDER = {3: (1, 2), 4: (1, 2)}
LADDER.update({k: (k - 2, k - 1) for k in range(5, 13)})

PROGRAMS = {
    "chain": program(1, 6, {k: (k - 1,) for k in range(2, 7)}),
    "diamond": program(1, 4, {2: (1,), 3: (1,), 4: (2, 3)}),
    "two-input diamond": program(2, 5, {3: (1, 2), 4: (1, 3), 5: (3, 4)}),
    "multi-output": program(2, 6, {3: (1, 2), 4: (3,), 5: (3, 1), 6: (4, 5, 2)}, q=3),
    "output is an input": program(2, 3, {3: (1, 2)}, q=3),
    "ladder (exponential paths)": program(2, 12, LADDER, q=2),
}


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_forward_equals_backward_on_stand_in_dags(name):
    P = PROGRAMS[name]
    v = prove_forward_equals_backward(P)
    assert v.holds is True
    counts, jacobian = paths_oracle(P)
    assert v.certificate["monomials"] == counts
    assert v.certificate["total_monomials"] == sum(map(sum, counts))
    assert (v.certificate["jacobian"] - jacobian).expand() == sympy.zeros(P.q, P.p)


def test_ladder_path_counts_are_fibonacci():
    # paths from either input: 1 to nodes 3 and 4, then N(k) = N(k-1) + N(k-2)
    v = prove_forward_equals_backward(PROGRAMS["ladder (exponential paths)"])
    assert v.certificate["monomials"] == [[34, 34], [55, 55]]


@pytest.mark.parametrize("seed", range(6))
def test_forward_equals_backward_on_random_dags(seed):
    rng = random.Random(seed)
    P = random_dag(rng, rng.randint(1, 3), rng.randint(5, 10), rng.randint(1, 3))
    v = prove_forward_equals_backward(P)
    assert v.holds is True
    counts, jacobian = paths_oracle(P)
    assert v.certificate["monomials"] == counts
    assert (v.certificate["jacobian"] - jacobian).expand() == sympy.zeros(P.q, P.p)


def test_repeated_argument_is_one_edge():
    # x_3 = x_2 * x_2 after x_2 = g(x_1): d_3[2] is the total partial with respect to node 2
    v = prove_forward_equals_backward(program(1, 3, {2: (1,), 3: (2, 2)}))
    assert v.holds is True
    assert v.certificate["monomials"] == [[1]]
    assert v.certificate["jacobian"][0, 0] == d_symbol(2, 1) * d_symbol(3, 2)


@pytest.mark.parametrize("preds", [{2: (2,)}, {2: (0,)}, {2: (1.0,)}])
def test_malformed_programs_raise(preds):
    with pytest.raises(ValueError):
        prove_forward_equals_backward(program(1, 2, preds))
