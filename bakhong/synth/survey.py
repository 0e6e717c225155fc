"""A synthetic household survey of everyone aged 15+, agreeing with the district tables.

DỮ LIỆU MÔ PHỎNG — every file written here is synthetic and says so: its name holds
``du-lieu-mo-phong``, a Parquet file carries the mark in its metadata, a CSV or workbook in
its title row; observations computed from it have ``synthetic`` = true.

The rates come from an observation table (the "after" figures of each district, e.g. the
synthetic province of ``bakhong synth`` read back): each commune's rate is the district's
plus noise, each person a Bernoulli draw, so the survey agrees, with noise, with the
district tables — or, for the synthetic province at commune level (``bakhong synth --level
commune``), with each commune's own table, using its code ("396-01") and name ("Mô phỏng 01 –
Thường Xuân", :func:`bakhong.units.synthetic_commune`). People per district are proportional
to its number of communes (``units.csv``); about 2.9 million for the whole province by
default. Names, CCCD numbers
and phone numbers are obviously fake ("Người Mô Phỏng 0000123", CCCD "999…" — no province
has code 999 —, phone "0000…"), there to prove they never leave the loader; about 0.1% of
people are written twice with the same CCCD, to exercise the duplicate check.

One planted gap (``gap=True``, the default): in one district without commune tables, the
survey measures one rate (TC06, TC07 or TC09, drawn from the seed) at about half of what the
district reported — the over-reporting only a survey can reveal, which the survey-versus-
report check must find. It is written down beside the survey (``*.ground-truth.json``:
unit, indicator, reported rate, surveyed rate) and nowhere else differs from the tables.

Deterministic for a seed: the same seed and inputs give the same files, byte for byte.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from ..errors import UsageError
from ..vocab import units as units_mod
from ..vocab.catalog import load_catalog
from .template import SYNTHETIC_TITLE

PROVINCE_PEOPLE = 2_900_000
RATE_INDICATORS = {"TC06": "smartphone", "TC07": "bank", "TC08": "vneid", "TC09": "esign",
                   "TC14": "dvc"}
HEADERS = {
    "stt": "STT", "name": "Họ và tên", "cccd": "Số CCCD", "birth_year": "Năm sinh",
    "age": "Tuổi", "phone_number": "Số điện thoại", "district_code": "Mã huyện",
    "district": "Huyện", "commune_code": "Mã xã", "commune": "Xã", "village_code": "Mã thôn",
    "village": "Thôn", "phone": "Điện thoại", "smartphone": "Điện thoại thông minh",
    "sim_own": "Thuê bao chính chủ", "vneid": "Tài khoản định danh điện tử VNeID",
    "dvc": "Tài khoản dịch vụ công trực tuyến", "bank": "Tài khoản ngân hàng",
    "esign": "Chữ ký điện tử",
}
FLAGS = ("phone", "smartphone", "sim_own", "vneid", "dvc", "bank", "esign")
DUPLICATE_SHARE = 0.001
COMMUNE_NOISE = 0.03
#: The planted over-report: the surveyed rate is this share of the reported one.
GAP_SHARE = 0.5
GAP_INDICATORS = ("TC06", "TC07", "TC09")


#: Findings that make a reported rate untrustworthy: a survey does not repeat the error,
#: it measures the truth — so the report and its survey disagree there, as they would.
UNTRUSTED = ("swapped_ratio", "ratio_over_100", "stated_mismatch", "outlier")


def district_rates(observations: pl.DataFrame,
                   findings: pl.DataFrame | None = None) -> dict[str, dict[str, float]]:
    """The "after" rate of each unit (district, or synthetic commune "396-01") and survey
    indicator in an observation table; a swapped ratio is read the right way round and a
    rate with another :data:`UNTRUSTED` finding is left out (the generator then uses the
    median of the other units)."""
    untrusted: set[tuple[str, str]] = set()
    if findings is not None and not findings.is_empty():
        bad = findings.filter(pl.col("rule").is_in(list(UNTRUSTED))
                              & (pl.col("phase") == "after"))
        untrusted = set(bad.select("unit_code", "indicator").iter_rows())
    obs = observations
    if "origin" in obs.columns:
        obs = obs.filter(pl.col("origin").fill_null("table") != "survey")
    obs = obs.filter(pl.col("unit_level").is_in(["district", "commune"])
                     & (pl.col("phase") == "after")
                     & (pl.col("status") == "ok") & pl.col("value").is_not_null()
                     & pl.col("indicator").is_in(list(RATE_INDICATORS)))
    rates: dict[str, dict[str, float]] = {}
    swapped = set()
    if findings is not None and not findings.is_empty():
        swapped = set(findings.filter(rule="swapped_ratio").select(
            "unit_code", "indicator").iter_rows())
    for row in obs.iter_rows(named=True):
        key = (row["unit_code"], row["indicator"])
        value = row["value"]
        if key in swapped and row["numerator"] and row["denominator"]:
            value = row["denominator"] / row["numerator"]
        elif key in untrusted:
            rates.setdefault(row["unit_code"], {})
            continue
        rates.setdefault(row["unit_code"], {})[row["indicator"]] = min(max(value, 0.0), 1.0)
    return rates


def _period(observations: pl.DataFrame) -> str:
    periods = observations.filter(pl.col("period") != "")["period"]
    return periods.mode().sort()[0] if periods.len() else "2024"


def planted_gap(rates: dict[str, dict[str, float]], seed: int) -> dict[str, object] | None:
    """The one (district, indicator) whose surveyed rate is :data:`GAP_SHARE` of its
    reported rate: a district with a trusted reported rate and no commune tables, drawn
    from the seed (its own stream: the people drawn elsewhere do not change)."""
    has_communes = {c.split("-")[0] for c in rates if "-" in c}
    choices = sorted((code, indicator) for code, r in rates.items()
                     if re.fullmatch(r"\d{3}", code) and code not in has_communes
                     for indicator in GAP_INDICATORS if indicator in r and r[indicator] >= 0.4)
    if not choices:
        return None
    code, indicator = choices[int(np.random.default_rng(seed + 1).integers(len(choices)))]
    reported = rates[code][indicator]
    return {"unit_code": code, "unit_name": units_mod.by_code(code).name,
            "indicator": indicator, "reported": round(reported, 4),
            "surveyed": round(reported * GAP_SHARE, 4)}


def _communes(districts: list[units_mod.Unit], per_district: np.ndarray,
              rates: dict[str, dict[str, float]], communes_of: dict[str, list[int]],
              planted: dict[str, object] | None, medians: dict[str, float],
              rng: np.random.Generator) -> tuple[list[tuple[int, str, str, dict[str, float]]],
                                                 list[int]]:
    """The communes surveyed: (district index, commune code, name, rates) and the people of
    each."""
    catalog = load_catalog()
    commune_rows, commune_people = [], []
    for i, (district, n) in enumerate(zip(districts, per_district, strict=True)):
        # the synthetic province's own communes when it has them ("396-01"), else as many
        # synthetic communes as the district has (fewer for a small survey)
        numbers = sorted(communes_of.get(district.code, [])) or list(
            range(1, max(1, min(district.communes or 10, n // 150 or 1)) + 1))
        split = rng.multinomial(n, np.full(len(numbers), 1 / len(numbers)))
        own = dict(rates[district.code])
        if planted and planted["unit_code"] == district.code:
            own[str(planted["indicator"])] = float(planted["surveyed"])  # type: ignore[arg-type]
        for j, number in enumerate(numbers):
            commune = units_mod.synthetic_commune(district.code, number)
            known = rates.get(commune.code, {})
            base = {c: known.get(c, own.get(c, medians.get(c, catalog[c].target or 0.7)))
                    for c in RATE_INDICATORS}
            noise = 0.0 if known else COMMUNE_NOISE  # a commune's own table is its rate
            noisy = {c: float(np.clip(v + rng.normal(0, noise), 0.01, 0.995))
                     for c, v in base.items()}
            commune_rows.append((i, commune.code, commune.name, noisy))
            commune_people.append(int(split[j]))
    return commune_rows, commune_people


def _answers(commune_rows: list[tuple[int, str, str, dict[str, float]]],
             commune_of: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Each person's yes/no answers, drawn at their commune's rates."""
    total = len(commune_of)

    def draw(indicator: str) -> np.ndarray:
        p = np.array([c[3][indicator] for c in commune_rows])[commune_of]
        return rng.random(total) < p

    smartphone = draw("TC06")
    phone = smartphone | (rng.random(total) < 0.8)
    return {
        "phone": phone, "smartphone": smartphone,
        "sim_own": phone & (rng.random(total) < 0.9),
        "vneid": draw("TC08"), "dvc": draw("TC14"), "bank": draw("TC07"), "esign": draw("TC09"),
    }


def generate(observations: pl.DataFrame, seed: int = 7, people: int = PROVINCE_PEOPLE,
             period: str | None = None, findings: pl.DataFrame | None = None,
             gap: bool | dict[str, object] | None = True) -> pl.DataFrame:
    """One row per person aged 15+, with the survey's Vietnamese headers (and fake PII).

    ``findings``: the checks' findings on ``observations``; rates they show to be wrong are
    not copied (see :func:`district_rates`). ``gap``: plant the over-report of
    :func:`planted_gap` (True), this one (a dict of :func:`planted_gap`), or none.
    """
    rates = district_rates(observations, findings)
    planted = planted_gap(rates, seed) if gap is True else gap or None
    communes_of: dict[str, list[int]] = {}
    for code in rates:
        m = re.fullmatch(r"(\d{3})-(\d{2,3})", code)  # a synthetic commune of bakhong synth
        if m:
            communes_of.setdefault(m.group(1), []).append(int(m.group(2)))
    for district_code in communes_of:
        rates.setdefault(district_code, {})
    if not any(re.fullmatch(r"\d{3}", c) for c in rates):
        raise UsageError("bảng quan sát không có số liệu “sau triển khai” của huyện nào cho "
                         "TC06–TC09: không có gì để mô phỏng khảo sát theo")
    period = period or _period(observations)
    year = int(period) if period.isdigit() else 2024
    medians = {c: float(np.median(v)) for c in RATE_INDICATORS
               if (v := [r[c] for code, r in rates.items()
                         if c in r and re.fullmatch(r"\d{3}", code)])}
    rng = np.random.default_rng(seed)
    districts = [units_mod.by_code(code) for code in sorted(rates)
                 if re.fullmatch(r"\d{3}", code)]
    weights = np.array([d.communes or 10 for d in districts], dtype=float)
    per_district = rng.multinomial(people, weights / weights.sum())
    commune_rows, commune_people = _communes(districts, per_district, rates, communes_of,
                                              planted, medians, rng)
    counts = np.array(commune_people)
    commune_of = np.repeat(np.arange(len(commune_rows)), counts)
    total = int(counts.sum())
    villages_per = rng.integers(4, 11, size=len(commune_rows))
    village_of = (rng.random(total) * villages_per[commune_of]).astype(np.int16)
    order = np.lexsort((village_of, commune_of))
    village_of = village_of[order] + 1
    ages = np.arange(15, 96)
    shape = np.where(ages < 60, 1.0, np.maximum(0.05, 1 - (ages - 60) / 38))
    age = rng.choice(ages, size=total, p=shape / shape.sum()).astype(np.int16)

    flags = _answers(commune_rows, commune_of, rng)
    index = np.arange(total, dtype=np.int64)
    ids = index.copy()
    dup = rng.random(total) < DUPLICATE_SHARE
    dup[0] = False
    ids[dup] = (rng.random(int(dup.sum())) * index[dup]).astype(np.int64)  # an earlier person
    districts_frame = pl.DataFrame({
        "district_code": [d.code for d in districts], "district": [d.name for d in districts]})
    communes_frame = pl.DataFrame({
        "_d": [c[0] for c in commune_rows], "commune_code": [c[1] for c in commune_rows],
        "commune": [c[2] for c in commune_rows]})
    where = communes_frame[commune_of]
    where = pl.concat([districts_frame[where["_d"].to_numpy()], where.drop("_d")],
                      how="horizontal")
    frame = pl.DataFrame({"stt": index + 1, "_id": ids, "age": age,
                          "_village": village_of}).with_columns(
        pl.format("Người Mô Phỏng {}", (pl.col("stt")).cast(pl.String).str.zfill(7))
        .alias("name"),
        pl.format("999{}", pl.col("_id").cast(pl.String).str.zfill(9)).alias("cccd"),
        pl.format("0000{}", (pl.col("stt") % 1_000_000).cast(pl.String).str.zfill(6))
        .alias("phone_number"),
        (pl.lit(year, pl.Int16) - pl.col("age")).alias("birth_year"),
    )
    frame = pl.concat([frame, where, pl.DataFrame(flags)], how="horizontal").with_columns(
        pl.format("{}-T{}", pl.col("commune_code"), pl.col("_village").cast(pl.String)
                  .str.zfill(2)).alias("village_code"),
        pl.format("Thôn {}", pl.col("_village")).alias("village"),
    )
    return frame.select(
        "stt", "name", "cccd", "birth_year", "age", "phone_number", "district_code",
        "district", "commune_code", "commune", "village_code", "village", *FLAGS)


def file_stem(period: str) -> str:
    return f"khao-sat-{period}-du-lieu-mo-phong"


def write(frame: pl.DataFrame, out: Path, period: str, fmt: str = "parquet") -> list[Path]:
    """Write the survey: one Parquet file, or one .csv/.xlsx per commune (with title rows)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    mark = f"{SYNTHETIC_TITLE} — không phải số liệu thật (bakhong synth-survey)"
    if fmt == "parquet":
        path = out / f"{file_stem(period)}.parquet"
        typed = frame.drop("age").rename(HEADERS, strict=False)
        typed.write_parquet(path, metadata={"bakhong": mark, "synthetic": "true"},
                            statistics=False)
        return [path]
    text = frame.drop("birth_year").with_columns(
        pl.when(pl.col(f)).then(pl.lit("x")).otherwise(pl.lit("")).alias(f) for f in FLAGS)
    paths = []
    for (code, name, district), group in text.group_by(
            ["commune_code", "commune", "district"], maintain_order=True):
        title = f"Phiếu khảo sát người từ 15 tuổi trở lên — xã {name}, huyện {district}"
        rows = group
        header = [HEADERS[c] for c in rows.columns]
        path = out / f"{code}-{file_stem(period)}.{fmt}"
        if fmt == "csv":
            with path.open("w", encoding="utf-8-sig", newline="") as handle:
                handle.write(f"{mark}\n{title}\n")
                handle.write(",".join(header) + "\n")
            with path.open("a", encoding="utf-8", newline="") as handle:
                rows.write_csv(handle, include_header=False)
        elif fmt == "xlsx":
            _write_xlsx(path, [[mark], [title], header], rows)
        else:
            raise UsageError(f"định dạng không hỗ trợ: {fmt} (parquet, csv, xlsx)")
        paths.append(path)
    return paths


def _write_xlsx(path: Path, head: list[list[str]], rows: pl.DataFrame) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Khao sat")
    for line in head:
        ws.append(line)
    for row in rows.iter_rows():
        ws.append(list(row))
    wb.properties.title = head[0][0]
    wb.properties.keywords = SYNTHETIC_TITLE
    wb.save(path)


@dataclass(frozen=True)
class WrittenSurvey:
    """What :func:`synth_survey` wrote: the survey files, the ground truth beside them and
    the gap planted in them (none, or one)."""

    paths: list[Path]
    truth: Path
    planted: list[dict[str, object]]


def synth_survey(source: Path | pl.DataFrame, out: Path, seed: int = 7,
                 people: int = PROVINCE_PEOPLE, fmt: str = "parquet",
                 period: str | None = None, gap: bool = True) -> WrittenSurvey:
    """Read the district tables under ``source`` (a folder of template tables, an
    observations .parquet, or an observation table) and write a survey that agrees with
    them, but for the planted gap (``gap``), recorded in ``<stem>.ground-truth.json``."""
    from ..checks import check

    if isinstance(source, pl.DataFrame):
        observations = source
        findings = check(observations)
    else:
        source = Path(source)
        if source.suffix == ".parquet":
            observations = pl.read_parquet(source)
            findings = check(observations)
        else:
            from ..read import read_tables

            if not source.exists():
                raise UsageError(f"không tìm thấy {source}")
            observations, problems, _ = read_tables([source])
            findings = check(observations, problems)
    period = period or _period(observations)
    planted = planted_gap(district_rates(observations, findings), seed) if gap else None
    frame = generate(observations, seed=seed, people=people, period=period,
                     findings=findings, gap=planted)
    paths = write(frame, out, period, fmt)
    truth = {"note": f"{SYNTHETIC_TITLE}: khảo sát mô phỏng; số liệu khớp với bảng của các "
                     f"huyện trừ chênh lệch cài sẵn dưới đây (báo cáo cao hơn thực tế), mà "
                     f"bước đối chiếu khảo sát – báo cáo phải phát hiện.",
             "seed": seed, "period": period, "people": frame.height,
             "planted": [planted] if planted else []}
    truth_path = Path(out) / f"{file_stem(period)}.ground-truth.json"
    truth_path.write_text(json.dumps(truth, ensure_ascii=False, indent=1) + "\n",
                          encoding="utf-8")
    return WrittenSurvey(paths, truth_path, truth["planted"])
