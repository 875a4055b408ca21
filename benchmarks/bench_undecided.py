"""Undecided rates: two-factor closedness and rank-r Kronecker identifiability.

Run from the repository root: ``PYTHONPATH=$PWD python3 benchmarks/bench_undecided.py``
(add ``--before`` to disable the saturation rule and reproduce the earlier counts).
Generators: ``tests/closedness/random_patterns.py`` (``m, n`` in 2..3 or 2..4, ``r`` in 1..3 or
1..4, mask entries 1 with probability 1/2, seeds 0..339) and
``tests/exact/test_rank_r_identifiability.py`` (planted rank-2 Kronecker chains with random
integer factors).
"""

from __future__ import annotations

import collections
import sys
import time
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fsmf_check.closure import decide
from tests.closedness.random_patterns import RANDOM_SEEDS, random_pattern


def closedness_counts(side: int, rank: int) -> collections.Counter[str]:
    """Verdict counts (verdict and rule) on the 340 seeded patterns of one generator."""
    out: collections.Counter[str] = collections.Counter()
    for seed in RANDOM_SEEDS:
        res = decide.decide_closedness(random_pattern(seed, max_side=side, max_rank=rank),
                                       qe=False)
        rule = res.evidence.get("rule") or res.evidence.get("method")
        out[f"{res.verdict} ({rule})"] += 1
    return out


def identifiability_counts() -> collections.Counter[str]:
    """Verdict counts on the planted rank-2 Kronecker chains of the test file."""
    from tests.exact.test_rank_r_identifiability import RANK2_CHAINS, planted_chain

    from fsmf_check.exact.chain import decide_chain_identifiability, decide_chain_membership

    out: collections.Counter[str] = collections.Counter()
    for spec in RANK2_CHAINS:
        for seed in range(20):
            for span in (3, 1):
                chain, target, _ = planted_chain(spec, seed, span=span)
                mem = decide_chain_membership(target, chain)
                res = decide_chain_identifiability(target, chain, mem)
                out[f"{res.verdict} ({res.method})"] += 1
    return out


def main() -> None:
    """Print the verdict counts."""
    before = "--before" in sys.argv
    ctx = (mock.patch.object(decide, "saturation_closedness", lambda _p: None) if before
           else mock.patch.object(decide, "SATURATION_AREA_LIMIT", decide.SATURATION_AREA_LIMIT))
    with ctx:
        for side, rank in ((3, 3), (4, 4)):
            t0 = time.perf_counter()
            c = closedness_counts(side, rank)
            print(f"closedness, m, n <= {side}, r <= {rank}, {len(RANDOM_SEEDS)} patterns, "
                  f"{time.perf_counter() - t0:.1f} s: unknown {c['unknown (none)']}")
            print("  ", dict(sorted(c.items())))
    if not before and "--no-identifiability" not in sys.argv:
        t0 = time.perf_counter()
        c = identifiability_counts()
        print(f"rank-2 Kronecker identifiability, {sum(c.values())} chains, "
              f"{time.perf_counter() - t0:.1f} s:", dict(sorted(c.items())))


if __name__ == "__main__":
    main()
