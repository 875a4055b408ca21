"""Hypothesis strategies for masks, two-factor patterns, Kronecker patterns and text edits."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from fsmf_check.model.kronecker import KronPattern


@st.composite
def masks(draw, max_rows: int = 6, max_cols: int = 5, rows: int | None = None,
          cols: int | None = None) -> np.ndarray:
    """A random 0/1 int8 matrix."""
    m = rows if rows is not None else draw(st.integers(1, max_rows))
    r = cols if cols is not None else draw(st.integers(1, max_cols))
    bits = draw(st.lists(st.booleans(), min_size=m * r, max_size=m * r))
    return np.array(bits, dtype=np.int8).reshape(m, r)


@st.composite
def two_factor_masks(draw, max_m: int = 6, max_n: int = 6, max_r: int = 5):
    """A pair (I, J) with a common number of columns r."""
    r = draw(st.integers(1, max_r))
    I = draw(masks(max_rows=max_m, cols=r))
    J = draw(masks(max_rows=max_n, cols=r))
    return I, J


@st.composite
def kron_patterns(draw, max_entry: int = 3) -> KronPattern:
    """A small Kronecker pattern (a, b, c, d)."""
    return KronPattern(*(draw(st.integers(1, max_entry)) for _ in range(4)))


@st.composite
def chainable_pairs(draw) -> tuple[KronPattern, KronPattern]:
    """A chainable pair built from the 6-tuple compatibility a1*c1 = a2, d1 = b2*d2 (T6)."""
    a1, b1, c1 = (draw(st.integers(1, 3)) for _ in range(3))
    b2, d2, c2 = (draw(st.integers(1, 3)) for _ in range(3))
    q = draw(st.integers(1, 2))
    left = KronPattern(a1, b1, c1 * q, b2 * d2)
    right = KronPattern(a1 * c1, b2 * q, c2, d2)
    return left, right


def mutate_text(text: str, data: st.DataObject, alphabet: list[str]) -> str:
    """Apply 1-4 random single-character edits (delete, insert or replace with a token
    drawn from ``alphabet``) to ``text``: the mutation fuzzers of case files share this."""
    chars = list(text)
    for _ in range(data.draw(st.integers(1, 4), label="edits")):
        op = data.draw(st.sampled_from(["delete", "insert", "replace"]))
        pos = data.draw(st.integers(0, max(len(chars) - 1, 0)))
        ch = data.draw(st.sampled_from(alphabet))
        if op == "delete" and chars:
            del chars[pos]
        elif op == "insert":
            chars.insert(pos, ch)
        elif chars:
            chars[pos] = ch
    return "".join(chars)
