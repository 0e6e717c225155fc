"""Outside an interactive front-end (a plain process, papermill, nbclient, nbconvert) the
explorer is a :class:`StaticView`: a short Vietnamese note and the selection as a table.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import polars as pl

from ...contract import SYNTHETIC_TITLE
from ._data import Data, Selection, chosen_units, visible


def in_interactive_kernel() -> bool:
    """True inside a Jupyter kernel driven by an interactive front-end (JupyterLab, Notebook,
    VS Code), False in plain Python or a kernel run by papermill/nbclient/nbconvert, which
    execute every cell with ``allow_stdin`` off since nobody can answer."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None or type(shell).__name__ != "ZMQInteractiveShell":
        return False
    return bool(getattr(getattr(shell, "kernel", None), "_allow_stdin", False))


@dataclass
class StaticView:
    """What ``explore()`` returns in a batch run: a note and the selection as a table."""

    data: Data
    selection: Selection | None
    reason: str

    def frame(self) -> pl.DataFrame:
        from ..tables import wide_table

        if self.selection is None:
            return wide_table(self.data.table.head(0))
        rows = visible(self.data, self.selection)
        units = chosen_units(rows, self.selection)
        rows = rows.filter(pl.col("unit_code").is_in(units)
                           & (pl.col("indicator") == self.selection.indicator))
        return wide_table(rows.sort("unit_name"), self.selection.phase)

    def _repr_html_(self) -> str:
        from ..tables import to_html

        note = (f"<p><b>bakhong.explore()</b>: {html.escape(self.reason)} Các điều khiển tương "
                f"tác không được tạo; mở sổ này trong JupyterLab (<code>make lab</code>) để "
                f"khám phá.</p>")
        if self.selection is None:
            return note
        shown = self.frame()
        banner = ""
        if "MÔ PHỎNG" in shown["Dữ liệu"].to_list():
            banner = f"<p><b>{SYNTHETIC_TITLE}</b> — không phải số liệu thật.</p>"
        caption = f"Kỳ {self.selection.period} — {self.selection.indicator}"
        return note + banner + to_html(shown, caption=caption, max_rows=60)

    def __repr__(self) -> str:
        return f"StaticView({self.reason})"
