"""The vocabulary every part shares: figures as districts write them, the indicator catalog,
Thanh Hóa's administrative units, and the rules a finding can break."""

from .catalog import Catalog, Indicator, load_catalog
from .parse import format_int, format_percent, parse_number, parse_value
from .rules import RULE_NAMES, Finding
from .units import Unit, districts, match

__all__ = [
    "RULE_NAMES", "Catalog", "Finding", "Indicator", "Unit", "districts", "format_int",
    "format_percent", "load_catalog", "match", "parse_number", "parse_value",
]
# ``rules()`` stays in ``vocab.rules``: exported here, it would hide that module
