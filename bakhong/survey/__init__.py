"""Survey microdata: the census of everyone aged 15+ (seed 002) read into indicators.

The pilot plan of xã Nga Liên has every village survey everyone aged 15 and over: citizen ID
(CCCD), VNeID account, phone, smartphone, SIM in own name, online-public-service account,
bank account, e-signature. This module owns reading those tables and turning them into
observations; nothing else in bakhong reads survey files.

Reading
-------
* ``.parquet`` (one big file), ``.csv`` (UTF-8 with or without BOM, Windows-1258; comma,
  semicolon or tab), ``.xlsx``/``.xls``/``.ods`` (read with calamine, every sheet that holds
  a survey table; a sheet's name is the village when the sheet has no village column).
* The header row is found wherever it sits (title rows above it are read for the commune
  and district); columns are matched by their header text with or without diacritics
  (:func:`classify_header`), in any order. Unrecognised columns are never read further.
* Yes/no cells: "x", "có", "Có", "co", "1", "TRUE", "✓" are yes; blank, "không", "0",
  "FALSE", "chưa" are no. Anything else makes the row unreadable. A question split under
  its header in "Có" | "Không" columns: a mark under "Có" is yes, under "Không" no; neither
  is no answer (the person is left out of that indicator, not counted as "no"); both make
  the row unreadable.
* Age: a number of years, or a year/date of birth (age = survey year − birth year), also
  when a year or date of birth is written under "Tuổi".
* Location: district (huyện), commune (xã), village (thôn) columns; else the title rows,
  the sheet's name and the file name — the sheets of a workbook of several name their
  villages; a lone sheet named "Thôn Liên Sơn" names its village unless the title rows do;
  the file name comes last. GSO codes from :mod:`bakhong.units` where the unit is known; other
  communes get ``<district code>-<slug>`` and villages ``<commune code>-<slug>`` (synthetic
  surveys carry their own codes in "Mã xã"/"Mã thôn" columns, which are kept).
* Rows that cannot be read (a yes/no cell holding something else, no readable age, an age
  outside 15–120, no commune) are counted and reported by file, sheet, row and column
  (:attr:`Survey.rejects`, and one ``unparseable`` finding per file, sheet and column that
  names the cell to correct and what to write there, told to the district the rows lie in
  so that its report shows it) — never silently dropped, and never with the cell's content
  (it may be personal data).

Personal data
-------------
Names and phone numbers are never selected from a file (Parquet and CSV columns are not even
read; spreadsheet cells are skipped when the table is built). CCCD cells are read only to be
validated (12 digits) and turned into a salted 64-bit hash with a seed drawn at random for
each run, used to find the same person counted twice; the hash is dropped before
:func:`read_surveys` returns. Duplicates are reported as a count per commune, and a person
counted twice counts once in every indicator.

Indicators (:func:`indicators`)
-------------------------------
Per village, commune and district, with numerators and denominators:

* TC06 smartphone — adults, i.e. aged **18 and over** (Bộ luật Dân sự 2015, điều 20).
* TC07 bank (or other payment) account — everyone surveyed, aged 15+.
* TC08 VNeID — the catalog's denominator is all residents, but the survey covers only those
  aged 15+: the survey value is the share among people aged 15+ (the raw text says so), and
  the comparison with a report's TC08 is made on that basis, with the caveat in its message.
  Children under 14 could not hold a level-2 account before July 2024, so the 15+ share is
  the rate that can be checked from outside.
* TC09 e-signature — adults (18+), as the catalog's population for TC09.

The other fields (phone, SIM in own name, online-public-service account, CCCD) match no
criterion of the template exactly and are kept in :attr:`Survey.people` only.

Phase: a survey is dated against the rollout by ``phase`` ("after" by default: the survey is
the check of a district's "after" figure); a file whose name says "truoc-trien-khai" is
"before". Period: the year in the file name, else ``period``.

Parts
-----
``_fields`` (what a table holds), ``_headers`` (finding the table in a grid), ``_files``
(reading a file into parts), ``_cells`` (reading one cell), ``_model`` (what reading
returns), ``_normalise`` (a part into people), ``_duplicates``, ``_rejects`` (unreadable
rows as findings), ``_places`` (locations to units), ``_read`` (:func:`read_surveys`),
``_aggregate`` (indicators) and ``_compare`` (survey against report).
"""

from ._aggregate import aggregate, indicators
from ._compare import compare
from ._fields import (
    ADULT_AGE,
    FIELD_VI,
    LEVELS,
    LOCATION_FIELDS,
    MAX_AGE,
    MIN_AGE,
    NO,
    PII_FIELDS,
    SURVEY_FOLDER,
    SURVEY_INDICATORS,
    SURVEY_SUFFIXES,
    YES,
    YESNO_FIELDS,
)
from ._files import is_synthetic
from ._headers import classify_header
from ._model import PEOPLE_SCHEMA, REJECT_SCHEMA, UNIT_COLUMNS, Survey, SurveyFile
from ._read import is_survey_path, looks_like_survey, read_surveys, survey_files

__all__ = [
    "ADULT_AGE",
    "FIELD_VI",
    "LEVELS",
    "LOCATION_FIELDS",
    "MAX_AGE",
    "MIN_AGE",
    "NO",
    "PEOPLE_SCHEMA",
    "PII_FIELDS",
    "REJECT_SCHEMA",
    "SURVEY_FOLDER",
    "SURVEY_INDICATORS",
    "SURVEY_SUFFIXES",
    "UNIT_COLUMNS",
    "YES",
    "YESNO_FIELDS",
    "Survey",
    "SurveyFile",
    "aggregate",
    "classify_header",
    "compare",
    "indicators",
    "is_survey_path",
    "is_synthetic",
    "looks_like_survey",
    "read_surveys",
    "survey_files",
]
