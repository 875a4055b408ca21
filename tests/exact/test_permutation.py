"""Exact column-permutation search (fsmf_check.exact.permutation) and certify's columns = "auto"."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fsmf_check.commands.certify import certify_case
from fsmf_check.errors import CaseFormatError, InvalidInputError
from fsmf_check.exact._backend import Field, get_backend
from fsmf_check.exact.chain import decide_chain_membership
from fsmf_check.exact.permutation import find_column_permutation_exact, permute_columns
from fsmf_check.exact.targets import (
    ExactTarget,
    chain_product,
    dft_matrix,
    hadamard_matrix,
    random_integer_factors,
)
from fsmf_check.inputs.cases import load_case, parse_case
from fsmf_check.model.families import bitrev, butterfly
from fsmf_check.numeric.permutation import find_column_permutation
from tests.exact._helpers import planted

CASES = Path(__file__).resolve().parents[2] / "cases"
BK = get_backend("flint", 1)


def _product(n: int, order: str, seed: int, generic: bool = False) -> ExactTarget:
    chain = butterfly(n, order)
    masks = [chain.factor_mask(i) for i in range(chain.n_factors)]
    if generic:  # nonzero rationals on every support entry
        rng = np.random.default_rng(seed)
        factors = [planted(m.toarray().astype(bool), BK, rng) for m in masks]
    else:  # integers in [-9, 9], zeros included
        factors = random_integer_factors(masks, seed, BK)
    return ExactTarget(chain_product(factors, BK), Field(1), BK, f"product n={n}")


def _shuffle(T: ExactTarget, p: np.ndarray) -> ExactTarget:
    return ExactTarget(T.A[:, p], T.field, T.backend, T.description + " shuffled")


def _matrix(rows: list[list[int]]) -> ExactTarget:
    return ExactTarget(BK.array(rows), Field(1), BK, "explicit")


def _is_tree_automorphism(q: np.ndarray) -> bool:
    """q maps every aligned dyadic block onto an aligned dyadic block of the same size."""
    n = q.size
    size = 2
    while size <= n:
        for start in range(0, n, size):
            block = np.sort(q[start:start + size])
            if block[0] % size or not np.array_equal(block, np.arange(block[0],
                                                                      block[0] + size)):
                return False
        size *= 2
    return True


def _equivalent_to_identity(x: np.ndarray, order: str) -> bool:
    """A[:, x] is a product for every product A <=> x is a tree automorphism (module doc)."""
    if order == "reversed":  # the reversed order's tree is the bit-reversed one
        Q = bitrev(x.size)
        x = Q[x[Q]]
    return _is_tree_automorphism(x)


def _check_cycle(A: ExactTarget, ev: dict[str, object]) -> None:
    """Every edge of an odd-cycle obstruction is a nonzero 2x2 minor of A; the cycle closes."""
    cycle = ev["cycle"]
    assert isinstance(cycle, list) and len(cycle) % 2 == 1
    for t, step in enumerate(cycle):
        (j, k), (a, b) = step["cols"], step["rows"]
        minor = A.A[a, j] * A.A[b, k] - A.A[a, k] * A.A[b, j]
        assert minor != 0
        assert str(BK.to_public(minor)) == step["minor"]
        assert cycle[(t + 1) % len(cycle)]["cols"][0] == k


# --------------------------------------------------------------------------------------------
# found: random shuffled products, DFT, Hadamard


@pytest.mark.parametrize("order", ["standard", "reversed"])
@pytest.mark.parametrize("n", [4, 8, 16, 32, 64])
def test_shuffled_integer_products_are_recovered_exactly(n: int, order: str) -> None:
    rng = np.random.default_rng(100 + n)
    for seed in range(2):
        A = _product(n, order, seed)
        p = rng.permutation(n)
        T = _shuffle(A, p)
        res = find_column_permutation_exact(T, order)
        assert res.verdict == "found"
        mem = decide_chain_membership(permute_columns(T, res.perm), butterfly(n, order))
        assert mem.verdict == "member"
        # the certified factors reproduce A[:, p][:, perm] exactly
        assert BK.equal(chain_product(list(mem.factors), BK), T.A[:, res.perm])
        if res.forced:  # then perm is equivalent to the planted order
            assert _equivalent_to_identity(p[res.perm], order)


@pytest.mark.parametrize("n", [8, 16, 32, 64])
def test_dft_natural_order_gives_the_bit_reversal(n: int) -> None:
    T = dft_matrix(n)
    res = find_column_permutation_exact(T)
    assert (res.verdict, res.forced) == ("found", True)
    assert res.perm.tolist() == bitrev(n).tolist()
    assert decide_chain_membership(permute_columns(T, res.perm), butterfly(n)).verdict == "member"


def test_dft_is_refuted_for_the_reversed_order_under_every_permutation() -> None:
    # rows 2m, 2m+1 (a reversed-order row pair) have N distinct directions z^-k
    res = find_column_permutation_exact(dft_matrix(16), "reversed")
    assert res.verdict == "refuted"
    assert res.evidence["kind"] == "odd-cycle" and res.evidence["level"] == 1
    for step in res.evidence["cycle"]:
        a, b = step["rows"]
        assert b == a + 1 and a % 2 == 0


def test_hadamard_and_products_in_their_own_order_give_the_identity() -> None:
    assert find_column_permutation_exact(hadamard_matrix(16)).perm.tolist() == list(range(16))
    for order in ("standard", "reversed"):
        res = find_column_permutation_exact(_product(16, order, 3, generic=True), order)
        assert (res.verdict, res.forced, res.perm.tolist()) == ("found", True, list(range(16)))


def test_sympy_backend_gives_the_same_permutation() -> None:
    rows = [[int(BK.to_public(v)) for v in row] for row in _product(8, "standard", 5).A]
    p = np.random.default_rng(0).permutation(8)
    shuffled = [[row[j] for j in p] for row in rows]
    a = find_column_permutation_exact(shuffled, backend="flint")
    b = find_column_permutation_exact(shuffled, backend="sympy")
    assert a.verdict == b.verdict == "found"
    assert a.perm.tolist() == b.perm.tolist()


def test_zero_and_rank_one_matrices_are_found_but_not_forced() -> None:
    zero = _matrix([[0] * 8 for _ in range(8)])
    ones = _matrix([[1] * 8 for _ in range(8)])
    for T in (zero, ones):
        res = find_column_permutation_exact(T)
        assert res.verdict == "found" and not res.forced
        assert "may also work" in res.equivalent_permutations
        assert decide_chain_membership(permute_columns(T, res.perm),
                                       butterfly(8)).verdict == "member"


def test_backtracking_finds_the_split_when_the_first_choice_fails() -> None:
    # bottom rows zero: every top split is valid; the top rows are [P0 P1] with the columns
    # shuffled so that the first balanced split {0, 1, 2, 3} = columns 0 and 2 of P0 and of
    # P1 has four directions on the row pair (0, 2) one level down
    P = [_product(4, "standard", s, generic=True).A for s in (1, 2)]
    top = np.concatenate(P, axis=1)[:, [0, 2, 4, 6, 1, 3, 5, 7]]
    A = np.concatenate([top, BK.zeros(4, 8)], axis=0)
    T = ExactTarget(A, Field(1), BK, "interleaved")
    res = find_column_permutation_exact(T)
    assert res.verdict == "found" and not res.forced and res.alternatives >= 1
    assert decide_chain_membership(permute_columns(T, res.perm), butterfly(8)).verdict == "member"


# --------------------------------------------------------------------------------------------
# refuted / undecided


def test_vandermonde_is_refuted_with_a_checkable_odd_cycle() -> None:
    T = _matrix([[(k + 1) ** j for k in range(8)] for j in range(8)])
    res = find_column_permutation_exact(T)
    assert res.verdict == "refuted" and res.perm is None
    assert res.evidence["kind"] == "odd-cycle" and res.evidence["level"] == 1
    _check_cycle(T, res.evidence)
    assert res.evidence["cycle"][0]["rows"] == [0, 4]


@pytest.mark.parametrize("order", ["standard", "reversed"])
def test_a_deeper_obstruction_behind_forced_splits_refutes_every_permutation(order: str) -> None:
    # A = F0 diag(V, R1) (standard) with V a 4x4 Vandermonde: the first split is forced, the
    # half holding V has no valid split. Reversed: the bit-reversal conjugate.
    rng = np.random.default_rng(7)
    chain = butterfly(8)
    F0 = planted(chain.factor_mask(0).toarray().astype(bool), BK, rng)
    R = BK.zeros(8, 8)
    R[:4, :4] = BK.array([[(k + 2) ** j for k in range(4)] for j in range(4)])
    R[4:, 4:] = _product(4, "standard", 1, generic=True).A
    A = BK.matmul(F0, R)
    if order == "reversed":
        Q = bitrev(8)
        A = A[np.ix_(Q, Q)]
    p = np.random.default_rng(1).permutation(8)
    T = ExactTarget(A[:, p], Field(1), BK, "deep")
    res = find_column_permutation_exact(T, order)
    assert res.verdict == "refuted"
    assert res.evidence["level"] == 2 and res.evidence["kind"] == "odd-cycle"
    _check_cycle(T, res.evidence)
    assert "every split above that group was forced" in res.explanation


def test_unbalanced_components_are_refuted() -> None:
    # columns 0, 1, 2 parallel on both row pairs, column 3 not: sides 3 + 1, no 2 + 2 split
    T = _matrix([[1, 1, 1, 1], [1, 2, 3, 4], [1, 1, 1, 2], [1, 2, 3, 5]])
    res = find_column_permutation_exact(T)
    assert res.verdict == "refuted"
    assert res.evidence["kind"] == "unbalanced"
    assert sorted(map(sorted, res.evidence["component_sizes"])) == [[1, 3]]


def _free_top_vandermonde() -> ExactTarget:
    top = [[(k + 1) ** j for k in range(8)] for j in range(4)]
    return _matrix(top + [[0] * 8 for _ in range(4)])


def test_exhausting_every_unforced_split_is_a_proof() -> None:
    # zero bottom rows: all 35 balanced splits are valid at level 1; every half of 4 columns
    # of the Vandermonde rows has three directions on a row pair
    res = find_column_permutation_exact(_free_top_vandermonde())
    assert res.verdict == "refuted"
    assert res.evidence["kind"] == "every-split-fails"
    assert res.evidence["splits_tried"] == 35 and res.evidence["complete"]


def test_a_small_budget_gives_undecided() -> None:
    res = find_column_permutation_exact(_free_top_vandermonde(), max_alternatives=3)
    assert res.verdict == "undecided" and res.perm is None
    assert res.alternatives == 3 and "budget" in res.explanation


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(InvalidInputError, match="power of two"):
        find_column_permutation_exact([[1, 2, 3]])
    with pytest.raises(InvalidInputError, match="order"):
        find_column_permutation_exact([[1, 2], [3, 4]], "sideways")
    with pytest.raises(InvalidInputError, match="permutation"):
        permute_columns(dft_matrix(4), [0, 0, 1, 2])


# --------------------------------------------------------------------------------------------
# agreement with the numeric search


def _floats(T: ExactTarget) -> np.ndarray:
    return np.array([[float(BK.to_public(v)) for v in row] for row in T.A])


@pytest.mark.parametrize("order", ["standard", "reversed"])
def test_exact_and_numeric_searches_agree(order: str) -> None:
    rng = np.random.default_rng(5)
    for n in (4, 16, 64):
        T = _shuffle(_product(n, order, n, generic=True), rng.permutation(n))
        exact = find_column_permutation_exact(T, order)
        assert exact.forced  # generic: unique up to the equivalences
        assert find_column_permutation(_floats(T), order).perm.tolist() == exact.perm.tolist()
    for n in (8, 32):
        assert (find_column_permutation(_dft_float(n)).perm.tolist()
                == find_column_permutation_exact(dft_matrix(n)).perm.tolist())


def _dft_float(n: int) -> np.ndarray:
    j = np.arange(n)
    return np.exp(-2j * np.pi * np.outer(j, j) / n)


def test_exact_search_succeeds_where_integer_zeros_confuse_the_numeric_one() -> None:
    # integer factors in [-9, 9] (zeros included): the exact search always certifies; when the
    # numeric permutation also gives a product and the exact split is forced, both are the
    # canonical representative of the same class, so they coincide
    rng = np.random.default_rng(0)
    numeric_failures = 0
    for order in ("standard", "reversed"):
        for n in (8, 32):
            for seed in range(3):
                T = _shuffle(_product(n, order, seed), rng.permutation(n))
                exact = find_column_permutation_exact(T, order)
                assert exact.verdict == "found"
                q = find_column_permutation(_floats(T), order).perm
                num_ok = decide_chain_membership(permute_columns(T, q),
                                                 butterfly(n, order)).verdict == "member"
                numeric_failures += not num_ok
                if num_ok and exact.forced:
                    assert q.tolist() == exact.perm.tolist()
    assert numeric_failures < 12


_GENERIC = {o: _product(16, o, 11, generic=True) for o in ("standard", "reversed")}


@given(p=st.permutations(list(range(16))), order=st.sampled_from(["standard", "reversed"]))
def test_any_shuffle_of_a_generic_product_is_undone(p: list[int], order: str) -> None:
    A = _GENERIC[order]
    T = _shuffle(A, np.asarray(p))
    res = find_column_permutation_exact(T, order)
    assert res.verdict == "found" and res.forced
    # T[:, perm] = A[:, p[perm]]: p[perm] is one of the 2^15 equivalences of the planted order
    assert _equivalent_to_identity(np.asarray(p)[res.perm], order)
    # canonical representative: at every split the half holding the smaller index comes first
    assert res.perm[0] == 0


# --------------------------------------------------------------------------------------------
# certify with columns = "auto"


def test_certify_shipped_auto_cases() -> None:
    out = certify_case(load_case(CASES / "dft-16-natural-auto.toml"))
    m = out.results["membership"]
    assert (out.exit_code, m["verdict"]) == (0, "member")
    cp = m["column_permutation"]
    assert cp["kind"] == "auto" and cp["exact"] is True
    assert cp["perm"] == bitrev(16).tolist()
    assert "every split was forced" in cp["equivalent_permutations"]
    assert m["certificate_verified"] is True
    assert out.results["identifiability"]["verdict"] == "identifiable"
    assert "column permutation (auto, exact search)" in out.text
    out = certify_case(load_case(CASES / "vandermonde-8-auto.toml"))
    m = out.results["membership"]
    assert (out.exit_code, m["verdict"], m["theorem"]) == (1, "not-member", "T9")
    assert m["column_permutation"]["perm"] is None
    assert m["obstruction"]["kind"] == "odd-cycle"


def _auto_case(rows: list[list[object]], order: str = "standard", **extra: object) -> object:
    return parse_case({"name": "auto", "kind": "chain",
                       "supports": {"family": "butterfly", "n": len(rows), "order": order},
                       "target": {"A": rows, "columns": "auto", **extra}})


def test_certify_explicit_shuffled_product_reversed_order() -> None:
    A = _product(8, "reversed", 2, generic=True)
    p = np.random.default_rng(3).permutation(8)
    rows = [[str(BK.to_public(v)) for v in row] for row in A.A[:, p]]
    out = certify_case(_auto_case(rows, "reversed"))
    m = out.results["membership"]
    assert m["verdict"] == "member"
    perm = m["column_permutation"]["perm"]
    assert _equivalent_to_identity(p[perm], "reversed")
    assert "every split was forced" in m["column_permutation"]["equivalent_permutations"]
    assert m["certificate_verified"] is True
    assert m["certificate"]["claim"] == "member"


def test_columns_auto_validation() -> None:
    assert _auto_case([[1, 2], [3, 4]]).target.params["columns"] == "auto"
    with pytest.raises(CaseFormatError, match="columns"):
        parse_case({"name": "x", "kind": "chain",
                    "supports": {"family": "butterfly", "n": 2},
                    "target": {"A": [[1, 2], [3, 4]], "columns": "bitrev"}})
    case = parse_case({"name": "x", "kind": "two-factor", "supports": {"family": "lu", "n": 2},
                       "target": {"A": [[1, 2], [3, 4]], "columns": "auto"}})
    with pytest.raises(InvalidInputError, match="butterfly chain"):
        certify_case(case)


def test_cli_certify_auto_json() -> None:
    proc = subprocess.run([sys.executable, "-m", "fsmf_check", "certify",
                           str(CASES / "vandermonde-8-auto.toml"), "--json"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 1
    data = json.loads(proc.stdout)
    assert data["results"]["membership"]["column_permutation"]["kind"] == "auto"
