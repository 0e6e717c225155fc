"""Apply the rules of ``_data/rules.toml`` to observations and return findings.

Cell and pair rules are SQL expressions evaluated by polars over the whole observation table
at once (``_cell``); unit rules (populations that must agree, ``_unit``) and province rules
(across units and periods: outliers, related indicators, completeness, ``_province``) are
functions named by the rule's ``check`` (else its name). A rule listed in another's
``unless`` silences it for the same cell, so a swapped ratio is reported once, as
``swapped_ratio``, not also as ``ratio_over_100``. ``_engine`` runs them all.
"""

from ._engine import Loaded, check, check_paths, load_paths, summary
from ._province import expected_units, modified_z

__all__ = ["Loaded", "check", "check_paths", "expected_units", "load_paths", "modified_z",
           "summary"]
