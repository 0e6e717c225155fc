"""The analysts' explorer: pick a period, units, a criterion or pillar and a phase in
JupyterLab, and see linked charts, the findings with their cells, and export the selection.

``explore()`` reads ``data/processed`` (written by ``bakhong ingest``) when it is there,
else reads ``data/raw`` directly (nothing is written). It returns an :class:`Explorer`
whose widgets (ipywidgets) drive three linked charts, stacked in one plotly
``FigureWidget`` and updated in place:

* the units compared on the chosen indicator at the chosen phase, with the target line
  (the selected units stand out, the others are faded);
* before and after rollout for the selected units;
* the attainment heatmap of the selected units (for a pillar: its criteria and itself);

and the selection's findings as a table sortable by any column, each with its source cell.
A switch hides or shows synthetic data ("DỮ LIỆU MÔ PHỎNG", marked "*" on every chart).
The export button writes the current selection as CSV and XLSX (the data and the findings)
and the charts as one self-contained HTML file (plotly.js inlined: no CDN), by default into
``reports/explore/``.

Batch runs never get widgets: papermill hangs on them (papermill #723). Outside an
interactive front-end — a plain Python process, or a kernel driven by papermill, nbclient
or nbconvert, which execute with ``allow_stdin`` off — ``explore()`` returns a
:class:`StaticView`: a short Vietnamese note and the selection as a table, no widget.
``explore(interactive=True/False)`` overrides the detection.

ipywidgets and plotly are imported only when an explorer is built, so ``import bakhong``
stays light.

Parts: ``_data`` (the data and the selection), ``_explorer`` (the widgets and charts,
:func:`explore`), ``_static`` (the batch view), ``_export`` (CSV, XLSX, HTML) and
``_kernel`` (the preloading Jupyter kernel).
"""

from ._data import Data, Selection, indicator_options, load_data
from ._explorer import Controls, Explorer, explore
from ._kernel import KERNEL_DISPLAY_NAME, KERNEL_NAME, install_kernel, preload
from ._static import StaticView, in_interactive_kernel

__all__ = ["KERNEL_DISPLAY_NAME", "KERNEL_NAME", "Controls", "Data", "Explorer", "Selection",
           "StaticView", "explore", "in_interactive_kernel", "indicator_options",
           "install_kernel", "load_data", "preload"]
