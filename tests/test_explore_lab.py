"""End to end: a real JupyterLab server on 127.0.0.1, ``notebooks/explore.ipynb`` opened in
headless Debian Chromium (Playwright driving /usr/bin/chromium; never a downloaded
browser), the cell run, a dropdown changed, the chart seen to change.

The screenshot is kept in ``tests/artifacts/explore-lab.png`` (gitignored) with the timings
measured in the browser in ``explore-lab.json``. A missing Chromium or a JupyterLab that
does not start fails the test: ``make test`` installs Chromium first.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import ROOT, write_province

from bakhong.views.explore import KERNEL_DISPLAY_NAME, indicator_options, install_kernel
from bakhong.vocab.catalog import load_catalog

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
NO_NEWS = {"fetchNews": "false", "checkForUpdates": False}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def lab(tmp_path):
    """(base url, token, project root) of a JupyterLab server with its own dirs in tmp."""
    root = write_province(tmp_path / "project", districts=5)
    install_kernel()  # what `make venv` does; explore.ipynb asks for this kernel
    (root / "notebooks").mkdir()
    shutil.copy(ROOT / "notebooks" / "explore.ipynb", root / "notebooks" / "explore.ipynb")
    settings = tmp_path / "lab-settings"
    notification = settings / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True)
    (notification / "notification.jupyterlab-settings").write_text(json.dumps(NO_NEWS))
    port, token = _free_port(), secrets.token_hex(16)
    env = {**os.environ, "BAKHONG_HOME": str(root), "HOME": str(tmp_path / "home"),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
           "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
           "JUPYTER_DATA_DIR": str(tmp_path / "data"), "IPYTHONDIR": str(tmp_path / "ipython"),
           "JUPYTER_PLATFORM_DIRS": "1"}
    log = (tmp_path / "lab.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
         f"--LabApp.user_settings_dir={settings}",
         f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}",
         "--LabApp.extension_manager=readonly",
         *(["--allow-root"] if os.geteuid() == 0 else [])],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=root)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                pytest.fail("JupyterLab exited at start:\n" + (tmp_path / "lab.log").read_text())
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("JupyterLab did not answer in 60 s:\n"
                                + (tmp_path / "lab.log").read_text())
                time.sleep(0.3)
        yield base, token, root
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


# the explorer draws its three charts in one plotly graph; each chart's heading is an
# annotation of it
_TITLES = "() => { const g = document.querySelector('.jp-OutputArea .js-plotly-plot');" \
          " return g && g.layout ? (g.layout.annotations || []).map(a => a.text) : []; }"
_BARS = "() => { const g = document.querySelector('.jp-OutputArea .js-plotly-plot');" \
        " return g && g.data ? Array.from(g.data[0].y) : null; }"


@pytest.mark.browser
@pytest.mark.slow
def test_explorer_in_jupyterlab_changes_its_chart_when_a_dropdown_changes(lab):
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.is_file(), "Chromium is missing: run `make chromium` (Debian package)"
    base, token, _ = lab
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "explore-lab.png"
    shot.unlink(missing_ok=True)
    labels = dict((code, label) for label, code in indicator_options(load_catalog()))
    timings: dict[str, float] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                     headless=True)
        page = None
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 2300})
            console: list[str] = []
            page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
            started = time.monotonic()
            page.goto(f"{base}/lab/tree/notebooks/explore.ipynb?token={token}")
            editor = page.locator(".jp-CodeCell .jp-InputArea-editor").first
            editor.wait_for(timeout=60_000)
            # the kernel session starts on its own; a kernel picker may still ask
            idle = page.get_by_text(re.compile(re.escape(KERNEL_DISPLAY_NAME) + r" \| Idle"))
            picker = page.locator(".jp-Dialog .jp-mod-accept")
            deadline = time.monotonic() + 60
            while not idle.count():
                if picker.count():
                    picker.first.click()
                assert time.monotonic() < deadline, "the kernel never became idle"
                page.wait_for_timeout(250)
            timings["lab_ready_s"] = time.monotonic() - started
            editor.click()
            page.keyboard.press("Shift+Enter")
            run = time.monotonic()
            page.locator(".jp-OutputArea .widget-html", has_text="Khám phá kết quả").wait_for(
                timeout=90_000)
            timings["cell_to_widgets_s"] = time.monotonic() - run
            page.wait_for_function(f"() => ({_TITLES})().length === 3", timeout=40_000)
            timings["cell_to_charts_s"] = time.monotonic() - run
            titles = page.evaluate(_TITLES)
            assert titles[0].startswith("K1"), titles
            bars = page.evaluate(_BARS)
            # Thường Xuân alone: the five synthetic districts are hidden while real data exist
            assert bars and len(bars) == 1

            dropdown = page.locator(".widget-dropdown", has_text="Chỉ tiêu / trụ cột")
            changed = time.monotonic()
            dropdown.locator("select").select_option(label=labels["TC09"])
            page.wait_for_function(
                f"() => ({_TITLES})()[0].startsWith('TC09')", timeout=30_000)
            timings["dropdown_to_chart_s"] = time.monotonic() - changed
            new_bars = page.evaluate(_BARS)
            assert new_bars != bars
            assert 0.4575 in [round(v, 4) for v in new_bars]  # Thường Xuân's stated TC09
            page.wait_for_timeout(500)  # let plotly finish its transition before the shot
            page.screenshot(path=str(shot))
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "explore-lab-failed.png"))
            (ARTIFACTS / "explore-lab-failed.log").write_text("\n".join(console))
            raise
        finally:
            browser.close()
    (ARTIFACTS / "explore-lab.json").write_text(json.dumps(timings, indent=2))
    assert shot.stat().st_size > 50_000
