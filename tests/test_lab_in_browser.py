"""What a learner sees: JupyterLab in a real (headless) Chromium runs a notebook, renders
its plotly chart, and its widgets answer clicks through the kernel.

Debian's Chromium, driven by Playwright (no browser download). CI installs it (.ci/run);
on a machine without it the test skips and says why.
"""

from __future__ import annotations

import os
import shutil

import pytest

from backend_skills.paths import notebooks_dir

pytestmark = pytest.mark.notebook
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Chromium's own background traffic would be refused on an offline machine.
OFFLINE_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
]
NOTEBOOK = "01-databases-relational/01-choosing-an-engine.ipynb"


@pytest.fixture
def chromium_page():
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have Debian's chromium installed: see .ci/run")
        pytest.skip("no chromium on this machine (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=OFFLINE_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        yield page
        browser.close()


def test_a_notebook_runs_and_its_widgets_and_chart_render(tmp_path, jupyter_lab, chromium_page):
    # A copy, so JupyterLab's autosave can never rewrite the stored notebook.
    course = tmp_path / "course"
    shutil.copytree(notebooks_dir(), course / "notebooks")
    lab = jupyter_lab(course)
    page = chromium_page
    page.goto(f"{lab.base_url}/lab/tree/notebooks/{NOTEBOOK}?token=course-test")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    # The shipped settings start the notebook's kernel on open: no kernel dialog to answer.
    page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=60_000)
    assert page.locator(".jp-Dialog").count() == 0, page.locator(".jp-Dialog").inner_text()

    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()

    # Live widgets exist only once the kernel has run the cells (stored state is not shown).
    back = page.locator(".widget-button", has_text="Back").first
    back.wait_for(timeout=120_000)
    page.wait_for_function(  # no cell still queued or running ("[*]:")
        "() => ![...document.querySelectorAll('.jp-InputPrompt')]"
        ".some(prompt => prompt.textContent.includes('*'))",
        timeout=120_000,
    )
    page.locator(".js-plotly-plot .main-svg").first.wait_for(timeout=30_000)
    page.screenshot(path=str(tmp_path / "lab.png"), full_page=False)

    # A click goes to the kernel and back. The walker shows the notebook's DECISION
    # (Rapid prototyping > Python): Back shows that branch's languages, Back again the
    # first question's options.
    back.scroll_into_view_if_needed()
    back.click()
    page.locator(".widget-button", has_text="TypeScript").first.wait_for(timeout=30_000)
    back.click()
    page.locator(".widget-button", has_text="Rapid prototyping").first.wait_for(timeout=30_000)
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    assert "Error displaying widget" not in page.content()
    assert errors.count() == 0 or "Traceback" not in errors.all_inner_texts()
