"""A result table with 100.000 rows pasted below it: ``check`` and ``annotate`` against the
naive copy, in one process.

The sheet is the clean 16-criteria template (``bakhong.synth.template``, DỮ LIỆU MÔ PHỎNG
figures) and then ``--rows`` rows of a pasted list. Measured: reading and checking it
(``read_table`` + ``check``), writing its annotated copy (``annotate``), and — the baseline —
what a naive annotated copy costs, openpyxl loading and saving the whole workbook (what
``annotate`` did before it copied only the table's rows of a large sheet). Prints each time,
the peak RSS of the process, and the ratio annotate / naive copy. Goal (issue 22): check and
annotate each ≤ 5 s.

    .venv/bin/python benchmarks/long_sheet.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _sheet(path: Path, rows: int) -> Path:
    from bakhong.synth.template import Document, Layout, write
    from bakhong.vocab.catalog import load_catalog

    cells = {i.code: {"before": 0.3, "after": max(0.92, i.target or 0)} for i in load_catalog()}
    return write(path, Document("UBND huyện Bá Thước", "2024", cells, synthetic=True),
                 Layout(pasted_rows=rows))


def _timed(work) -> tuple[float, object]:
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    from openpyxl import load_workbook

    from bakhong.checks import check
    from bakhong.read import read_table
    from bakhong.views.annotate import annotate

    with tempfile.TemporaryDirectory(prefix="bakhong-bench-") as tmp:
        path = _sheet(Path(tmp) / "386-ba-thuoc-2024.xlsx", args.rows)
        size = path.stat().st_size
        read_table(path)  # warm the imports and the catalog
        checked, found = _timed(lambda: check(read_table(path).observations))
        annotated, result = _timed(lambda: annotate(path, Path(tmp) / "out"))
        naive, _ = _timed(lambda: load_workbook(path).save(Path(tmp) / "naive.xlsx"))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows = f"{args.rows:,}".replace(",", ".")
    print(f"sheet: {rows} rows below the table, {size / 1e6:.1f} MB")
    print(f"check (read + rules): {checked:6.2f} s   ({found.height} findings)")
    print(f"annotate:             {annotated:6.2f} s   ({result.path.name})")
    print(f"baseline, naive copy (openpyxl load + save of the whole workbook): {naive:6.2f} s")
    print(f"ratio annotate / naive copy: {annotated / naive:.2f}")
    print(f"peak RSS of this process: {peak:.0f} MB   goal: check and annotate ≤ 5 s each")


if __name__ == "__main__":
    main()
