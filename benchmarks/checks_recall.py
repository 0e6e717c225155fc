"""Recall and precision of bakhong's checks on a synthetic province, and the time to check it.

For each seed: ``bakhong.synth.synthesize`` writes a province (DỮ LIỆU MÔ PHỎNG) with known
defects to a temporary folder; ``read_tables`` + ``check`` runs on the whole folder; each
rule's findings are scored against ``ground_truth.json`` (a finding is correct when a defect
of its rule sits on the same unit, indicator and phase; ``info`` results are not scored).

Timing (synth excluded): the best of REPEAT runs of load + check over the whole province,
against a baseline measured in the same run on the same files — reading every file with
``pandas.read_excel(..., engine="openpyxl")`` (CSV: ``pandas.read_csv``), reading only.

Goals (issue 3): recall 100% for every error-severity rule; precision ≥ 95% overall.

    .venv/bin/python benchmarks/checks_recall.py [SEED ...] [--level district|commune]
                                                 [--repeat N]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from bakhong.checks import check
from bakhong.read import read_tables, table_files
from bakhong.synth.province import score, synthesize, totals


def _pct(x: float | None) -> str:
    return "   —  " if x is None else f"{x * 100:6.1f}%"


def _baseline(files: list[Path]) -> None:
    for path in files:
        try:
            if path.suffix == ".csv":
                pd.read_csv(path, header=None, sep=None, engine="python", dtype=str)
            else:
                pd.read_excel(path, sheet_name=None, header=None, engine="openpyxl")
        except Exception:  # the injected broken file: the baseline fails on it as bakhong does
            pass


def run(seed: int, level: str, repeat: int) -> bool:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "synthetic"
        truth = synthesize(seed, folder, level=level)
        files = table_files([folder])
        best = base = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            observations, problems, _ = read_tables([folder])
            findings = check(observations, problems)
            best = min(best, time.perf_counter() - start)
            start = time.perf_counter()
            _baseline(files)
            base = min(base, time.perf_counter() - start)
    scores = score(findings, truth)
    print(f"\nseed {seed}, level {level}: {len(truth['units'])} units, {len(files)} files, "
          f"{len(truth['defects'])} injected defects, {observations.height} observations")
    print(f"  {'rule':<26}{'sev.':<9}{'injected':>9}{'found':>7}{'correct':>8}"
          f"{'recall':>9}{'precision':>11}")
    for r in scores:
        print(f"  {r['rule']:<26}{r['severity']:<9}{r['injected']:>9}{r['findings']:>7}"
              f"{r['correct']:>8}{_pct(r['recall']):>9}{_pct(r['precision']):>11}")
    errors, overall = totals(scores, "error"), totals(scores)
    print(f"  {'errors':<35}{errors['injected']:>9}{errors['findings']:>7}{errors['correct']:>8}"
          f"{_pct(errors['recall']):>9}{_pct(errors['precision']):>11}")
    print(f"  {'all scored rules':<35}{overall['injected']:>9}{overall['findings']:>7}"
          f"{overall['correct']:>8}{_pct(overall['recall']):>9}{_pct(overall['precision']):>11}")
    print(f"  time to load + check the province: {best:.3f} s (best of {repeat}); baseline "
          f"pandas/openpyxl read only: {base:.3f} s; ratio {best / base:.2f}")
    error_recall = all(r["recall"] == 1.0 for r in scores
                       if r["severity"] == "error" and r["injected"])
    ok = error_recall and (overall["precision"] or 0) >= 0.95
    print(f"  goals (error recall 100%, precision ≥ 95%): {'met' if ok else 'NOT met'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("seeds", nargs="*", type=int, default=[7])
    parser.add_argument("--level", default="district", choices=("district", "commune"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    results = [run(seed, args.level, args.repeat) for seed in args.seeds]
    return 0 if all(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
