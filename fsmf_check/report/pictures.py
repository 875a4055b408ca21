r"""PNG pictures for reports (the only module that imports matplotlib; Agg backend).

Every picture is rendered into memory and written atomically; PNG metadata is fixed (no
software/version or date chunk) so reruns give byte-identical files with the same matplotlib.
Pictures are skipped, with a reason, above :data:`MAX_PICTURE_DIM`.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import ListedColormap  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from fsmf_check.files import atomic_write_bytes  # noqa: E402

__all__ = ["MAX_PICTURE_DIM", "support_masks_png", "rank_one_supports_png",
           "overlap_graph_png", "witness_png", "chain_masks_png", "verdict_bars_png"]

#: Largest matrix dimension drawn (larger masks are summarized in text only).
MAX_PICTURE_DIM = 256
_META = {"Software": None}
# keys are matplotlib rc names (typed as a Literal union by matplotlib's own annotations)
_RC: dict[Any, Any] = {"font.family": "DejaVu Sans", "font.size": 9,
                       "svg.hashsalt": "fsmf-check", "path.simplify": False}


def _save(fig: plt.Figure, path: Path) -> None:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, metadata=_META)
    plt.close(fig)
    data = buf.getvalue()
    if len(data) < 100:
        msg = f"picture {path.name} came out empty"
        raise RuntimeError(msg)
    atomic_write_bytes(path, data)


def _mask_axes(ax: plt.Axes, M: np.ndarray, title: str, xlabel: str, ylabel: str) -> None:
    ax.imshow(M, cmap=ListedColormap(["#ffffff", "#1f4e79"]), vmin=0, vmax=1,
              interpolation="nearest", aspect="equal")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    _index_ticks(ax, *M.shape)


def _index_ticks(ax: plt.Axes, rows: int, cols: int) -> None:
    """Integer index ticks; for small grids every index and a thin cell grid."""
    if max(rows, cols) <= 16:
        ax.set_xticks(range(cols))
        ax.set_yticks(range(rows))
        ax.set_xticks(np.arange(-0.5, cols, 1), minor=True)
        ax.set_yticks(np.arange(-0.5, rows, 1), minor=True)
        ax.grid(which="minor", color="#bbbbbb", linewidth=0.5)
        ax.tick_params(which="minor", length=0)
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))


def support_masks_png(I: np.ndarray, J: np.ndarray, path: Path) -> None:
    """Draw the masks I (m x r) and J (n x r) side by side."""
    with plt.rc_context(_RC):
        fig, axes = plt.subplots(1, 2, figsize=(8, 4))
        _mask_axes(axes[0], I, f"I (support of X, {I.shape[0]}x{I.shape[1]})", "column k",
                   "row i")
        _mask_axes(axes[1], J, f"J (support of Y, {J.shape[0]}x{J.shape[1]})", "column k",
                   "row j")
        fig.tight_layout()
        _save(fig, path)


def chain_masks_png(factors: list[np.ndarray], path: Path) -> None:
    """Draw the factor masks of a chain, left to right."""
    L = len(factors)
    with plt.rc_context(_RC):
        fig, axes = plt.subplots(1, L, figsize=(3 * L, 3.2), squeeze=False)
        for q, M in enumerate(factors):
            _mask_axes(axes[0, q], M, f"F[{q}] ({M.shape[0]}x{M.shape[1]})", "", "")
        fig.tight_layout()
        _save(fig, path)


def rank_one_supports_png(m: int, n: int, classes: list[dict[str, Any]], path: Path) -> None:
    """Colour each entry (i, j) by the class whose rectangle covers it (black: several)."""
    grid = np.full((m, n), -1, dtype=np.int64)
    count = np.zeros((m, n), dtype=np.int64)
    for c, cls in enumerate(classes):
        R, C = np.asarray(cls["rows"], dtype=np.int64), np.asarray(cls["cols"], dtype=np.int64)
        if R.size and C.size:
            grid[np.ix_(R, C)] = c
            count[np.ix_(R, C)] += 1
    n_cls = max(1, len(classes))
    base = plt.get_cmap("tab20")
    colours = ["#ffffff"] + [base(c % 20) for c in range(n_cls)] + ["#000000"]
    img = grid + 1
    img[count > 1] = n_cls + 1
    with plt.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(5.5, 5))
        ax.imshow(img, cmap=ListedColormap(colours), vmin=0, vmax=n_cls + 1,
                  interpolation="nearest", aspect="equal")
        ax.set_title(f"rank-one supports by class ({len(classes)} classes; black = overlap)")
        ax.set_xlabel("column j of A")
        ax.set_ylabel("row i of A")
        _index_ticks(ax, m, n)
        if max(m, n) <= 16:
            for i in range(m):
                for j in range(n):
                    if count[i, j] == 1:
                        ax.text(j, i, str(grid[i, j]), ha="center", va="center", fontsize=7)
                    elif count[i, j] > 1:
                        ax.text(j, i, f"x{count[i, j]}", ha="center", va="center", fontsize=7,
                                color="white")
        fig.tight_layout()
        _save(fig, path)


def overlap_graph_png(classes: list[dict[str, Any]], edges: list[tuple[int, int]],
                      path: Path) -> None:
    """Draw the class overlap graph (T1): classes on a circle, an edge per overlap."""
    k = len(classes)
    ang = 2 * np.pi * np.arange(k) / max(k, 1) + np.pi / 2
    pos = np.c_[np.cos(ang), np.sin(ang)] if k > 1 else np.zeros((1, 2))
    with plt.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(5, 5))
        for a, b in edges:
            ax.plot(pos[[a, b], 0], pos[[a, b], 1], color="#c0392b", linewidth=1.5, zorder=1)
        for c, cls in enumerate(classes):
            face = "#2e86c1" if cls.get("complete") else "#f5b041"
            ax.scatter(pos[c, 0], pos[c, 1], s=500, color=face, edgecolors="black", zorder=2)
            ax.text(pos[c, 0], pos[c, 1], str(c), ha="center", va="center", zorder=3)
        ax.set_title(f"class overlap graph: {k} classes, {len(edges)} overlaps\n"
                     "(blue = complete class, orange = not complete)")
        ax.set_xlim(-1.4, 1.4)
        ax.set_ylim(-1.4, 1.4)
        ax.set_aspect("equal")
        ax.axis("off")
        fig.tight_layout()
        _save(fig, path)


def witness_png(m: int, n: int, A_entries: list[list[Any]], product: list[list[Any]],
                sample_t: str, marked: list[list[int]], path: Path) -> None:
    """Draw the witness A* and the sequence product at one sample t, marking the key entries."""
    def dense(entries: list[list[Any]]) -> np.ndarray:
        M = np.zeros((m, n))
        for i, j, v in entries:
            num, _, den = str(v).partition("/")
            M[int(i), int(j)] = float(int(num)) / float(int(den) if den else 1)
        return M

    mats = [(dense(A_entries), "A* (limit, not a product)"),
            (dense(product), f"X_t Y_t^T at t = {sample_t}")]
    with plt.rc_context(_RC):
        fig, axes = plt.subplots(1, 2, figsize=(8, 4))
        for ax, (M, title) in zip(axes, mats, strict=True):
            vmax = max(1.0, float(np.abs(M).max()))
            ax.imshow(M, cmap="RdBu_r", vmin=-vmax, vmax=vmax, interpolation="nearest")
            ax.set_title(title)
            if max(m, n) <= 12:
                ax.set_xticks(range(n))
                ax.set_yticks(range(m))
                for i in range(m):
                    for j in range(n):
                        ax.text(j, i, f"{M[i, j]:g}", ha="center", va="center", fontsize=8,
                                color="white" if abs(M[i, j]) > vmax / 2 else "black")
            for i, j in marked:
                ax.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False,
                                           edgecolor="#27ae60", linewidth=2))
            ax.set_xlabel("column j")
            ax.set_ylabel("row i")
        fig.suptitle("green boxes: entries (i1, j1), (i1, j2), (i2, j1) of the LU-type sub-pattern")
        fig.tight_layout()
        _save(fig, path)


def verdict_bars_png(counts: dict[str, dict[str, int]], path: Path, title: str) -> None:
    """Draw one horizontal bar chart per question: how many cases got each verdict."""
    questions = list(counts)
    with plt.rc_context(_RC):
        fig, axes = plt.subplots(len(questions), 1, squeeze=False,
                                 figsize=(7, 1.0 + 1.1 * sum(max(1, len(counts[q]))
                                                             for q in questions) / 2))
        for ax, q in zip(axes[:, 0], questions, strict=True):
            labels = list(counts[q])
            values = [counts[q][v] for v in labels]
            bars = ax.barh(range(len(labels)), values, color="#1f4e79")
            ax.set_yticks(range(len(labels)), labels)
            ax.invert_yaxis()
            ax.bar_label(bars, padding=2)
            ax.set_title(q, loc="left")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_xlim(0, max(values, default=1) * 1.15 + 1)
        fig.suptitle(title)
        fig.tight_layout()
        _save(fig, path)
