"""Factor files (docs/reference/factor-files.md): our loader always, lazylinop/pyfaust if installed."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from click.testing import CliRunner

from fsmf_check.cli import cli
from fsmf_check.errors import InvalidInputError
from fsmf_check.inputs.matrix_specs import dft, random_butterfly
from fsmf_check.model.families import bitrev, butterfly
from fsmf_check.numeric.factor_files import (
    format_of,
    load_factors,
    read_factor_file,
    save_factors,
)
from fsmf_check.numeric.hierarchical import hierarchical


def _import_quietly(name: str):  # noqa: ANN202 - a module or None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return __import__(name, fromlist=["_"])
        except Exception:  # noqa: BLE001 - optional interop packages (extra "interop")
            return None


def _product(mats: list[sp.csr_array]) -> np.ndarray:
    B = mats[0].toarray()
    for F in mats[1:]:
        B = B @ F.toarray()
    return B


def _chains() -> list[tuple[str, np.ndarray, object, np.ndarray | None]]:
    rb = random_butterfly(16, seed=2).A
    q = np.random.default_rng(2).permutation(16)
    out = []
    for name, A, perm in (("dft-bitrev", dft(16), bitrev(16)), ("real-identity", rb, None),
                          ("real-shuffled", rb[:, q], np.argsort(q))):
        res = hierarchical(A, butterfly(16), column_perm=perm)
        out.append((name, A, res.factors, perm))
    return out


CHAINS = _chains()


@pytest.mark.parametrize("fmt", ["npz", "json", "mat"])
@pytest.mark.parametrize("chain", CHAINS, ids=[c[0] for c in CHAINS])
def test_own_loader_reproduces_a(tmp_path: Path, fmt: str, chain: tuple) -> None:
    name, A, factors, perm = chain
    path = tmp_path / f"f.{fmt}"
    if fmt == "json" and name == "real-shuffled":
        with pytest.raises(InvalidInputError, match="no general column permutation"):
            save_factors(path, factors, column_perm=perm)
        return
    assert save_factors(path, factors, column_perm=perm) == fmt
    mats = load_factors(path)
    assert all(isinstance(F, sp.csr_array) for F in mats)
    np.testing.assert_allclose(_product(mats), A, atol=1e-12 * np.linalg.norm(A))
    f = read_factor_file(path)
    if fmt == "npz":  # supports kept, permutation apart
        assert f.patterns == factors.patterns
        assert (f.column_perm is None) == (perm is None)
        assert all(F.nnz == 2 * 16 for F in f.factors)


@pytest.mark.parametrize("chain", CHAINS[:2], ids=[c[0] for c in CHAINS[:2]])
def test_lazylinop_loads_the_json(tmp_path: Path, chain: tuple) -> None:
    ll = _import_quietly("lazylinop.butterfly")
    if ll is None:
        pytest.skip("lazylinop not installed (extra 'interop')")
    name, A, factors, perm = chain
    save_factors(tmp_path / "f.json", factors, column_perm=perm)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        L = (ll.KsmPermLazyLinOp.load(str(tmp_path / "f")) if perm is not None
             else ll.load(str(tmp_path / "f")))
        dense = L.toarray()
    np.testing.assert_allclose(dense, A, atol=1e-12 * np.linalg.norm(A))
    data = json.loads((tmp_path / "f.json").read_text())
    assert list(data)[:4] == ["factor0", "factor1", "factor2", "factor3"]
    assert data["factor0"]["dtype"] == ("complex128" if np.iscomplexobj(A) else "float64")


@pytest.mark.parametrize("chain", CHAINS, ids=[c[0] for c in CHAINS])
def test_pyfaust_loads_the_mat(tmp_path: Path, chain: tuple) -> None:
    pyfaust = _import_quietly("pyfaust")
    if pyfaust is None:
        pytest.skip("pyfaust not installed (extra 'interop')")
    name, A, factors, perm = chain
    save_factors(tmp_path / "f.mat", factors, column_perm=perm)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            F = pyfaust.Faust.load(str(tmp_path / "f.mat"))
        except ValueError:
            # pyfaust's Python loader rejects the sparse *arrays* scipy >= 1.15 returns,
            # for its own files too (docs/reference/factor-files.md); the native reader works
            F = pyfaust.Faust.load_native(str(tmp_path / "f.mat"))
        dense = F.toarray()
    np.testing.assert_allclose(dense, A, atol=1e-12 * np.linalg.norm(A))
    assert F.numfactors() == 4


def test_two_factor_solve_saves_x_and_yt(tmp_path: Path) -> None:
    case = Path(__file__).resolve().parents[2] / "cases" / "e1-dto-singletons.toml"
    for fmt in ("npz", "mat"):
        res = CliRunner().invoke(cli, ["solve", str(case), "-q", "--save",
                                       str(tmp_path / f"x.{fmt}")])
        assert res.exit_code == 0, res.output
        X, YT = load_factors(tmp_path / f"x.{fmt}")
        np.testing.assert_allclose((X @ YT).toarray(), [[1, 0], [0, 4]], atol=1e-14)


def test_format_option_overrides_the_suffix(tmp_path: Path) -> None:
    out = tmp_path / "factors.bin"
    res = CliRunner().invoke(cli, ["butterfly", "hadamard:8", "-q", "--save", str(out),
                                   "--format", "json"])
    assert res.exit_code == 0, res.output
    assert "factor0" in json.loads(out.read_text())


def test_bad_names_and_files_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match=r"needs a \.npz file name"):
        format_of("f.txt")
    (tmp_path / "x.npz").write_bytes(b"not a zip")
    with pytest.raises(InvalidInputError, match="factor file x.npz"):
        load_factors(tmp_path / "x.npz")
    np.savez(tmp_path / "y.npz", a=np.eye(2))
    with pytest.raises(InvalidInputError, match="not the fsmf-check-factors layout"):
        load_factors(tmp_path / "y.npz")
    (tmp_path / "z.json").write_text("[1, 2]")
    with pytest.raises(InvalidInputError, match="JSON object"):
        load_factors(tmp_path / "z.json")
    res = CliRunner().invoke(cli, ["butterfly", "hadamard:8", "--save", str(tmp_path / "a.txt")])
    assert res.exit_code == 2 and "needs a .npz file name" in res.output
