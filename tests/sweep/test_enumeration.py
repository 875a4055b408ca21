"""Orbit canonical forms against a brute force over the whole group, codes, sampling."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fsmf_check.sweep.enumeration import CaseFamily, canonical_codes, decode, encode
from fsmf_check.sweep.spec import parse_sweep


def _brute_canonical(shape: tuple[int, int, int]) -> dict[int, int]:
    """Smallest code over every (row perm of I, row perm of J, inner perm) -- the definition."""
    m, r, n = shape
    out = {}
    for code in range(2**((m + n) * r)):
        Ir, Jr = decode(code, shape)
        I = np.array([[int(c) for c in row] for row in Ir])
        J = np.array([[int(c) for c in row] for row in Jr])
        out[code] = min(encode(I[list(a)][:, list(c)], J[list(b)][:, list(c)])
                        for a in itertools.permutations(range(m))
                        for b in itertools.permutations(range(n))
                        for c in itertools.permutations(range(r)))
    return out


@pytest.mark.parametrize("shape", [(1, 1, 1), (2, 2, 2), (1, 2, 3), (2, 3, 1), (3, 1, 2)])
def test_canonical_codes_match_brute_force(shape):
    canon = _brute_canonical(shape)
    reps, sizes = canonical_codes(shape)
    expected = sorted(set(canon.values()))
    assert reps.tolist() == expected
    counts = {c: list(canon.values()).count(c) for c in expected}
    assert sizes.tolist() == [counts[c] for c in expected]


def test_known_orbit_counts():
    # 2 x 2 x 2: 58 orbits of the 256 pairs; 3 x 3 x 3: 2804 orbits of 2^18 pairs
    assert canonical_codes((2, 2, 2))[0].size == 58
    reps, sizes = canonical_codes((3, 3, 3))
    assert reps.size == 2804
    assert int(sizes.sum()) == 2**18


@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.data())
def test_encode_decode_roundtrip(m, r, n, data):
    code = data.draw(st.integers(0, 2**((m + n) * r) - 1))
    Ir, Jr = decode(code, (m, r, n))
    assert len(Ir) == m and len(Jr) == n and all(len(row) == r for row in Ir + Jr)
    I = np.array([[int(c) for c in row] for row in Ir])
    J = np.array([[int(c) for c in row] for row in Jr])
    assert encode(I, J) == code


def test_lu_pattern_code_and_orbit():
    fam = CaseFamily(parse_sweep({"name": "x", "kind": "two-factor",
                                  "questions": ["closedness"],
                                  "enumerate": {"shape": [2, 2, 2]}}))
    case = fam.case(187)
    assert (case.I, case.J) == (("10", "11"), ("10", "11"))
    reps, sizes = canonical_codes((2, 2, 2))
    # the LU orbit: I and J each a row permutation of ["01", "11"] with one shared
    # column permutation: 2 * 2 * 2 = 8 pairs; its representative is ["01","11"] x2
    lu = int(np.flatnonzero(reps == encode(np.array([[0, 1], [1, 1]]),
                                           np.array([[0, 1], [1, 1]])))[0])
    assert sizes[lu] == 8


def test_sample_is_seeded_per_case():
    spec = parse_sweep({"name": "x", "kind": "two-factor", "questions": ["membership"],
                        "sample": {"shape": [3, 2, 4], "count": 5, "seed": 7,
                                   "density": 0.5, "target": "planted"}})
    a, b = CaseFamily(spec), CaseFamily(spec)
    assert [a.case(i) for i in range(5)] == [b.case(i) for i in reversed(range(5))][::-1]
    case = a.case(3)
    assert len(case.I) == 3 and len(case.J) == 4 and len(case.target) == 3
    # the planted target is X Y^T with X, Y on the supports: zero outside their union
    I = np.array([[int(c) for c in row] for row in case.I])
    J = np.array([[int(c) for c in row] for row in case.J])
    reach = (I @ J.T) > 0
    assert all(case.target[i][j] == 0 for i in range(3) for j in range(4) if not reach[i, j])
