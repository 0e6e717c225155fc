"""The batch against the naive loop, on the same notebook, data and districts, in one run.

Naive loop (the baseline): for each district, one after another, the ``papermill`` CLI then
``jupyter nbconvert --to html --no-input`` — a new kernel and two new Python processes per
report. Batch: ``bakhong batch --only … --workers W --no-overview``. Both run as subprocesses
from the same venv on a synthetic province (DỮ LIỆU MÔ PHỎNG, written with
``bakhong.synth.template`` plus the real Thường Xuân table) unless ``--data`` names a processed
folder. Prints both wall-clock times and their ratio; goal: batch ≤ 0.25 × naive.

    .venv/bin/python benchmarks/batch.py [--n 27] [--workers 2] [--data data/processed]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
NOTEBOOK = ROOT / "notebooks" / "district_report.ipynb"


def _run(cmd: list[str], env: dict[str, str]) -> None:
    subprocess.run(cmd, check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=27, help="districts (default 27)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--data", help="a processed folder (default: a synthetic province)")
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryDirectory(prefix="bakhong-bench-") as tmp:
        work = Path(tmp)
        if args.data:
            data = Path(args.data).resolve()
        else:
            sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
            from sample_province import write_province

            write_province(work / "raw", n=args.n - 1)
            data = work / "processed"
            _run([str(BIN / "bakhong"), "ingest", str(work / "raw"), "--out", str(data)], env)
        import polars as pl

        codes = sorted(pl.read_parquet(data / "observations.parquet")
                       .filter(pl.col("unit_level") == "district")["unit_code"].unique()
                       .to_list())[: args.n]
        print(f"{len(codes)} huyện, {args.workers} tiến trình, máy {os.cpu_count()} nhân; "
              f"số liệu: {data}")

        started = time.perf_counter()
        naive_out = work / "naive"
        naive_out.mkdir()
        for code in codes:
            executed = naive_out / f"{code}.ipynb"
            _run([str(BIN / "papermill"), str(NOTEBOOK), str(executed), "-p", "unit", code,
                  "-p", "data_dir", str(data), "--no-progress-bar"], env)
            _run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input",
                  str(executed)], env)
        naive = time.perf_counter() - started
        assert len(list(naive_out.glob("*.html"))) == len(codes)

        started = time.perf_counter()
        _run([str(BIN / "bakhong"), "batch", "--only", *codes, "--workers", str(args.workers),
              "--out", str(work / "batch"), "--data", str(data), "--no-overview", "--quiet",
              "--no-pdf"],
             env)
        batch = time.perf_counter() - started
        assert len(list((work / "batch").glob("*/[0-9]*.html"))) == len(codes)

    print(f"vòng lặp thường (papermill + nbconvert, tuần tự): {naive:7.1f} s "
          f"({naive / len(codes):.2f} s/báo cáo)")
    print(f"bakhong batch ({args.workers} tiến trình):              {batch:7.1f} s "
          f"({batch / len(codes):.2f} s/báo cáo)")
    print(f"tỷ lệ batch / vòng lặp thường: {batch / naive:.3f} (mục tiêu ≤ 0,25)")


if __name__ == "__main__":
    main()
