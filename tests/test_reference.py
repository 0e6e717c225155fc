"""data/raw/reference and the copies bundled in the package must not drift apart."""

from __future__ import annotations

import csv

import pytest
from conftest import ROOT

from bakhong import config
from bakhong.vocab.units import by_code, districts, populations

REFERENCE = ROOT / "data" / "raw" / "reference"


@pytest.mark.parametrize("name", ["units.csv", "population.csv", "targets.csv"])
def test_reference_tables_equal_the_bundled_ones(name):
    def rows(path):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return list(csv.DictReader(handle))

    assert rows(REFERENCE / name) == rows(config.PACKAGE_DATA / name), (
        f"data/raw/reference/{name} and bakhong/_data/{name} differ: change both")


def test_the_27_districts_and_the_merger():
    codes = [u.code for u in districts()]
    assert len(codes) == 27 and "383" not in codes
    assert codes == sorted(codes) and codes[0] == "380" and codes[-1] == "407"
    assert all(u.communes for u in districts())
    dong_son = by_code("405")
    assert (dong_son.merged_into, dong_son.valid_to) == ("380", "2024-12-31")


def test_populations_only_where_cited():
    assert set(populations()) == {"38", "386", "381", "390", "405"}
    assert all(p.source for p in populations().values())


def test_nga_lien_plan_targets():
    from bakhong.read import read_source
    from bakhong.vocab.catalog import load_catalog

    # the targets come from the plan itself (data/raw/plans), no longer typed by hand
    catalog = load_catalog(REFERENCE)
    assert catalog.target("TC09", "16159", "2023").value == 0.4
    plan = read_source(REFERENCE.parent / "plans" / "nga-lien-ke-hoach-2023.txt").plan
    assert {t["indicator"]: t["target"] for t in plan.targets}["TC09"] == 0.8
    assert catalog.target("TC09", "396", "2024").value == 0.4
