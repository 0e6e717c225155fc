"""Read what districts send — result tables and narrative reports — into the tidy
observations, each with the cell or sentence it came from."""

from .narrative import read_narrative
from .table import Table, read_source, read_table, read_tables

__all__ = ["Table", "read_narrative", "read_source", "read_table", "read_tables"]
