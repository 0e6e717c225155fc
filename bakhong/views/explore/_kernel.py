"""The ``bakhong`` Jupyter kernel: installed into the environment, it preloads pandas, polars,
plotly and ipywidgets so that the first ``explore()`` opens fast.
"""

from __future__ import annotations

from pathlib import Path

from ... import config

KERNEL_NAME = "bakhong"
KERNEL_DISPLAY_NAME = "bakhong (Python 3)"
_PRELOAD = "from bakhong.views.explore import preload as _p; _p(); del _p"


def preload() -> None:
    """Import what the first ``explore()`` in a kernel waits on, and warm plotly.

    In a new kernel, ``import bakhong; bakhong.explore()`` spends about 0.8 s of its 1.1 s
    importing polars, ipywidgets and plotly's FigureWidget, and reading plotly's validators
    — libraries' own start-up, not the explorer's work. The kernel the project installs
    (:func:`install_kernel`, used by ``explore.ipynb``) runs this while it starts, so the
    wait overlaps JupyterLab opening the notebook instead of following the click on "Run".
    No widget is created and no data is read.
    """
    config.skip_slow_optional_imports()
    import ipywidgets  # noqa: F401
    import plotly.graph_objects as go
    from plotly.graph_objs import _figurewidget  # noqa: F401

    from .. import charts, tables  # noqa: F401

    # plotly loads and checks each trace type's validators on first use
    go.Figure([go.Bar(x=["a"], y=[1]), go.Scatter(x=["a"], y=[1]),
               go.Heatmap(z=[[1]], x=["a"], y=["b"])],
              layout={"template": "none", "shapes": [{"type": "line"}],
                      "annotations": [{"text": ""}], "xaxis2": {}, "yaxis2": {}})


def install_kernel(prefix: str | Path | None = None) -> Path:
    """Install the "bakhong" Jupyter kernel into ``prefix`` (default: this environment):
    this Python with :func:`preload` run at start-up. Returns the kernel's folder."""
    import json
    import sys

    folder = Path(prefix or sys.prefix) / "share" / "jupyter" / "kernels" / KERNEL_NAME
    folder.mkdir(parents=True, exist_ok=True)
    spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}",
                     f"--IPKernelApp.exec_lines={_PRELOAD}"],
            "display_name": KERNEL_DISPLAY_NAME, "language": "python",
            "metadata": {"debugger": True}}
    (folder / "kernel.json").write_text(json.dumps(spec, indent=1, ensure_ascii=False) + "\n",
                                        encoding="utf-8")
    return folder
