"""Repository-wide pytest set-up: offline kernels and notebook scheduling.

Every kernel that nbval or papermill starts during the run loads the network guard (an
IPython start-up file), so a notebook that connects beyond 127.0.0.1 fails. Attempts a
library swallowed are in the guard's log, and fail the session at the end.
"""

from __future__ import annotations

import os

import pytest

from backend_skills import netguard

_GUARD: dict[str, str] = {}


def pytest_configure(config):
    if not _GUARD:
        _GUARD.update(netguard.kernel_environment())
        os.environ.update(_GUARD)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.nodeid.split("::")[0].endswith(".ipynb"):
            # (The cells of one notebook share a kernel; `--dist loadfile` in the Makefile
            # keeps a notebook on one xdist worker, in order.)
            item.add_marker(pytest.mark.notebook)


def pytest_sessionfinish(session, exitstatus):
    blocked = netguard.violations(_GUARD) if _GUARD else []
    if blocked:
        print("\nnetguard: notebooks tried to reach beyond 127.0.0.1:\n  " + "\n  ".join(blocked))
        session.exitstatus = 1
