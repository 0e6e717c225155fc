"""Build every district's report: papermill per unit in a bounded process pool, HTML export,
a PDF of each HTML (:mod:`bakhong.views.pdf`), ``index.html``, ``overview.html`` and
``manifest.json``.

Why it is fast and still honest: each worker process owns ONE Jupyter kernel, started once
(in its own ``JUPYTER_RUNTIME_DIR``, so parallel kernels never share connection files —
papermill #239, #511) and warmed by importing bakhong. Every report is then a real
``papermill.execute_notebook`` run of the committed notebook on that kernel, through the
``bakhong-warm`` engine below, whose only difference from papermill's default engine is that
it does not start and stop a kernel per notebook. The kernel's namespace is reset before each
run, so nothing from one unit leaks into the next; the processed data are read once per kernel
(:func:`bakhong.indicators.read_processed` caches them per file version).

A unit whose run fails (an error in a cell, the time limit, a dead kernel) keeps its executed
notebook for the analysts, gets no new HTML (its previous good report stays: HTML is written
to a temporary file and moved into place only on success), and is reported in the manifest;
the other units complete.

The PDFs are printed after every HTML is written, in this process, by one headless Chromium
(two pages at a time); a page whose print fails keeps its last good PDF and gets a
``pdf_error`` in the manifest; without Chromium the HTML reports are complete and the summary
says how to get the PDFs (``make chromium``).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from . import config, indicators
from .errors import UnknownUnitError, UsageError
from .views import pdf, report, tables
from .vocab import units as units_mod

config.skip_slow_optional_imports()  # before nbformat: every worker's start stays short

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
DISTRICT_NOTEBOOK = "district_report.ipynb"
OVERVIEW_NOTEBOOK = "province_overview.ipynb"
TIME_LIMIT_S = 300.0
START_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Job:
    """One notebook to run and export."""

    key: str                 # unit code, or "overview"
    name: str
    slug: str
    notebook: str            # input notebook path
    parameters: dict[str, Any]
    executed: str            # executed notebook path
    html: str                # final HTML path
    title: str
    time_limit: float = TIME_LIMIT_S
    footer: str = ""         # HTML of the page's footer (date made, data version, links)


@dataclass
class Result:
    key: str
    status: str
    duration_s: float
    bytes: int = 0
    error: str | None = None
    attempts: int = 1


@dataclass
class Outcome:
    """What :func:`run` built: the manifest and where it was written."""

    manifest: dict[str, Any]
    out: Path
    failed: list[dict[str, Any]] = field(default_factory=list)
    pdf_note: str = ""       # why no PDF was printed at all (no Chromium), else ""

    @property
    def ok(self) -> bool:
        return not self.failed


# --- parameters -----------------------------------------------------------------------------------

def check_parameters(notebook: str | Path, parameters: dict[str, Any]) -> None:
    """Fail before running anything when a parameter is not in the notebook's parameters cell.

    Raises :class:`UsageError` naming the unknown parameter and the ones the notebook has.
    """
    import papermill

    path = Path(notebook)
    if not path.is_file():
        raise UsageError(f"không tìm thấy notebook {path}")
    declared = papermill.inspect_notebook(str(path))
    if not declared:
        raise UsageError(f"{path}: notebook không có ô “parameters” (tag parameters)")
    unknown = sorted(set(parameters) - set(declared))
    if unknown:
        raise UsageError(
            f"{path}: tham số không có trong notebook: {', '.join(unknown)} "
            f"(notebook nhận: {', '.join(sorted(declared))})")


# --- the worker: one warm kernel per process ----------------------------------------------------

_KERNEL: dict[str, Any] = {}


def _init_worker(root: str) -> None:
    from multiprocessing import util

    runtime = tempfile.mkdtemp(prefix="bakhong-kernel-")
    os.environ["JUPYTER_RUNTIME_DIR"] = runtime  # this process's kernels only
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    _KERNEL["root"] = root
    _KERNEL["runtime"] = runtime
    _register_engine()
    util.Finalize(None, _shutdown_kernel, exitpriority=10)


def _shutdown_kernel() -> None:
    _shutdown_kernel_only()
    shutil.rmtree(_KERNEL.get("runtime", ""), ignore_errors=True)


def _shutdown_kernel_only() -> None:
    kc, km = _KERNEL.pop("kc", None), _KERNEL.pop("km", None)
    try:
        if kc is not None:
            kc.stop_channels()
        if km is not None:
            km.shutdown_kernel(now=True)
    except Exception:
        pass


def _run_code(kc: Any, code: str, timeout: float) -> None:
    reply = kc.execute_interactive(code, timeout=timeout, store_history=False,
                                   output_hook=lambda msg: None)
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"{reply['content'].get('ename')}: {reply['content'].get('evalue')}")


def _start_kernel() -> tuple[Any, Any]:
    from jupyter_client import KernelManager

    # IPC sockets live in this worker's own runtime directory: no port races between workers
    km = KernelManager(kernel_name="python3", transport="ipc",
                       ip=os.path.join(_KERNEL["runtime"], "kernel-ipc"))
    km.start_kernel(cwd=_KERNEL["root"])
    kc = km.client()
    try:
        kc.start_channels()
        kc.wait_for_ready(timeout=START_TIMEOUT_S)
        kc.allow_stdin = False
        # warm: the imports every report needs, once per kernel
        _run_code(kc, "import bakhong.views.report, plotly.io, polars", START_TIMEOUT_S)
    except Exception:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
        raise
    return km, kc


def _kernel(retry: bool = True) -> tuple[Any, Any, int]:
    """The worker's live kernel and its client, started (a failed start retried once) when
    needed; returns (kernel manager, client, start attempts made now)."""
    km = _KERNEL.get("km")
    if km is not None and km.is_alive():
        return km, _KERNEL["kc"], 0
    _shutdown_kernel_only()
    attempts = 0
    for attempt in range(2 if retry else 1):
        attempts = attempt + 1
        try:
            km, kc = _start_kernel()
            break
        except Exception:
            if attempt or not retry:
                raise
    _KERNEL["km"], _KERNEL["kc"] = km, kc
    return km, kc, attempts


def _register_engine() -> None:
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.log import logger

    class WarmKernelEngine(NBClientEngine):
        """papermill's nbclient engine on a kernel that outlives the notebook."""

        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False,
                                     stdout_file=None, stderr_file=None, start_timeout=60,
                                     execution_timeout=None, km=None, kc=None, **kwargs):
            client = PapermillNotebookClient(
                nb_man, km=km, timeout=execution_timeout, startup_timeout=start_timeout,
                kernel_name=kernel_name, log=logger, log_output=log_output,
                stdout_file=stdout_file, stderr_file=stderr_file)
            client.kc = kc  # the worker's connected client: no new client per notebook
            return client.execute()

    papermill_engines.register("bakhong-warm", WarmKernelEngine)


def _atomic_write(path: Path, text: str) -> int:
    """``text`` as UTF-8 into ``path``, all or nothing (:func:`views.pdf.atomic_write_bytes`)."""
    from .views.pdf import atomic_write_bytes

    return atomic_write_bytes(path, text.encode("utf-8"))


def _error_text(exc: BaseException) -> str:
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        if exc.ename.endswith("NoDataError"):  # bakhong's own message says it all
            return str(exc.evalue)
        return f"{exc.ename}: {exc.evalue}".strip()
    return f"{type(exc).__name__}: {exc}".strip()


#: the last report's names out of the kernel before the next: what ``%reset -f`` does for
#: a notebook's variables, without its garbage collection and history work (60 ms a report)
_CLEAR = ("def _bakhong_clear(ip=get_ipython()):\n"
          "    for name in [n for n in ip.user_ns if not n.startswith('_')"
          " and n not in ip.user_ns_hidden]:\n"
          "        del ip.user_ns[name]\n"
          "_bakhong_clear()\n"
          "del _bakhong_clear")


def run_job(job: Job) -> Result:
    """Run one notebook on this worker's warm kernel and export it (in a worker process)."""
    import papermill

    started = time.perf_counter()
    try:
        km, kc, attempts = _kernel()
    except Exception as exc:
        return Result(job.key, "failed", time.perf_counter() - started,
                      error=f"không khởi động được kernel (đã thử lại): {_error_text(exc)}",
                      attempts=2)
    timed_out = threading.Event()

    def stop() -> None:
        timed_out.set()
        km.interrupt_kernel()

    timer = threading.Timer(job.time_limit, stop)
    try:
        _run_code(kc, _CLEAR, START_TIMEOUT_S)
        timer.start()
        nb = papermill.execute_notebook(
            job.notebook, job.executed, parameters=job.parameters, engine_name="bakhong-warm",
            km=km, kc=kc, kernel_name="python3", progress_bar=False, log_output=False,
            request_save_on_cell_execute=False, execution_timeout=job.time_limit,
            start_timeout=START_TIMEOUT_S, cwd=_KERNEL["root"])
        timer.cancel()
        size = _atomic_write(Path(job.html), report.export_html(nb, job.title, job.footer))
        return Result(job.key, "ok", time.perf_counter() - started, size,
                      attempts=max(attempts, 1))
    except Exception as exc:
        timer.cancel()
        error = _error_text(exc)
        if timed_out.is_set():
            error = f"quá thời gian cho phép ({job.time_limit:g} giây)"
        if timed_out.is_set() or not km.is_alive():
            _shutdown_kernel_only()  # a fresh kernel for the next unit
        return Result(job.key, "failed", time.perf_counter() - started, error=error,
                      attempts=max(attempts, 1))
    finally:
        timer.cancel()


# --- the batch -------------------------------------------------------------------------

def _findings_counts(findings: pl.DataFrame, code: str) -> dict[str, int]:
    mine = findings.filter(pl.col("unit_code") == code)
    return {s: mine.filter(pl.col("severity") == s).height for s in ("error", "warning", "info")}


def data_level(observations: pl.DataFrame, period: str) -> str:
    """The level a period's data are at: "district" where districts reported, else
    "commune" (from 1 July 2025 there are no districts)."""
    levels = set(observations.filter(pl.col("period") == period)["unit_level"].to_list())
    return "district" if "district" in levels or "commune" not in levels else "commune"


def select_units(observations: pl.DataFrame, period: str, only: list[str] | None = None,
                 findings: pl.DataFrame | None = None,
                 level: str = "district") -> list[units_mod.Unit]:
    """The units of ``level`` to report on: those named, else those with data for the
    period or a finding about their file (a table that could not be read still gets its
    report)."""
    if only:
        chosen = []
        for name in only:
            try:
                chosen.append(units_mod.match(name, level=level, period=period))
            except UnknownUnitError as exc:
                raise UsageError(str(exc)) from None
        return sorted(set(chosen), key=lambda u: u.code)
    codes = set(observations.filter((pl.col("period") == period)
                                    & (pl.col("unit_level") == level))["unit_code"])
    if findings is not None and not findings.is_empty():
        found = set(findings.filter(pl.col("period").is_in([period, ""]))["unit_code"])
        codes |= {c for c in found if c and _level_of(c, period) == level}
    if level == "district":
        return [u for u in units_mod.districts() if u.code in codes]
    return sorted((units_mod.by_code(c, period) for c in codes if c), key=lambda u: u.code)


def _level_of(code: str, period: str) -> str:
    try:
        return units_mod.by_code(code, period).level
    except UnknownUnitError:
        return ""


def run(period: str = "2024", only: list[str] | None = None, workers: int | None = None,
        out: str | Path | None = None, data_dir: str | Path | None = None,
        notebook: str | Path | None = None, overview_notebook: str | Path | None = None,
        parameters: dict[str, Any] | None = None, time_limit: float = TIME_LIMIT_S,
        overview: bool = True, progress: bool = True, level: str | None = None,
        pdf: bool = True) -> Outcome:
    """Build the reports of ``period`` into ``out/<period>/``; see the module docstring.

    Raises :class:`UsageError` before running anything when a parameter is not declared by
    the notebook, a unit is unknown or the processed data are missing.
    """
    root = config.project_root()
    data_dir = Path(data_dir) if data_dir else config.processed_dir(root)
    notebook = Path(notebook) if notebook else NOTEBOOKS / DISTRICT_NOTEBOOK
    overview_notebook = Path(overview_notebook) if overview_notebook else \
        NOTEBOOKS / OVERVIEW_NOTEBOOK
    extra = dict(parameters or {})
    district_params = {"unit": "", "period": period, "data_dir": str(data_dir.resolve()),
                       "interactive": False, **extra}
    check_parameters(notebook, district_params)
    try:
        observations, findings = indicators.read_processed(data_dir)
    except Exception as exc:
        raise UsageError(str(exc)) from None
    level = level or data_level(observations, period)
    overview_params = {"period": period, "data_dir": str(data_dir.resolve()),
                       "interactive": False, "level": level}
    if overview:
        check_parameters(overview_notebook, overview_params)
    chosen = select_units(observations, period, only, findings, level)
    if not chosen:
        raise UsageError(f"không có đơn vị nào có số liệu kỳ {period} trong {data_dir}")
    folder = (Path(out) if out else config.reports_dir(root)) / period
    (folder / "notebooks").mkdir(parents=True, exist_ok=True)

    jobs = _jobs(period, chosen, folder, notebook, district_params,
                 overview_notebook if overview else None, overview_params, time_limit,
                 footer(period, data_dir))
    results = _execute(jobs, workers, str(root), progress)
    manifest = _manifest(period, chosen, results, observations, findings,
                         _relative(data_dir, root), overview)
    manifest["level"] = level
    pdf_note = _print_pdfs(manifest, jobs if pdf else [])
    _atomic_write(folder / "index.html", _index_page(manifest, folder))
    _atomic_write(folder / "manifest.json",
                  json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
    failed = [e for e in manifest["units"] if e["status"] != "ok"]
    if overview and manifest["overview"]["status"] != "ok":
        failed.append({"code": "overview", "name": "Toàn tỉnh",
                       "error": manifest["overview"]["error"]})
    failed += [{"code": e.get("code", "overview"), "name": e.get("name", "Toàn tỉnh"),
                "error": f"PDF: {e['pdf_error']}"}
               for e in [*manifest["units"], manifest.get("overview") or {}]
               if e.get("pdf_error")]
    return Outcome(manifest, folder, failed, pdf_note)


def _print_pdfs(manifest: dict[str, Any], jobs: list[Job]) -> str:
    """A PDF beside every HTML written now, recorded in its manifest entry; why none was
    printed at all ("" when Chromium printed)."""
    entries = {e["code"]: e for e in manifest["units"]}
    if "overview" in manifest:
        entries["overview"] = manifest["overview"]
        manifest["overview"]["synthetic"] = any(e["synthetic"] for e in manifest["units"])
    return pdf.print_beside(entries, [(j.key, Path(j.html), j.title) for j in jobs])


def _jobs(period: str, chosen: list[units_mod.Unit], folder: Path, notebook: Path,
          district_params: dict[str, Any], overview_notebook: Path | None,
          overview_params: dict[str, Any], time_limit: float, foot: str = "") -> list[Job]:
    """The overview (unless ``overview_notebook`` is None) and one job per chosen unit."""
    jobs: list[Job] = []
    if overview_notebook is not None:
        jobs.append(Job("overview", "Toàn tỉnh", "overview", str(overview_notebook),
                        overview_params, str(folder / "notebooks" / "overview.ipynb"),
                        str(folder / "overview.html"),
                        f"Tổng hợp toàn tỉnh — mô hình 3 KHÔNG — {period}", time_limit, foot))
    for unit in chosen:
        stem = f"{unit.code}-{unit.slug}"
        jobs.append(Job(unit.code, unit.name, unit.slug, str(notebook),
                        {**district_params, "unit": unit.code},
                        str(folder / "notebooks" / f"{stem}.ipynb"), str(folder / f"{stem}.html"),
                        f"{unit.full_name} — mô hình 3 KHÔNG — {period}", time_limit, foot))
    return jobs


def _manifest(period: str, chosen: list[units_mod.Unit], results: dict[str, Result],
              observations: pl.DataFrame, findings: pl.DataFrame, generated_from: str,
              overview: bool) -> dict[str, Any]:
    """What deliver and the index page read: per unit its status, files, findings counts and
    headline K1–K3 (:func:`bakhong.indicators.headline`, as the report shows them)."""
    obs_period = observations.filter(pl.col("period") == period)
    entries = []
    for unit in chosen:
        res = results[unit.code]
        stem = f"{unit.code}-{unit.slug}"
        mine = obs_period.filter(pl.col("unit_code") == unit.code)
        theirs = _of_unit(findings, unit.code, period)
        table = indicators.wide(mine) if mine.height else None
        entries.append({
            "code": unit.code, "name": unit.name, "slug": unit.slug, "status": res.status,
            "html": f"{stem}.html" if res.status == "ok" else None,
            "notebook": f"notebooks/{stem}.ipynb", "duration_s": round(res.duration_s, 2),
            "bytes": res.bytes, "error": res.error,
            "synthetic": bool(mine["synthetic"].any()) if mine.height else False,
            # what the report rests on: "ok", "unreadable" (its file could not be read), "none"
            "data": "ok" if mine.height else (
                "unreadable" if findings.filter((pl.col("unit_code") == unit.code)
                                                & (pl.col("rule") == "load_error")).height
                else "none"),
            "findings": _findings_counts(theirs, unit.code),
            "headline": _doubted(indicators.headline(table), theirs, unit.code, period)
            if table is not None else {},
            # the verdict the report opens with (indicators.verdict), for the email and index
            "verdict": indicators.verdict(table, theirs) if table is not None else None,
        })
    manifest: dict[str, Any] = {"period": period, "generated_from": generated_from,
                                "units": entries,
                                "absent": _absent(period, chosen, entries, obs_period, findings)}
    if overview:
        res = results["overview"]
        manifest["overview"] = {"status": res.status,
                                "html": "overview.html" if res.status == "ok" else None,
                                "error": res.error, "duration_s": round(res.duration_s, 2),
                                "bytes": res.bytes}
    return manifest


def _of_unit(findings: pl.DataFrame, code: str, period: str) -> pl.DataFrame:
    """A unit's findings of the period, and those of its files that have no period."""
    return findings.filter((pl.col("unit_code") == code) & pl.col("period").is_in([period, ""]))


def data_version(data_dir: Path) -> str:
    """The processed data a report rests on, as a short digest of its two tables."""
    import hashlib

    digest = hashlib.sha256()
    for name in ("observations.parquet", "findings.parquet"):
        path = data_dir / name
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def footer(period: str, data_dir: Path, when: str | None = None) -> str:
    """The footer of every report: the date made, the data version, the index and overview."""
    import datetime as dt
    import html

    when = when or dt.date.today().strftime("%d/%m/%Y")
    return (f'<footer class="report-foot"><p>Lập ngày {html.escape(when)} · phiên bản số liệu '
            f"{html.escape(data_version(data_dir))} · kỳ {html.escape(period)} · "
            '<a href="index.html">Danh sách báo cáo</a> · '
            '<a href="overview.html">Báo cáo toàn tỉnh</a></p></footer>')


def _doubted(headline: dict[str, Any], findings: pl.DataFrame, code: str,
             period: str) -> dict[str, Any]:
    """The headline with ``doubtful`` on a pillar whose figure an error finding rejects."""
    errors = set(findings.filter((pl.col("unit_code") == code) & (pl.col("period") == period)
                                 & (pl.col("severity") == "error"))["indicator"].to_list())
    return {k: {**v, "doubtful": k in errors} for k, v in headline.items()}


def _absent(period: str, chosen: list[units_mod.Unit], entries: list[dict[str, Any]],
            observations: pl.DataFrame, findings: pl.DataFrame) -> list[dict[str, str]]:
    """The districts expected for the period of which nothing arrived (no figure, no file):
    listed on the index, never hidden."""
    if not chosen or chosen[0].level != "district":
        return []
    from .checks import expected_units

    have = {e["code"] for e in entries} | set(observations["unit_code"].to_list()) | set(
        findings.filter((pl.col("period") == period) & (pl.col("rule") != "incomplete_unit"))
        ["unit_code"].to_list())
    return [{"code": u.code, "name": u.name} for u in expected_units(period)
            if u.code not in have]


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def _execute(jobs: list[Job], workers: int | None, root: str,
             progress: bool) -> dict[str, Result]:
    from tqdm import tqdm

    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    results: dict[str, Result] = {}
    context = multiprocessing.get_context("spawn")  # no inherited threads or sockets
    bar = tqdm(total=len(jobs), desc="Lập báo cáo", unit="báo cáo", disable=not progress,
               file=sys.stderr)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context,
                             initializer=_init_worker, initargs=(root,)) as pool:
        futures = {pool.submit(run_job, job): job for job in jobs}
        for future in as_completed(futures):
            job = futures[future]
            try:
                result = future.result()
            except Exception as exc:  # the worker process itself died
                result = Result(job.key, "failed", 0.0, error=_error_text(exc))
            results[job.key] = result
            bar.set_postfix_str(job.name, refresh=False)
            bar.update(1)
    bar.close()
    return results


def _index_page(manifest: dict[str, Any], folder: Path) -> str:
    import html

    units = manifest["units"]
    synthetic = any(u["synthetic"] for u in units)
    real = sorted(u["name"] for u in units if not u["synthetic"] and u.get("data") == "ok")
    done = sum(u["status"] == "ok" for u in units)
    department = config.department(manifest["period"]).name
    which = ("xã, phường, thị trấn" if manifest.get("level") == "commune"
             else "huyện, thị xã, thành phố")
    ov = manifest.get("overview") or {}
    overview_link = ('<p><a href="overview.html"><strong>Báo cáo tổng hợp toàn tỉnh</strong></a>'
                     + (f' · <a href="{html.escape(ov["pdf"])}">bản PDF</a>' if ov.get("pdf")
                        else "") + "</p>" if ov.get("status") == "ok" else "")
    rows = []
    for u in units:
        row = dict(u)
        if row["status"] != "ok" and (folder / f"{u['code']}-{u['slug']}.html").is_file():
            row["name"] = f"{u['name']} (bản lập trước)"
            row["html"] = f"{u['code']}-{u['slug']}.html"
        rows.append(row)
    note = (f'<p class="note">Số liệu thật: {html.escape(", ".join(real))}; các đơn vị còn lại '
            "là số liệu mô phỏng.</p>" if synthetic and real else "")
    rows += [{"code": a["code"], "name": a["name"], "status": "absent", "findings": {}}
             for a in manifest.get("absent", [])]
    body = (
        (report.synthetic_banner() + note if synthetic else "")
        + f'<header class="report-head"><p class="kicker">{html.escape(department)} — Đánh '
        f"giá mô hình “3 KHÔNG”</p><h1>Báo cáo các {which}"
        f'</h1><p class="subtitle">Năm {html.escape(manifest["period"])} — đã lập {done}/'
        f"{len(units)} báo cáo</p></header>" + overview_link
        + pdf.index_links(tables.units_index(rows), rows))
    return report.page(f"Báo cáo mô hình 3 KHÔNG — {manifest['period']}", body,
                       charts_present=False)


def summary(outcome: Outcome) -> str:
    """The lines printed at the end of a batch."""
    units = outcome.manifest["units"]
    done = sum(u["status"] == "ok" for u in units)
    lines = [f"Đã lập {done}/{len(units)} báo cáo đơn vị vào {outcome.out}"]
    ov = outcome.manifest.get("overview")
    if ov:
        lines.append("Báo cáo toàn tỉnh: " + ("đã lập" if ov["status"] == "ok" else "LỖI"))
    printed = [e for e in [*units, ov or {}] if e.get("pdf")]
    if outcome.pdf_note:
        lines.append(outcome.pdf_note)
    elif printed:
        lines.append(f"Bản PDF: đã in {len(printed)} tệp (A4, cạnh mỗi tệp HTML)")
    for f in outcome.failed:
        lines.append(f"  LỖI {f['code']} {f['name']}: {f['error']}")
    return "\n".join(lines)
