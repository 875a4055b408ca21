"""``butterfly --perm auto``: recover an unknown column permutation (docs/permutations.md)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from fsmf_check.cli import cli
from fsmf_check.errors import InvalidInputError
from fsmf_check.inputs.matrix_specs import dft, hadamard, random_butterfly
from fsmf_check.model.families import bitrev, butterfly
from fsmf_check.numeric.factor_files import load_factors, read_factor_file
from fsmf_check.numeric.hierarchical import hierarchical
from fsmf_check.numeric.permutation import find_column_permutation


def _error_after_search(A: np.ndarray, order: str = "standard") -> float:
    perm = find_column_permutation(A, order).perm
    assert np.array_equal(np.sort(perm), np.arange(A.shape[1]))
    return hierarchical(A, butterfly(A.shape[0], order), column_perm=perm).rel_error


@pytest.mark.parametrize("n", [2, 4, 8, 64, 1024])
def test_dft_natural_order_gives_the_bit_reversal(n: int) -> None:
    s = find_column_permutation(dft(n))
    assert s.perm.tolist() == bitrev(n).tolist()  # the canonical representative
    assert hierarchical(dft(n), butterfly(n), column_perm=s.perm).rel_error <= 1e-12


@pytest.mark.parametrize("order", ["standard", "reversed"])
@pytest.mark.parametrize(("n", "seed"), [(4, 0), (16, 1), (128, 2), (512, 3)])
def test_shuffled_random_products_are_exact(n: int, seed: int, order: str) -> None:
    rng = np.random.default_rng(seed)
    A = random_butterfly(n, seed=seed, order=order).A[:, rng.permutation(n)]
    assert _error_after_search(A, order) <= 1e-12


@pytest.mark.parametrize("order", ["standard", "reversed"])
@pytest.mark.parametrize(("n", "noise"), [(16, 1e-6), (256, 1e-6), (1024, 1e-6), (256, 1e-4)])
def test_noise_gives_an_error_near_the_noise_level(n: int, noise: float, order: str) -> None:
    rng = np.random.default_rng(n)
    M = random_butterfly(n, seed=7, noise=noise, order=order)
    A = M.A[:, rng.permutation(n)]
    perm = find_column_permutation(A, order).perm
    res = hierarchical(A, butterfly(n, order), column_perm=perm)
    assert res.error <= 1.05 * M.noise_norm


def test_complex_shuffled_dft_and_hadamard() -> None:
    rng = np.random.default_rng(5)
    A = dft(256)[:, rng.permutation(256)]
    assert _error_after_search(A) <= 1e-12
    assert _error_after_search(hadamard(64)[:, rng.permutation(64)]) <= 1e-12


@settings(max_examples=15, deadline=None)
@given(k=st.integers(1, 6), seed=st.integers(0, 2**16), order=st.sampled_from(["standard",
                                                                              "reversed"]))
def test_any_shuffle_of_a_product_is_recovered(k: int, seed: int, order: str) -> None:
    n = 2**k
    rng = np.random.default_rng(seed)
    A = random_butterfly(n, seed=seed, order=order).A[:, rng.permutation(n)]
    assert _error_after_search(A, order) <= 1e-12


def _is_tree_automorphism(p: np.ndarray) -> bool:
    """Every aligned block of 2^k positions holds an aligned block of 2^k columns."""
    n = p.size
    size = n
    while size >= 2:
        for start in range(0, n, size):
            block = np.sort(p[start : start + size])
            if block[0] % size or not np.array_equal(block, np.arange(block[0], block[0] + size)):
                return False
        size //= 2
    return True


def test_equivalent_permutations_are_the_tree_automorphisms() -> None:
    # swapping the halves of a column group maps products to products (docs/permutations.md)
    B = random_butterfly(64, seed=4).A
    assert find_column_permutation(B).perm.tolist() == list(range(64))  # canonical form
    swapped = np.r_[32:64, 0:32]
    assert find_column_permutation(B[:, swapped]).perm.tolist() == list(range(64))
    rng = np.random.default_rng(3)
    for _ in range(5):
        q = rng.permutation(64)
        found = q[find_column_permutation(B[:, q]).perm]  # B[:, found] is the product found
        assert _is_tree_automorphism(found)
    assert not _is_tree_automorphism(np.r_[1:64, 0])


def test_bad_shapes_are_one_line_errors() -> None:
    with pytest.raises(InvalidInputError, match="power of two"):
        find_column_permutation(np.ones((6, 6)))
    with pytest.raises(InvalidInputError, match="order"):
        find_column_permutation(np.ones((4, 4)), "sideways")


def test_cli_perm_auto_reports_and_saves(tmp_path: Path) -> None:
    rng = np.random.default_rng(9)
    q = rng.permutation(32)
    A = random_butterfly(32, seed=9).A[:, q]
    np.save(tmp_path / "A.npy", A)
    out = tmp_path / "f.npz"
    res = CliRunner().invoke(cli, ["butterfly", str(tmp_path / "A.npy"), "--perm", "auto",
                                   "--json", "-q", "--save", str(out)])
    assert res.exit_code == 0, res.output
    s = json.loads(res.stdout)["results"]["solve"]
    perm = s["column_permutation"]["perm"]
    assert s["column_permutation"]["kind"] == "auto" and sorted(perm) == list(range(32))
    assert s["rel_error"] <= 1e-12
    f = read_factor_file(out)
    assert f.column_perm.tolist() == perm
    prod = load_factors(out)
    B = prod[0]
    for F in prod[1:]:
        B = B @ F
    np.testing.assert_allclose(B.toarray(), A, atol=1e-12 * np.linalg.norm(A))
