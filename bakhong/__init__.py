"""bakhong — analytics for the evaluation of the "3 KHÔNG" model in Thanh Hóa.

Load the result tables districts send, check them, compare before and after rollout
against the targets, and report to each district's leadership.

>>> import bakhong
>>> table = bakhong.read_table("data/raw/tables/thuong-xuan-2024.xlsx")
>>> findings = bakhong.check(table.observations, table.findings)
>>> sorted(findings.filter(severity="error")["rule"])
['denominator_inconsistent', 'swapped_ratio']
"""

from importlib import metadata as _metadata

from .checks import check, check_paths
from .contract import OBSERVATION_SCHEMA
from .errors import BakhongError, SourceError, UnknownIndicatorError, UnknownUnitError
from .ingest import ingest
from .read import Table, read_source, read_table, read_tables
from .read.narrative import read_narrative
from .survey import Survey, read_surveys
from .views.explore import explore
from .vocab.catalog import Catalog, Indicator, load_catalog
from .vocab.parse import format_int, format_percent, parse_number, parse_value
from .vocab.rules import RULE_NAMES, Finding, rules
from .vocab.units import Unit, districts, match

try:
    __version__ = _metadata.version("bakhong")
except _metadata.PackageNotFoundError:  # running from a source tree without install
    __version__ = "0+unknown"

__all__ = [
    "OBSERVATION_SCHEMA", "RULE_NAMES", "BakhongError", "Catalog", "Finding", "Indicator",
    "SourceError", "Survey", "Table", "Unit", "UnknownIndicatorError", "UnknownUnitError",
    "__version__", "check", "check_paths", "districts", "explore", "format_int",
    "format_percent", "ingest", "load_catalog", "match", "parse_number", "parse_value",
    "read_narrative", "read_source", "read_surveys", "read_table", "read_tables", "rules",
]
