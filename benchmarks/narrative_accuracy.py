"""Precision and recall of the narrative extractor on the held-back reports.

The held-back reports (tests/narratives/heldout/) were written before the extractor, the way
districts write (different wording, order, formats), and are never used to tune it. A value
counts as right when its unit, code, phase, value (±0,05 point) and qualifier match.

Baseline, measured in the same run: a keyword-free reader that takes every percentage of a
line whose text `Catalog.match_label` scores ≥ 80 (label words only, phase always "after").

    .venv/bin/python benchmarks/narrative_accuracy.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from narrative_docs import write_docx  # noqa: E402

from bakhong.read import read_source  # noqa: E402
from bakhong.read.narrative import read_blocks  # noqa: E402
from bakhong.vocab.catalog import load_catalog  # noqa: E402
from bakhong.vocab.parse import parse_value  # noqa: E402

NARRATIVES = ROOT / "tests" / "narratives"
#: set 1 was written before the extractor; set 2 after its first fixes, then measured once;
#: set 3 by another engineer after the merge, measured once
SETS = ("heldout", "heldout2", "heldout3")
TOLERANCE = 0.0005


def expected(folder: Path) -> dict[str, tuple[str, str, list[tuple[str, str, float, str]]]]:
    out: dict[str, tuple[str, str, list[tuple[str, str, float, str]]]] = {}
    current = None
    for line in (folder / "expected.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("=="):
            _, name, unit, period = line.split()
            current = name
            out[name] = (unit, period, [])
            continue
        code, phase, value, qualifier = line.split()
        out[current][2].append((code, phase, float(value), qualifier))
    return out


def materialise(heldout: Path, folder: Path) -> dict[str, Path]:
    files = {}
    for spec in sorted(heldout.iterdir()):
        if spec.name == "expected.txt":
            continue
        if spec.name.endswith(".docx.txt"):
            name = spec.name.removesuffix(".txt")
            files[name] = write_docx(spec.read_text(encoding="utf-8"), folder / name)
        else:
            files[spec.name] = spec
    return files


def baseline(path: Path) -> tuple[str, list[tuple[str, str, float, str]]]:
    catalog = load_catalog()
    got = []
    for block in read_blocks(path):
        code, score = catalog.match_label(block.text)
        if code is None or score < 80:
            continue
        for token in block.text.split():
            if token.rstrip(".,;)").endswith("%"):
                parsed = parse_value(token.rstrip(".,;)"))
                if parsed.ok:
                    got.append((code, "after", parsed.value, parsed.qualifier))
    return "", got


def score(truth, got) -> tuple[int, int, int, list, list]:
    remaining = list(truth)
    right = 0
    wrong = []
    for item in got:
        hit = next((t for t in remaining if t[0] == item[0] and t[1] == item[1]
                    and abs(t[2] - item[2]) <= TOLERANCE and t[3] == item[3]), None)
        if hit:
            remaining.remove(hit)
            right += 1
        else:
            wrong.append(item)
    return right, len(got), len(truth), wrong, remaining


def main() -> int:
    for name in SETS:
        print(f"== {name}")
        run_set(NARRATIVES / name)
        print()
    return 0


def run_set(heldout: Path) -> dict[str, list[int]]:
    """Print each file's figures and the set's precision and recall; return the totals
    {"bakhong": [right, read, true], "baseline": [...]}."""
    truth = expected(heldout)
    totals = {"bakhong": [0, 0, 0], "baseline": [0, 0, 0]}
    with tempfile.TemporaryDirectory() as tmp:
        files = materialise(heldout, Path(tmp))
        print(f"{'file':<28} {'unit':>5} {'right':>5} {'found':>5} {'true':>5}  baseline")
        for name, (unit, period, values) in truth.items():
            table = read_source(files[name])
            got = [(r["indicator"], r["phase"], r["value"], r["qualifier"])
                   for r in table.observations.iter_rows(named=True) if r["value"] is not None]
            unit_ok = table.unit is not None and table.unit.code == unit and \
                table.period == period
            if not unit_ok:  # every value of a file read for the wrong unit is wrong
                got_right, n_got, n_true, wrong, missed = 0, len(got), len(values), got, values
            else:
                got_right, n_got, n_true, wrong, missed = score(values, got)
            b_right, b_got, b_true, _, _ = score(values, baseline(files[name])[1])
            for key, (r, g, t) in (("bakhong", (got_right, n_got, n_true)),
                                   ("baseline", (b_right, b_got, b_true))):
                totals[key][0] += r
                totals[key][1] += g
                totals[key][2] += t
            print(f"{name:<28} {'ok' if unit_ok else 'WRONG':>5} {got_right:>5} {n_got:>5} "
                  f"{n_true:>5}  {b_right}/{b_got}")
            for item in wrong:
                print(f"    wrong: {item}")
            for item in missed:
                print(f"    missed: {item}")
    print()
    for key, (right, got, true) in totals.items():
        precision = right / got if got else 0.0
        recall = right / true if true else 0.0
        print(f"{key:<9} precision {precision:6.1%}  recall {recall:6.1%}  "
              f"({right} right of {got} read, {true} in the sources)")
    b = totals["baseline"]
    m = totals["bakhong"]
    if b[0]:
        print(f"recall vs baseline: {m[0] / b[0]:.2f}×")
    return totals


if __name__ == "__main__":
    sys.exit(main())
