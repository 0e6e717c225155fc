"""The PDF beside each HTML report, printed by headless Chromium from the same page.

One browser (Debian's ``/usr/bin/chromium`` driven by playwright) prints every page of a
batch, at most :data:`PARALLEL` at a time, with the page's own print style (``@media print``
of ``report.css``): A4, the page's heading (unit and period) and, for a synthetic report,
"DỮ LIỆU MÔ PHỎNG" at the top of every page, "Trang 1/5" at the bottom.

The page is laid out as printed before its charts are drawn (print media emulated, the
viewport as wide as the printable area), so plotly sizes each chart for the paper. A page
is printed only once every chart has its SVG (``.main-svg``) and the fonts are ready; a
chart still blank after ``chart_timeout_s`` fails that page — a PDF with empty frames where
the charts belong is not a report.

A PDF is written to a temporary file beside it and moved into place only when complete: a
failed print keeps the last good PDF. One page failing never stops the others; a missing
Chromium or playwright raises :class:`PrinterUnavailable` before anything is printed.
"""

from __future__ import annotations

import asyncio
import html
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ..contract import SYNTHETIC_TITLE
from ..errors import BakhongError

CHROMIUM = Path("/usr/bin/chromium")
#: pages printed at once by the one browser
PARALLEL = 2
CHART_TIMEOUT_S = 30.0
LOAD_TIMEOUT_S = 60.0
#: A4 with room for the heading and the page number
MARGIN = {"top": "15mm", "bottom": "13mm", "left": "12mm", "right": "12mm"}
#: the printable width of A4 (210 mm less the margins) in CSS pixels (96 per inch)
PRINT_WIDTH_PX = round((210 - 24) / 25.4 * 96)
INSTALL_HINT = "cài Chromium bằng `make chromium` (Debian: apt-get install chromium)"

_ARGS = ["--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
         "--font-render-hinting=none"]

#: true once every chart of the page has been drawn by plotly (the page's draw script sets
#: ``data-charts`` when it has run; plotly gives each drawn div ``js-plotly-plot`` and an SVG)
_CHARTS_DRAWN = """() => {
  const plots = [...document.querySelectorAll('.plotly-graph-div')];
  if (!plots.length) return true;
  return document.documentElement.getAttribute('data-charts') === 'drawn'
    && plots.every(p => p.classList.contains('js-plotly-plot') && p.querySelector('.main-svg'));
}"""
_CHARTS_COUNT = """() => {
  const plots = [...document.querySelectorAll('.plotly-graph-div')];
  return [plots.filter(p => p.querySelector('.main-svg')).length, plots.length];
}"""

#: what a printed report shows that the screen folds: the rest of the problems list
OPEN_FOR_PRINT = ('document.querySelectorAll("details.print-open")'
                  '.forEach(function(d){d.open=true;})')
_FONT = "font-family:'Noto Sans','DejaVu Sans',Arial,sans-serif;font-size:8pt;color:#52606d"


class PrinterUnavailable(BakhongError, RuntimeError):
    """No PDF can be printed here: Chromium or playwright is missing, or will not start."""


@dataclass(frozen=True)
class PrintJob:
    """One page to print: the HTML, the PDF to write, the heading of every page."""

    key: str
    html: Path
    pdf: Path
    heading: str
    synthetic: bool = False


@dataclass
class Printed:
    """What printing one page gave: the PDF's size, or why there is none."""

    key: str
    ok: bool
    bytes: int = 0
    duration_s: float = 0.0
    error: str | None = None


def chromium(executable: str | Path | None = None) -> Path | None:
    """The Chromium to print with: ``executable``, else ``$BAKHONG_CHROMIUM`` (when set, that
    one or none), else Debian's ``/usr/bin/chromium``, else one on the PATH; None when there
    is none."""
    chosen = executable or os.environ.get("BAKHONG_CHROMIUM")
    candidates = [chosen] if chosen else [CHROMIUM, shutil.which("chromium"),
                                          shutil.which("chromium-browser")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return Path(candidate)
    return None


def header_template(heading: str, synthetic: bool) -> str:
    """The top of every page: the unit and period, and the synthetic mark."""
    mark = (f'<span style="color:#b00020;font-weight:bold">{SYNTHETIC_TITLE}</span>'
            if synthetic else "")
    return (f'<div style="{_FONT};width:100%;margin:0 12mm;display:flex;'
            'justify-content:space-between;gap:8px;-webkit-print-color-adjust:exact">'
            f"<span>{html.escape(heading)}</span>{mark}</div>")


def footer_template() -> str:
    """The bottom of every page: "Trang 1/5"."""
    return (f'<div style="{_FONT};width:100%;margin:0 12mm;text-align:right">Trang '
            '<span class="pageNumber"></span>/<span class="totalPages"></span></div>')


def print_pdfs(jobs: Sequence[PrintJob], *, parallel: int = PARALLEL,
               chart_timeout_s: float = CHART_TIMEOUT_S,
               executable: str | Path | None = None) -> dict[str, Printed]:
    """Print every job with one browser; {key: Printed}. Raises :class:`PrinterUnavailable`
    (nothing printed) when Chromium or playwright is missing or the browser will not start."""
    if not jobs:
        return {}
    path = chromium(executable)
    if path is None:
        where = executable or os.environ.get("BAKHONG_CHROMIUM") or CHROMIUM
        raise PrinterUnavailable(f"không tìm thấy Chromium ({where}): {INSTALL_HINT}")
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        raise PrinterUnavailable("thiếu gói playwright: cài bằng `make venv` (pip install "
                                 "playwright, bản ghi trong requirements.lock)") from None
    work = _print_all(list(jobs), path, max(1, parallel), chart_timeout_s)
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # the usual case: no event loop in this thread
        return asyncio.run(work)
    with ThreadPoolExecutor(1) as thread:  # inside a running loop (JupyterLab): its own thread
        return thread.submit(asyncio.run, work).result()


def print_beside(entries: dict[str, dict], pages: Sequence[tuple[str, Path, str]],
                 **options) -> str:
    """A PDF beside each HTML page (key, path, heading) whose entry (the batch manifest's,
    keyed alike) says ``status`` "ok": the entry gets ``pdf`` (the file's name, None when
    not printed) and ``pdf_bytes``, or ``pdf_error``. Returns why nothing could be printed,
    in words for the reader of the batch's summary, or "". ``options`` go to
    :func:`print_pdfs`."""
    for entry in entries.values():
        entry["pdf"] = None
        entry.pop("pdf_error", None)
    jobs = [PrintJob(key, path, path.with_suffix(".pdf"), heading,
                     bool(entries[key].get("synthetic")))
            for key, path, heading in pages if entries[key].get("status") == "ok"]
    try:
        printed = print_pdfs(jobs, **options)
    except PrinterUnavailable as exc:
        return f"KHÔNG in được bản PDF nào — {exc}. Các báo cáo HTML đã lập đủ."
    for job in jobs:
        done = printed[job.key]
        entries[job.key].update({"pdf": job.pdf.name, "pdf_bytes": done.bytes} if done.ok
                                else {"pdf_error": done.error})
    return ""


def index_links(index: str, rows: Sequence[dict]) -> str:
    """The index of a batch (:func:`bakhong.views.tables.units_index`) with a "PDF" link
    beside each unit's link whose row names its ``pdf``."""
    for row in rows:
        link = f'<a href="{html.escape(row.get("html") or "")}">{html.escape(row["name"])}</a>'
        if row.get("pdf") and link in index:
            index = index.replace(link, f'{link} · <a class="pdf" href="'
                                  f'{html.escape(row["pdf"])}">PDF</a>', 1)
    return index


async def _print_all(jobs: list[PrintJob], executable: Path, parallel: int,
                     chart_timeout_s: float) -> dict[str, Printed]:
    from playwright.async_api import Error, async_playwright

    args = [*_ARGS, *(["--no-sandbox"] if os.geteuid() == 0 else [])]
    async with async_playwright() as p:
        try:
            browser = await p.chromium.launch(executable_path=str(executable), headless=True,
                                              args=args, timeout=LOAD_TIMEOUT_S * 1000)
        except Error as exc:
            raise PrinterUnavailable(f"Chromium ({executable}) không khởi động được "
                                     f"({_first_line(exc)}): {INSTALL_HINT}") from None
        try:
            context = await browser.new_context(
                viewport={"width": PRINT_WIDTH_PX, "height": 1000}, java_script_enabled=True)
            await context.route("**/*", _offline)
            gate = asyncio.Semaphore(parallel)

            async def one(job: PrintJob) -> Printed:
                async with gate:
                    return await _print_one(context, job, chart_timeout_s)

            done = await asyncio.gather(*(one(job) for job in jobs))
        finally:
            await browser.close()
    return {printed.key: printed for printed in done}


async def _offline(route) -> None:
    """The reports are offline pages: anything but the file itself is refused."""
    if route.request.url.startswith(("file:", "data:", "blob:", "about:")):
        await route.continue_()
    else:
        await route.abort()


async def _print_one(context, job: PrintJob, chart_timeout_s: float) -> Printed:
    from playwright.async_api import Error
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    started = time.perf_counter()
    page = await context.new_page()
    try:
        await page.emulate_media(media="print")  # laid out, and charts sized, as printed
        await page.goto(job.html.resolve().as_uri(), wait_until="load",
                        timeout=LOAD_TIMEOUT_S * 1000)
        try:
            await page.wait_for_function(_CHARTS_DRAWN, timeout=chart_timeout_s * 1000,
                                         polling=100)
        except PlaywrightTimeout:
            drawn, total = await page.evaluate(_CHARTS_COUNT)
            return Printed(job.key, False, duration_s=time.perf_counter() - started,
                           error=f"biểu đồ chưa vẽ được sau {chart_timeout_s:g} giây "
                                 f"({drawn}/{total} biểu đồ): chưa in PDF")
        await page.evaluate(f"(() => {{{OPEN_FOR_PRINT};}})()")
        await page.evaluate("document.fonts.ready.then(() => true)")
        data = await page.pdf(
            format="A4", print_background=True, display_header_footer=True,
            header_template=header_template(job.heading, job.synthetic),
            footer_template=footer_template(), margin=MARGIN)
        size = atomic_write_bytes(job.pdf, data)
        return Printed(job.key, True, size, time.perf_counter() - started)
    except (Error, OSError) as exc:
        return Printed(job.key, False, duration_s=time.perf_counter() - started,
                       error=f"không in được PDF ({_first_line(exc)})")
    finally:
        await page.close()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


def atomic_write_bytes(path: Path, data: bytes) -> int:
    """``data`` into ``path`` through a temporary file beside it: all or nothing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return len(data)
