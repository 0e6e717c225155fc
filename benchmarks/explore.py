"""How fast the explorer opens and answers a widget change, on a whole synthetic province.

Builds a project of 27 synthetic districts plus the real Thường Xuân table (``bakhong
synth`` when available, else template files written here), ingests it, then measures in
this process (as the kernel would run it; no browser):

* cold open: a new Jupyter kernel (jupyter_client, as JupyterLab starts one) running the
  explore.ipynb cell, widgets displayed — in the plain ``python3`` kernel and in the
  project's ``bakhong`` kernel, which imports the libraries while it starts
  (:func:`bakhong.explore.preload`); the kernels' start times are printed too;
* warm open: ``bakhong.explore()`` again in a process that has built one;
* every widget change, each applied in turn (median of ``--repeat`` rounds).

Baseline, measured in the same run: reading ``data/processed`` alone (the two parquet
files) — what no explorer can beat. The front-end's own drawing is not in these figures:
the end-to-end test (tests/test_explore_lab.py) records the browser-side time from a
dropdown change to the redrawn chart in tests/artifacts/explore-lab.json.

Run: ``.venv/bin/python benchmarks/explore.py [--repeat 5]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import polars as pl  # noqa: E402

from bakhong.ingest import ingest  # noqa: E402


def make_province(root: Path, seed: int = 7) -> str:
    """The real Thường Xuân table plus ``bakhong synth``'s 27 synthetic districts."""
    from bakhong.synth.province import synthesize

    raw = root / "data" / "raw"
    (raw / "tables").mkdir(parents=True)
    (raw / "tables" / "thuong-xuan-2024.xlsx").write_bytes(
        (ROOT / "data" / "raw" / "tables" / "thuong-xuan-2024.xlsx").read_bytes())
    synthesize(seed, raw / "synthetic")
    return "bakhong synth"


CELL = """import time as _time
_started = _time.perf_counter()
import bakhong
from IPython.display import display
display(bakhong.explore(interactive=True))
print(_time.perf_counter() - _started)
"""


def kernel_open(kernel: str, root: Path) -> tuple[float, float]:
    """(seconds to start the kernel, seconds the explore.ipynb cell runs in it — imports,
    data, widgets and their state sent to the front-end), in a real new kernel."""
    import os

    from jupyter_client.manager import start_new_kernel

    started = time.perf_counter()
    km, kc = start_new_kernel(kernel_name=kernel, cwd=str(root),
                              env={**os.environ, "BAKHONG_HOME": str(root)})
    start = time.perf_counter() - started
    out: list[str] = []
    try:
        reply = kc.execute_interactive(CELL, timeout=120, output_hook=lambda m: out.append(
            m["content"].get("text", "")) if m["msg_type"] == "stream" else None)
        assert reply["content"]["status"] == "ok", reply["content"]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return start, float("".join(out).split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        how = make_province(root)
        ingest(root / "data" / "raw", root / "data" / "processed")
        processed = root / "data" / "processed"
        obs = pl.read_parquet(processed / "observations.parquet")
        fnd = pl.read_parquet(processed / "findings.parquet")
        print(f"data: {obs['unit_code'].n_unique()} units, {obs.height} observations, "
              f"{fnd.height} findings (made with {how})")

        started = time.perf_counter()
        pl.read_parquet(processed / "observations.parquet")
        pl.read_parquet(processed / "findings.parquet")
        baseline = time.perf_counter() - started

        from bakhong.views.explore import KERNEL_NAME, install_kernel

        install_kernel()
        kernels = {}
        for kernel in ("python3", KERNEL_NAME):
            runs = [kernel_open(kernel, root) for _ in range(args.repeat)]
            kernels[kernel] = (statistics.median(r[0] for r in runs),
                               statistics.median(r[1] for r in runs))

        import bakhong
        bakhong.explore(root=root, interactive=True)  # imports and caches warmed
        opens = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            ex = bakhong.explore(root=root, interactive=True)
            opens.append(time.perf_counter() - started)
        changes: dict[str, list[float]] = {}
        codes = [v for _, v in ex.controls.units.options]
        for _ in range(args.repeat):
            steps = [
                ("chỉ tiêu → TC09", ex.controls.indicator, "TC09"),
                ("chỉ tiêu → trụ cột K2", ex.controls.indicator, "K2"),
                ("giai đoạn → trước", ex.controls.phase, "before"),
                ("chọn 3 đơn vị", ex.controls.units, tuple(codes[:3])),
                ("bỏ chọn đơn vị", ex.controls.units, ()),
                ("ẩn dữ liệu mô phỏng", ex.controls.synthetic, False),
                ("hiện dữ liệu mô phỏng", ex.controls.synthetic, True),
                ("sắp xếp theo ô nguồn", ex.controls.sort_by, "source"),
                ("mọi phát hiện", ex.controls.only_indicator, False),
                ("giai đoạn → sau", ex.controls.phase, "after"),
                ("chỉ tiêu → K1", ex.controls.indicator, "K1"),
                ("sắp xếp theo mức độ", ex.controls.sort_by, "severity"),
                ("chỉ phát hiện của chỉ tiêu", ex.controls.only_indicator, True),
            ]
            for name, control, value in steps:
                started = time.perf_counter()
                control.value = value
                changes.setdefault(name, []).append(time.perf_counter() - started)

    warm = statistics.median(opens)
    print(f"baseline (read data/processed only): {baseline * 1000:.1f} ms")
    for kernel, (start, cell) in kernels.items():
        what = ("the project's kernel, preloading" if kernel != "python3" else
                "plain ipykernel")
        print(f"cold open in a new {kernel} kernel ({what}; median of {args.repeat}): "
              f"kernel start {start * 1000:.0f} ms, then the explore.ipynb cell "
              f"{cell * 1000:.0f} ms ({cell / baseline:.0f}x baseline)")
    print(f"warm open (median of {args.repeat}): {warm * 1000:.0f} ms "
          f"({warm / baseline:.0f}x baseline)")
    worst = 0.0
    for name, times in changes.items():
        median = statistics.median(times)
        worst = max(worst, max(times))
        print(f"  change {name:<28} median {median * 1000:6.1f} ms, max "
              f"{max(times) * 1000:6.1f} ms")
    first = kernels["bakhong"][1]
    print(f"slowest change: {worst * 1000:.0f} ms; target 500 ms: "
          f"{'met' if max(worst, warm, first) < 0.5 else 'NOT met'} (first open in the "
          f"project's kernel, warm open and changes)")


if __name__ == "__main__":
    main()
