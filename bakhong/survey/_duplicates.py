"""A person counted twice (the same hashed CCCD) counts once: which rows repeat an earlier one,
and the sums without them.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from ._aggregate import _sums
from ._fields import YESNO_FIELDS

_ROW_COLUMNS = ("_row", "_bad", "_blank", *YESNO_FIELDS, "age", "has_cccd", "_id", "_bad_id",
                "place")


def _without(summed: pl.DataFrame, repeated: pl.DataFrame) -> pl.DataFrame:
    """The sums per file and place less the rows of people counted a second time."""
    if repeated.is_empty():
        return summed
    keys = ["file", "place"]
    less = repeated.group_by(keys).agg(*_sums())
    parts = [c for c in less.columns if c not in keys]
    return summed.join(less, on=keys, how="left", suffix="_less").with_columns(
        (pl.col(c) - pl.col(f"{c}_less").fill_null(0)).alias(c) for c in parts
    ).drop(f"{c}_less" for c in parts)


def _column_like(frame: pl.DataFrame, name: str, rows: pl.Series) -> pl.Series:
    """A Boolean column, true at the positions ``rows``, cut into the chunks of ``frame``'s
    columns. A Parquet file reads into a chunk per row group; a column of one chunk beside
    them makes polars copy every column into one chunk at the next select (20–35 ms for 3
    million people)."""
    marks = pl.repeat(False, frame.height, eager=True).alias(name)
    if len(rows):
        marks = marks.scatter(rows, True)
    column, start = None, 0
    for chunk in frame.get_column(frame.columns[0]).get_chunks():
        part = marks.slice(start, len(chunk))  # a view, not a copy
        start += len(chunk)
        column = part if column is None else column.append(part)
    return column if column is not None else marks


def _top_bits(ids: pl.Expr | pl.Series) -> pl.Expr | pl.Series:
    """The top 32 bits of 64-bit ID hashes (null where the ID is)."""
    return (ids // (1 << 32)).cast(pl.UInt32)


def _counted_before(ids: pl.Series, top: pl.Series) -> pl.Series:
    """Positions (ascending) of the rows whose valid ID appeared on an earlier row; ``top``:
    :func:`_top_bits` of ``ids``, computed in the file's pass.

    Only the top bits are sorted (numpy sorts 32-bit integers with SIMD instructions, in
    half the time of a 64-bit sort of hash and position); rows whose top bits no other row
    shares cannot be repeats. The few others — the repeats, and IDs that share their top
    bits by chance, about a thousand in three million — are compared on the whole hash, in
    row order. Nothing goes from numpy back to polars but those few values: a numpy array
    made a polars Series costs an import of numpy.ma (20 ms) on a process's first call."""
    none = pl.Series(dtype=pl.get_index_type())
    if ids.is_empty() or ids.null_count() == len(ids):
        return none
    ordered = top.drop_nulls().to_numpy()  # a copy, when the column has chunks
    if ordered.flags.writeable:
        ordered.sort()
    else:
        ordered = np.sort(ordered)
    again = ordered[1:] == ordered[:-1]
    if not again.any():
        return none
    shared = pl.Series(np.unique(ordered[1:][again]).tolist(), dtype=pl.UInt32)
    index = top.is_in(shared.implode()).fill_null(False).arg_true()
    return index.filter(~ids.gather(index).is_first_distinct())
