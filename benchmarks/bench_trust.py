"""Undecided rates of the exact chain engine on random explicit-mask chains.

Run from the repository root: ``PYTHONPATH=$PWD python3 benchmarks/bench_trust.py``.
Generator: ``tests/exact/random_chains.py`` (2-4 factors, inner dimensions 1-4, mask density
uniform in [0.3, 0.9], a zero block with probability 0.2, nonzero integer factors in [-5, 5];
``duplicated_columns`` copies one mask column onto its neighbour in every factor). The target
is the planted product, so every instance is a member; where membership stays undecided the
identifiability question is asked about the planted factors.
"""

from __future__ import annotations

import collections
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fsmf_check.exact.chain import decide_chain_identifiability, decide_chain_membership
from fsmf_check.exact.targets import as_exact_matrix
from tests.exact.random_chains import random_chain_case


def main() -> None:
    """Print membership and identifiability verdict counts per generator."""
    for dup, seeds in ((False, range(0, 120)), (True, range(5000, 5300))):
        mem, ident = collections.Counter(), collections.Counter()
        t0 = time.perf_counter()
        for seed in seeds:
            _, A, chain, planted = random_chain_case(seed, duplicated_columns=dup)
            target = as_exact_matrix(A)
            m = decide_chain_membership(target, chain)
            mem[m.verdict] += 1
            if m.verdict == "undecided":
                bk = target.backend
                m = replace(m, verdict="member",
                            factors=tuple(bk.array(f.tolist()) for f in planted))
            r = decide_chain_identifiability(target, chain, m)
            ident[f"{r.verdict} ({r.method})"] += 1
        print(f"duplicated_columns={dup}, {len(seeds)} chains, "
              f"{time.perf_counter() - t0:.1f} s")
        print("  membership:", dict(mem))
        print("  identifiability:", dict(sorted(ident.items())))


if __name__ == "__main__":
    main()
