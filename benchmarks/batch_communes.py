"""The commune batch against the naive loop, in one run: every commune report of a period.

``--period 2025`` (default): the 166 communes and wards of 1 July 2025; ``--period 2024``:
the pre-reform communes of ``bakhong synth --level commune`` (558, made up and named so).
The data are a synthetic province (DỮ LIỆU MÔ PHỎNG) written and ingested into a temporary
folder. Batch: ``bakhong batch --period P --level commune --no-overview --no-pdf``, all
units, timed (the HTML reports, as the naive loop makes them; the PDFs are printed after).
Naive loop (the baseline): ``papermill`` then ``jupyter nbconvert --no-input`` per report,
one after another, on ``--sample`` units; its time for all units is that sample's mean per
report × the number of units. Prints both, their ratio, and the largest report's size.
Goals (issue 19): 166 reports ≤ 30 s, 558 ≤ 90 s on 2 cores, each report ≤ 1,5 MB.

    .venv/bin/python benchmarks/batch_communes.py [--period 2025] [--sample 4] [--workers 2]
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
GOAL_S = {"2025": 30.0, "2024": 90.0}
MAX_BYTES = 1.5 * 1024 * 1024


def _run(cmd: list[str], env: dict[str, str], cwd: Path) -> None:
    subprocess.run(cmd, check=True, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--period", default="2025", choices=("2024", "2025"))
    parser.add_argument("--sample", type=int, default=4, help="units of the naive loop")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bakhong-bench-communes-") as tmp:
        project = Path(tmp)
        env = {**os.environ, "PYTHONPATH": str(ROOT), "BAKHONG_HOME": str(project)}
        raw = project / "data" / "raw"
        _run([str(BIN / "bakhong"), "synth", "--seed", "7", "--period", args.period,
              "--level", "commune", "--out", str(raw / "synthetic")], env, project)
        data = project / "data" / "processed"
        _run([str(BIN / "bakhong"), "ingest", str(raw), "--out", str(data)], env, project)
        import polars as pl

        codes = sorted(pl.read_parquet(data / "observations.parquet")
                       .filter(pl.col("unit_level") == "commune")["unit_code"].unique()
                       .to_list())
        print(f"{len(codes)} xã, phường (kỳ {args.period}, DỮ LIỆU MÔ PHỎNG), {args.workers} "
              f"tiến trình, máy {os.cpu_count()} nhân")

        started = time.perf_counter()
        _run([str(BIN / "bakhong"), "batch", "--period", args.period, "--level", "commune",
              "--workers", str(args.workers), "--out", str(project / "reports"), "--data",
              str(data), "--no-overview", "--quiet", "--no-pdf"], env, project)
        batch = time.perf_counter() - started
        pages = sorted((project / "reports" / args.period).glob("[0-9]*.html"))
        largest = max(p.stat().st_size for p in pages)

        naive_out = project / "naive"
        naive_out.mkdir()
        started = time.perf_counter()
        for code in codes[: args.sample]:
            executed = naive_out / f"{code}.ipynb"
            _run([str(BIN / "papermill"), str(NOTEBOOK), str(executed), "-p", "unit", code,
                  "-p", "period", args.period, "-p", "data_dir", str(data),
                  "--no-progress-bar"], env, project)
            _run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input",
                  str(executed)], env, project)
        per_report = (time.perf_counter() - started) / args.sample
        naive = per_report * len(codes)

    goal = GOAL_S[args.period]
    print(f"bakhong batch: {len(pages)} báo cáo trong {batch:.1f} s "
          f"({batch / len(pages):.2f} s/báo cáo; mục tiêu ≤ {goal:.0f} s: "
          f"{'đạt' if batch <= goal else 'chưa đạt'})")
    print(f"vòng lặp thường (papermill + nbconvert, {args.sample} báo cáo đo, tuần tự): "
          f"{per_report:.2f} s/báo cáo → {naive:.0f} s cho {len(codes)} báo cáo")
    print(f"tỷ lệ batch / vòng lặp thường: {batch / naive:.3f}")
    print(f"báo cáo lớn nhất: {largest / 1024 / 1024:.2f} MB (mục tiêu ≤ 1,5 MB: "
          f"{'đạt' if largest <= MAX_BYTES else 'chưa đạt'})")


if __name__ == "__main__":
    main()
