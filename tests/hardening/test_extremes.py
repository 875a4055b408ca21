"""Extremes: int64 and float values in .mtx files, areas beyond int32 in the closedness search.

The vectorized body (numpy ``loadtxt``) must either return exactly what the line-by-line
reader returns or defer to it (``None``); never a rounded or wrapped value.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fsmf_check.errors import InvalidInputError
from fsmf_check.inputs import matrix_files as mf

INT64_MAX = 2**63 - 1
EXTREMES = ["9223372036854775807", "-9223372036854775808", "9223372036854775808",
            "-9223372036854775809", "1e308", "-0.0", "1e309", "0"]


def _write(tmp: Path, field: str, fmt: str, value: str) -> Path:
    p = tmp / f"{field}-{fmt}.mtx"
    if fmt == "array":
        p.write_text(f"%%MatrixMarket matrix array {field} general\n2 1\n{value}\n1\n")
    else:
        p.write_text(f"%%MatrixMarket matrix coordinate {field} general\n2 1 2\n"
                     f"1 1 {value}\n2 1 1\n")
    return p


@pytest.mark.parametrize("value", EXTREMES)
@pytest.mark.parametrize("field", ["integer", "real"])
@pytest.mark.parametrize("fmt", ["array", "coordinate"])
def test_extremes_are_exact_or_refused(tmp_path: Path, value: str, field: str,
                                       fmt: str) -> None:
    path = _write(tmp_path, field, fmt, value)
    try:
        A = mf.read_raw_matrix(path)
    except InvalidInputError as exc:
        assert "\n" not in str(exc)
        if field == "integer":
            # refused exactly when the text is not an int64 integer
            try:
                ok = abs(int(value)) <= INT64_MAX and value.lstrip("-").isdigit()
            except ValueError:
                ok = False
            assert not ok or int(value) == -(2**63), value  # int64 min: |v| does not fit
        return
    first = A.ravel()[0]
    if field == "integer":
        assert A.dtype == np.int64 and int(first) == int(value)  # exact, never wrapped
    else:
        assert A.dtype == np.float64 and first == float(value)  # 1e309 reads as inf; the
        # engines refuse non-finite values afterwards (NonFiniteError, exit 2)


@pytest.mark.parametrize("value", EXTREMES)
def test_fast_body_agrees_with_the_reference_or_defers(tmp_path: Path, value: str) -> None:
    path = _write(tmp_path, "integer", "coordinate", value)
    fast = mf._mtx_fast(path, 2, "coordinate", "integer", "general", 2, 1, 2,
                        np.dtype(np.int64))
    if fast is None:
        return
    assert int(fast[0, 0]) == int(value) and int(fast[1, 0]) == 1


def test_lu_search_area_is_counted_without_int32_overflow() -> None:
    import scipy.sparse as sp

    from fsmf_check.closure.decide import find_lu_embedding
    from fsmf_check.errors import SizeLimitError
    from fsmf_check.model.supports import SupportPattern

    n = 65536  # one full column: area 2^32, which wraps to 0 in int32
    col = sp.csc_array(np.ones((n, 1), dtype=np.int8))
    single = sp.csc_array(([1], ([0], [0])), shape=(n, 1), dtype=np.int8)
    I = sp.hstack([col, single], format="csc")
    with pytest.raises(SizeLimitError, match="SEARCH_AREA_LIMIT"):
        find_lu_embedding(SupportPattern(I, I))
