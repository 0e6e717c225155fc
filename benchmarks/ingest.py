"""Workbooks per second: bakhong's read + parse + match + check, against openpyxl's read alone.

Writes N template workbooks (27 districts over successive years, five layouts of
bakhong.synth.template) to a temporary
folder, then in this one process times:

* bakhong: ``read_tables`` (calamine) + ``check`` over all of them, and
* the baseline: ``pandas.read_excel(path, sheet_name=None, header=None, engine="openpyxl")``
  for each file — reading only, no parsing or checks.

Each is run REPEAT times, alternating, and the best time of each is reported.

    .venv/bin/python benchmarks/ingest.py [N] [REPEAT]
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from bakhong.checks import check
from bakhong.read import read_tables
from bakhong.synth.template import Document, Layout, write
from bakhong.vocab.units import districts

LAYOUTS = [
    Layout(),
    Layout(diacritics=False),
    Layout(columns=("label", "after", "before", "target", "stt", "evidence")),
    Layout(columns=("label", "target", "before", "after")),
    Layout(two_row_header=False, group_rows=False),
]


def make_workbooks(folder: Path, n: int, seed: int = 1) -> list[Path]:
    from bakhong.vocab.catalog import load_catalog

    rng = random.Random(seed)
    units = districts()
    # each unit's level per indicator drifts a little from year to year, as real series do
    level = {(u.code, ind.code): rng.uniform(0.3, 0.7) for u in units for ind in load_catalog()}
    paths = []
    for i in range(n):
        unit = units[i % len(units)]
        year = i // len(units)
        cells = {}
        for ind in load_catalog():
            before = min(0.95, level[unit.code, ind.code] * (1 + 0.04 * year))
            after = min(1.0, before + rng.uniform(0.2, 0.25))
            cells[ind.code] = {"before": round(before, 3), "after": f"{after * 100:.1f}%"
                               .replace(".", ",")}
            if ind.target is not None:
                cells[ind.code]["target"] = f"{round(ind.target * 100)}% trở lên"
        period = str(2017 + year)  # 27 districts × successive years: no duplicates
        doc = Document(f"UBND {unit.kind} {unit.name}", period, cells, synthetic=True)
        paths.append(write(folder / f"{unit.code}-{unit.slug}-{period}.xlsx", doc,
                           LAYOUTS[i % len(LAYOUTS)]))
    return paths


def run_bakhong(paths: list[Path]) -> tuple[float, int]:
    start = time.perf_counter()
    observations, problems, _ = read_tables(paths)
    findings = check(observations, problems)
    elapsed = time.perf_counter() - start
    assert observations.height == len(paths) * 38, observations.height
    return elapsed, findings.height


def run_openpyxl(paths: list[Path]) -> float:
    start = time.perf_counter()
    for path in paths:
        pd.read_excel(path, sheet_name=None, header=None, engine="openpyxl")
    return time.perf_counter() - start


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    repeat = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    with tempfile.TemporaryDirectory() as tmp:
        paths = make_workbooks(Path(tmp), n)
        run_bakhong(paths[:5])  # warm imports and caches, as a running session would be
        ours, theirs = [], []
        for _ in range(repeat):
            elapsed, found = run_bakhong(paths)
            ours.append(elapsed)
            theirs.append(run_openpyxl(paths))
    best_ours, best_theirs = min(ours), min(theirs)
    print(f"workbooks: {n} (template, 5 layouts, 27 districts x {-(-n // 27)} years), "
          f"best of {repeat}; findings: {found}")
    print(f"bakhong read+parse+match+check: {best_ours:.3f} s = {n / best_ours:,.0f} workbooks/s")
    print(f"baseline pandas.read_excel(engine='openpyxl'), read only: {best_theirs:.3f} s = "
          f"{n / best_theirs:,.0f} workbooks/s")
    print(f"ratio (baseline time / bakhong time): {best_theirs / best_ours:.1f}x")
    print(f"goals: >= 100 workbooks/s: {'met' if n / best_ours >= 100 else 'NOT met'}; "
          f">= 2x the openpyxl read: {'met' if best_theirs / best_ours >= 2 else 'NOT met'}")


if __name__ == "__main__":
    main()
