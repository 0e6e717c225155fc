"""Read what districts send — result tables and narrative reports — into the tidy
observations, each with the cell or sentence it came from."""

from .discover import read_source, read_tables, source_files, table_files
from .grid import read_grids, read_sheets, sniff_delimiter
from .narrative import read_narrative
from .table import Table, read_table

__all__ = [
    "Table", "read_grids", "read_narrative", "read_sheets", "read_source", "read_table",
    "read_tables",
    "sniff_delimiter", "source_files", "table_files",
]
