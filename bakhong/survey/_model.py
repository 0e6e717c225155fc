"""What reading surveys returns: :class:`SurveyFile` (one file, its phase and period),
:class:`Survey` (people, places, rejects, duplicates) and the schemas of their tables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from ..vocab.parse import fold_words
from ..vocab.rules import Finding
from ._fields import YESNO_FIELDS


@dataclass
class SurveyFile:
    """What reading one survey file gave: counts only, never a cell's content."""

    path: Path
    period: str
    phase: str
    synthetic: bool
    rows: int = 0            # data rows met (blank rows excluded)
    people: int = 0          # rows kept
    rejected: int = 0        # rows that could not be read or lie outside the survey
    blank: int = 0           # rows with no field filled (spacers, page breaks)
    invalid_ids: int = 0     # CCCD cells that are a number but not 12 digits
    fields: tuple[str, ...] = ()
    error: str = ""


@dataclass
class Survey:
    """Every survey file read: one row per person (no personal data) and the reading report."""

    people: pl.DataFrame
    files: list[SurveyFile]
    rejects: pl.DataFrame                  # file, sheet, row, column, reason
    duplicates: pl.DataFrame               # per commune: the people counted twice (a count)
    findings: list[Finding] = field(default_factory=list)
    grains: pl.DataFrame | None = None     # sums per file and place (duplicates taken out)
    places: pl.DataFrame | None = None     # place -> units, and the location as written

    def located(self) -> pl.DataFrame:
        """The people with unit codes and canonical names, and the location as written
        (``written_<field>``)."""
        return self.people.join(self.places, on="place", how="left")

    @property
    def quality(self) -> pl.DataFrame:
        """Per file: rows, people, rejected, blank, invalid IDs (no personal data)."""
        return pl.DataFrame(
            [{"file": f.path.name, "period": f.period, "phase": f.phase,
              "synthetic": f.synthetic, "rows": f.rows, "people": f.people,
              "rejected": f.rejected, "blank": f.blank, "invalid_ids": f.invalid_ids,
              "error": f.error} for f in self.files],
            schema={"file": pl.String, "period": pl.String, "phase": pl.String,
                    "synthetic": pl.Boolean, "rows": pl.Int64, "people": pl.Int64,
                    "rejected": pl.Int64, "blank": pl.Int64, "invalid_ids": pl.Int64,
                    "error": pl.String})


#: One row per person. ``place`` is a key to :attr:`Survey.places`: the units of the
#: location as the file wrote it (or its title or name gave it), resolved once per place;
#: :meth:`Survey.located` joins them — no per-person string is kept, which is what keeps
#: 3 million rows fast and small.
PEOPLE_SCHEMA: dict[str, pl.DataType] = {
    "file": pl.Categorical, "row": pl.UInt32, "period": pl.Categorical,
    "phase": pl.Categorical, "synthetic": pl.Boolean, "place": pl.UInt64, "age": pl.Int32,
    "has_cccd": pl.Boolean, **{f: pl.Boolean for f in YESNO_FIELDS}, "duplicate": pl.Boolean,
}
UNIT_COLUMNS = ("district_code", "district_name", "commune_code", "commune_name",
                "village_code", "village_name")
REJECT_SCHEMA = {"file": pl.String, "sheet": pl.String, "row": pl.UInt32,
                 "column": pl.String, "reason": pl.String}


def _phase_of(path: Path, phase: str) -> str:
    folded = fold_words(path.stem)
    if "truoc trien khai" in folded:
        return "before"
    if "sau trien khai" in folded:
        return "after"
    return phase


def _period_of(path: Path, period: str | None) -> str:
    m = re.search(r"(20\d\d)", path.stem)
    return m.group(1) if m else (period or "")
