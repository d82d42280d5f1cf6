"""The shipped JupyterLab config: a real server started with it fetches no news, no updates."""

from __future__ import annotations

from backend_skills.paths import repo_root


def test_news_and_update_checks_are_off(jupyter_lab):
    lab = jupyter_lab(repo_root())
    assert lab.get("/lab/api/news").json() == {"news": []}
    assert lab.get("/lab/api/update").json() == {"notification": None}
    settings = lab.get("/lab/api/settings/@jupyterlab/apputils-extension:notification").json()
    assert settings["settings"]["fetchNews"] == "false"
    assert settings["settings"]["checkForUpdates"] is False
    assert lab.get("/lab/tree/notebooks/00-start-here.ipynb").status_code == 200
    # The read-only extension manager lists what is installed and never searches PyPI.
    installed = lab.get("/lab/api/extensions").json()
    assert any(e["name"] == "@jupyter-widgets/jupyterlab-manager" for e in installed)
    assert all(e["latest_version"] is None for e in installed)  # nothing was looked up
    notebook = lab.get("/lab/api/settings/@jupyterlab/notebook-extension:tracker").json()
    assert notebook["settings"]["autoStartDefaultKernel"] is True  # no kernel dialog on open
    assert notebook["settings"]["windowingMode"] == "none"
