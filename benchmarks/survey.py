"""Survey microdata: 3 million people aggregated to commune and district indicators.

Compares, in the same run and each case in a fresh subprocess (so peak memory is its own):

* ``bakhong`` — :func:`bakhong.survey.read_surveys` + :func:`bakhong.survey.aggregate`:
  header matching, yes/no and age reading, unreadable-row accounting, CCCD validation and
  duplicate detection, units, TC06–TC09 per commune and district;
* ``pandas`` — a plain pandas implementation of the same aggregation (CCCD validated and
  duplicates dropped, ages, the same four indicators per commune and district): the named
  baseline;
* ``polars-plain`` — a bare polars lazy query (group-by sums, no validation, no duplicate
  check), the floor a polars implementation can reach;
* ``polars-direct`` — the pandas baseline's steps written directly in polars (regex
  validation, ``is_first_distinct`` for duplicates): what a first polars port would give;

from Parquet and from CSV. As in a district's file, some rows are to be corrected (every
100.000th person aged 5; in the CSV, a yes/no cell reading "??"): each case meets them.
Then Excel: rows per second reading a survey workbook with calamine (bakhong's reader)
against openpyxl (read-only mode).

Each case runs in ``--repeat`` new processes, each timing it twice: cold (the first call in
the process, as ``bakhong ingest`` meets it) and warm (as an analyst's second call in a
kernel meets it); the medians of both are printed — pandas gets the same treatment. Peak
memory is the highest of the processes' own high-water marks (VmHWM, as ``ru_maxrss``
would be without the parent's peak that Linux carries across fork+exec; interpreter and
imports included — the ``imports`` line gives that floor). Timings exclude imports. Other
processes share this machine, so figures are noisy.

    .venv/bin/python benchmarks/survey.py [--people 3000000] [--repeat 3] [--excel-rows 20000]

DỮ LIỆU MÔ PHỎNG: the survey is made by :mod:`bakhong.synth.survey`.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

YES = ["x", "có", "co", "1", "true", "yes"]
#: the four indicators every case computes: code -> (column, minimum age)
FIELDS = {"TC06": ("Điện thoại thông minh", 18), "TC07": ("Tài khoản ngân hàng", 15),
          "TC08": ("Tài khoản định danh điện tử VNeID", 15), "TC09": ("Chữ ký điện tử", 18)}
FLAGS = [column for column, _ in FIELDS.values()]


def _polars_sums(flag: Callable[[str], Any]) -> list[Any]:
    """Numerator and denominator of each indicator as polars sums; ``flag(column)`` reads a
    yes/no column."""
    import polars as pl

    sums = []
    for code, (column, age) in FIELDS.items():
        sums += [(flag(column) & (pl.col("age") >= age)).sum().alias(f"{code}_num"),
                 (pl.col("age") >= age).sum().alias(f"{code}_den")]
    return sums


def _rates():
    import polars as pl

    from bakhong.vocab import units

    rows = []
    for i, district in enumerate(units.districts()):
        for code in ("TC06", "TC07", "TC08", "TC09", "TC14"):
            rows.append({"unit_code": district.code, "unit_level": "district", "period": "2024",
                         "phase": "after", "status": "ok", "indicator": code,
                         "value": 0.55 + (i % 8) * 0.05})
    return pl.DataFrame(rows)


def make_data(folder: Path, people: int) -> tuple[Path, Path, float]:
    import polars as pl

    from bakhong.synth import survey as survey_synth

    start = time.perf_counter()
    frame = survey_synth.generate(_rates(), seed=11, people=people, period="2024")
    # like a district's file, some rows are to be corrected: every 100.000th person is aged
    # 5 (both files) and, in the CSV, a yes/no cell reads "??" — each run reads and reports
    # such rows too, as it must on real files
    aged_five = pl.col("stt") % 100_000 == 50_000
    frame = frame.with_columns(
        pl.when(aged_five).then(pl.lit(2019, pl.Int16)).otherwise("birth_year").alias("birth_year"),
        pl.when(aged_five).then(pl.lit(5, pl.Int16)).otherwise("age").alias("age"))
    parquet = survey_synth.write(frame, folder, "2024", "parquet")[0]
    seconds = time.perf_counter() - start
    text = frame.drop("birth_year").with_columns(
        pl.when(pl.col(f)).then(pl.lit("x")).otherwise(pl.lit("")).alias(f)
        for f in survey_synth.FLAGS).with_columns(
        pl.when(pl.col("stt") % 100_000 == 25_000).then(pl.lit("??"))
        .otherwise(pl.col("smartphone")).alias("smartphone")
    ).rename(survey_synth.HEADERS, strict=False)
    csv_path = folder / f"{survey_synth.file_stem('2024')}.csv"
    text.write_csv(csv_path)
    return parquet, csv_path, seconds


# --- the cases (run in a child process) ------------------------------------------------

def case_bakhong(path: Path) -> int:
    from bakhong import survey

    found = survey.read_surveys([path])
    return survey.aggregate(found, ("commune", "district")).height


def case_polars_plain(path: Path) -> int:
    import polars as pl

    if path.suffix == ".parquet":
        lazy = pl.scan_parquet(path).with_columns(
            (2024 - pl.col("Năm sinh").cast(pl.Int32)).alias("age"))
        flag = pl.col
    else:
        lazy = pl.scan_csv(path, infer_schema=False).with_columns(
            pl.col("Tuổi").cast(pl.Int32).alias("age"))

        def flag(name: str) -> pl.Expr:
            return pl.col(name).fill_null("").str.to_lowercase().is_in(YES)
    communes = lazy.group_by("Mã huyện", "Mã xã").agg(*_polars_sums(flag))
    districts = communes.group_by("Mã huyện").agg(pl.exclude("Mã xã").sum())
    a, b = pl.collect_all([communes, districts])
    return a.height + b.height


def case_polars_direct(path: Path) -> int:
    """The pandas baseline's steps written directly in polars (lazy): regex-validated CCCD,
    duplicates dropped with ``is_first_distinct``, ages in range, the four indicators."""
    import polars as pl

    if path.suffix == ".parquet":
        lazy = pl.scan_parquet(path).with_columns(
            (2024 - pl.col("Năm sinh").cast(pl.Int32)).alias("age"))
    else:
        lazy = pl.scan_csv(path, infer_schema=False).with_columns(
            pl.col("Tuổi").cast(pl.Int32, strict=False).alias("age"),
            *(pl.col(f).fill_null("").str.strip_chars().str.to_lowercase().is_in(YES).alias(f)
              for f in FLAGS))
    ids = pl.col("Số CCCD").cast(pl.String)
    lazy = lazy.filter(~(ids.str.contains(r"^\d{12}$") & ~ids.is_first_distinct())) \
        .filter(pl.col("age").is_between(15, 120))
    communes = lazy.group_by("Mã huyện", "Huyện", "Mã xã", "Xã").agg(*_polars_sums(pl.col))
    districts = communes.group_by("Mã huyện", "Huyện").agg(pl.exclude("Mã xã", "Xã").sum())
    a, b = pl.collect_all([communes, districts])
    return a.height + b.height


def case_pandas(path: Path) -> int:
    import pandas as pd

    location = ["Mã huyện", "Huyện", "Mã xã", "Xã", "Mã thôn", "Thôn"]
    flags = FLAGS
    if path.suffix == ".parquet":
        frame = pd.read_parquet(path, columns=["Số CCCD", "Năm sinh", *location, *flags])
        frame["age"] = 2024 - frame["Năm sinh"].astype("int32")
    else:
        frame = pd.read_csv(path, usecols=["Số CCCD", "Tuổi", *location, *flags], dtype=str,
                            keep_default_na=False)
        frame["age"] = pd.to_numeric(frame["Tuổi"], errors="coerce")
        for column in flags:
            frame[column] = frame[column].str.strip().str.lower().isin(YES)
    ids = frame["Số CCCD"].astype(str)
    valid = ids.str.fullmatch(r"\d{12}")
    frame = frame[~(valid & ids.duplicated())]
    frame = frame[frame["age"].between(15, 120)]
    for code, (column, age) in FIELDS.items():
        eligible = frame["age"] >= age
        frame[f"{code}_num"] = eligible & frame[column].astype(bool)
        frame[f"{code}_den"] = eligible
    sums = [f"{c}_{p}" for c in FIELDS for p in ("num", "den")]
    communes = frame.groupby(["Mã huyện", "Huyện", "Mã xã", "Xã"])[sums].sum().reset_index()
    districts = communes.groupby(["Mã huyện", "Huyện"])[sums].sum().reset_index()
    return len(communes) + len(districts)


def case_imports(path: Path) -> int:
    import pandas  # noqa: F401
    import polars  # noqa: F401

    from bakhong import survey  # noqa: F401

    return 0


CASES = {"bakhong": case_bakhong, "polars-plain": case_polars_plain,
         "polars-direct": case_polars_direct, "pandas": case_pandas, "imports": case_imports}


def child(case: str, path: Path, repeat: int) -> None:
    function = CASES[case]
    if case == "bakhong":
        from bakhong import survey  # noqa: F401  (imports are not timed)
    elif case == "pandas":
        import pandas  # noqa: F401
        import pyarrow  # noqa: F401
    else:
        import polars  # noqa: F401
    runs = []
    for _ in range(1 + repeat):
        start = time.perf_counter()
        groups = function(path)
        runs.append(time.perf_counter() - start)
    print(json.dumps({"cold": runs[0], "warm": runs[1:], "peak_mb": _peak_mb(),
                      "groups": groups}))


def _peak_mb() -> float:
    """This process's peak resident memory. ``ru_maxrss`` after fork+exec keeps the parent's
    peak on Linux, so VmHWM (the high-water mark of this process's own memory map) is read
    where /proc has it."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(case: str, path: Path, repeat: int) -> dict[str, Any]:
    """``repeat`` new processes, each timing one cold and one warm run."""
    runs = []
    for _ in range(max(1, repeat)):
        out = subprocess.run([sys.executable, __file__, "--case", case, "--file", str(path),
                              "--repeat", "1" if repeat else "0"],
                             capture_output=True, text=True, check=True)
        runs.append(json.loads(out.stdout))
    colds = [r["cold"] for r in runs]
    warms = [w for r in runs for w in r["warm"]] or colds
    return {"seconds": statistics.median(warms), "cold": statistics.median(colds),
            "peak_mb": max(r["peak_mb"] for r in runs), "groups": runs[0]["groups"],
            "all": [round(r, 3) for r in warms], "colds": [round(r, 3) for r in colds]}


# --- Excel -------------------------------------------------------------------------------

def excel(folder: Path, rows: int) -> None:
    import polars as pl

    from bakhong import survey
    from bakhong.synth import survey as survey_synth

    frame = survey_synth.generate(_rates(), seed=3, people=rows, period="2024")
    text = frame.drop("birth_year").with_columns(
        pl.when(pl.col(f)).then(pl.lit("x")).otherwise(pl.lit("")).alias(f)
        for f in survey_synth.FLAGS)
    path = folder / f"excel-{survey_synth.file_stem('2024')}.xlsx"
    survey_synth._write_xlsx(path, [[survey_synth.SYNTHETIC_TITLE],
                                    [survey_synth.HEADERS[c] for c in text.columns]], text)
    start = time.perf_counter()
    found = survey.read_surveys([path])
    calamine = time.perf_counter() - start
    from openpyxl import load_workbook

    start = time.perf_counter()
    wb = load_workbook(path, read_only=True)
    count = sum(1 for _ in wb.active.iter_rows(values_only=True))
    wb.close()
    openpyxl = time.perf_counter() - start
    print(f"\nExcel, {rows:,} people in one .xlsx ({path.stat().st_size / 1e6:.1f} MB)")
    print(f"  bakhong (calamine) read + normalise: {calamine:6.2f} s  "
          f"{found.people.height / calamine:>10,.0f} rows/s")
    print(f"  openpyxl read-only, values only:     {openpyxl:6.2f} s  "
          f"{count / openpyxl:>10,.0f} rows/s")
    print(f"  ratio: calamine path {openpyxl / calamine:.1f}× faster than openpyxl alone")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=3_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--excel-rows", type=int, default=20_000)
    parser.add_argument("--case", choices=sorted(CASES))
    parser.add_argument("--file", type=Path)
    args = parser.parse_args()
    if args.case:
        child(args.case, args.file, args.repeat)
        return
    with tempfile.TemporaryDirectory(prefix="bakhong-survey-bench-") as tmp:
        folder = Path(tmp)
        parquet, csv_path, generated = make_data(folder, args.people)
        print(f"DỮ LIỆU MÔ PHỎNG — {args.people:,} people aged 15+; generated and written to "
              f"Parquet in {generated:.2f} s ({parquet.stat().st_size / 1e6:.0f} MB); "
              f"CSV {csv_path.stat().st_size / 1e6:.0f} MB")
        floor = measure("imports", parquet, 0)
        print(f"peak memory of the interpreter with polars, pandas, bakhong imported: "
              f"{floor['peak_mb']:.0f} MB\n")
        print(f"{'case':<28}{'cold s':>8}{'warm s':>9}{'peak MB':>9}  cold, warm runs (s)")
        results = {}
        for source, path in (("Parquet", parquet), ("CSV", csv_path)):
            for case in ("bakhong", "polars-plain", "polars-direct", "pandas"):
                r = measure(case, path, args.repeat)
                results[(case, source)] = r
                print(f"{case + ' / ' + source:<28}{r['cold']:>8.3f}{r['seconds']:>9.3f}"
                      f"{r['peak_mb']:>9.0f}  {r['colds']}, {r['all']}")
        for source in ("Parquet", "CSV"):
            ours, theirs = results[("bakhong", source)], results[("pandas", source)]
            print(f"{source}: bakhong is {theirs['seconds'] / ours['seconds']:.1f}× faster than "
                  f"the pandas baseline warm, {theirs['cold'] / ours['cold']:.1f}× cold")
        print("goals: ≤ 0,5 s from Parquet, ≥ 8× faster than pandas, peak ≤ 600 MB")
        excel(folder, args.excel_rows)


if __name__ == "__main__":
    main()
