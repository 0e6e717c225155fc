"""What passes between the parts: the observation and finding schemas, where a figure came
from (:class:`Source`), the synthetic mark, and the phase, qualifier and severity words.

Every reader builds its observations against :data:`OBSERVATION_SCHEMA`, every check returns
findings against :data:`FINDING_SCHEMA`, and every view reads them back; a column or a word
changes here or nowhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

__all__ = [
    "FINDING_SCHEMA", "OBSERVATION_SCHEMA", "PHASES", "PHASE_VI", "QUALIFIERS", "SEVERITIES",
    "SEVERITY_VI", "SYNTHETIC_MARK", "SYNTHETIC_TITLE", "Source", "empty_observations",
    "of_record",
]

#: The tidy observation table (DESIGN.md): one row per unit × period × indicator × phase.
OBSERVATION_SCHEMA: dict[str, pl.DataType] = {
    "unit_code": pl.String, "unit_name": pl.String, "unit_level": pl.String,
    "period": pl.String, "indicator": pl.String, "phase": pl.String,
    "value": pl.Float64, "qualifier": pl.String,
    "numerator": pl.Float64, "denominator": pl.Float64,
    "target": pl.Float64, "target_qualifier": pl.String,
    "raw": pl.String, "source": pl.String,
    # beyond DESIGN.md's contract, for the checks and the reports:
    "status": pl.String, "tolerance": pl.Float64, "stated": pl.Boolean,
    "target_stated": pl.Float64, "evidence": pl.String, "synthetic": pl.Boolean,
    "file": pl.String,
    # how sure the reading is (1.0 for a template cell; see read/narrative.py for prose)
    "confidence": pl.Float64,
    # "survey" for indicators computed from survey microdata (bakhong.survey), which checks
    # compare with the reports instead of checking them; null for tables and narratives
    "origin": pl.String,
    # where the target in force came from: the template, targets.csv, or a plan's sentence
    "target_source": pl.String,
    # a progress report's date ("tính đến ngày 23/6/2023"), ISO; null for other documents
    "as_of": pl.String,
    # where else a document states the same figure (a narrative repeating a table's cell):
    # "file.md:line 40 (“… đạt trên 45,75% …”)"; an error on the figure is theirs too
    "also_stated": pl.String,
}

#: One row per problem a check found (DESIGN.md's findings).
FINDING_SCHEMA: dict[str, pl.DataType] = {
    "unit_code": pl.String, "unit_name": pl.String, "period": pl.String,
    "indicator": pl.String, "phase": pl.String, "rule": pl.String, "severity": pl.String,
    "message": pl.String, "value": pl.Float64, "expected": pl.String, "source": pl.String,
    "fix": pl.String, "synthetic": pl.Boolean,
}

PHASES = ("before", "after")
PHASE_VI = {"before": "trước triển khai", "after": "sau triển khai", "": ""}
#: How a value is stated: "=" exactly, ">" / "≥" a lower bound ("trên 90%", "từ 90%"),
#: "<" / "≤" an upper bound ("dưới 5%", "tối đa 5%").
QUALIFIERS = ("=", ">", "≥", "<", "≤")
SEVERITIES = ("error", "warning", "info")
SEVERITY_VI = {"error": "Lỗi", "warning": "Cần xem lại", "info": "Thông tin"}

#: The words every synthetic file, report, chart and email carries.
SYNTHETIC_TITLE = "DỮ LIỆU MÔ PHỎNG"
#: :data:`SYNTHETIC_TITLE` folded (``vocab.parse.fold_words``), as readers look for it;
#: ``vocab.parse.is_synthetic_text`` tells whether a text carries it.
SYNTHETIC_MARK = "du lieu mo phong"


def empty_observations() -> pl.DataFrame:
    return pl.DataFrame(schema=OBSERVATION_SCHEMA)


def of_record(observations: pl.DataFrame) -> pl.DataFrame:
    """The results of record: one row per unit × period × indicator × phase, without the
    progress reports' dated rows (``as_of``), which are a series of their own."""
    if "as_of" not in observations.columns:
        return observations
    return observations.filter(pl.col("as_of").is_null())


_TEXT = re.compile(r"^(?P<file>.+?):(?P<kind>paragraph|line|row|table) (?P<number>\d+)"
                   r"(?: row (?P<row>\d+))?$")
_CELL = re.compile(r"^[A-Z]{1,3}\d+$")


@dataclass(frozen=True)
class Source:
    """Where a figure or a problem came from: a file, and in it a sheet and a cell, or a
    paragraph or line of prose, or a row of survey data.

    Built once where the file is read and stored in the tables as :meth:`render`'s text
    (``file.xlsx!Sheet!E15``, ``file.csv!E15``, ``file.docx:paragraph 42``,
    ``file.docx:table 2 row 5``, ``file.md:line 7``); :meth:`parse` reads that text back.

    >>> Source("tx.xlsx", sheet="Bao cao", cell="E20").render()
    'tx.xlsx!Bao cao!E20'
    >>> Source.parse("tx.docx:paragraph 42")
    Source(file='tx.docx', sheet='', cell='', kind='paragraph', number=42, row=0)
    >>> Source.parse("tx.docx:table 2 row 5").render(), Source.parse("tx.csv!E7").cell
    ('tx.docx:table 2 row 5', 'E7')
    """

    file: str
    sheet: str = ""
    cell: str = ""
    kind: str = ""  # "paragraph", "line" or "table" of prose, "row" of survey data
    number: int = 0
    row: int = 0  # the row of a prose document's table (kind "table")

    def render(self) -> str:
        if self.kind == "table":
            return f"{self.file}:table {self.number} row {self.row}"
        if self.kind:
            return f"{self.file}:{self.kind} {self.number}"
        return "!".join(part for part in (self.file, self.sheet, self.cell) if part)

    @classmethod
    def parse(cls, text: str | None) -> Source:
        text = text or ""
        prose = _TEXT.match(text)
        if prose:
            return cls(prose["file"], kind=prose["kind"], number=int(prose["number"]),
                       row=int(prose["row"] or 0))
        parts = text.split("!")
        if len(parts) >= 3 and _CELL.match(parts[-1]):
            return cls(parts[0], sheet="!".join(parts[1:-1]), cell=parts[-1])
        if len(parts) == 2 and _CELL.match(parts[1]):
            return cls(parts[0], cell=parts[1])
        if len(parts) >= 2:
            return cls(parts[0], sheet="!".join(parts[1:]))
        return cls(text)

    @property
    def has_cell(self) -> bool:
        return bool(self.cell)
