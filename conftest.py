"""Repository-wide pytest set-up: offline kernels and notebook scheduling.

Every kernel that nbval or papermill starts during the run loads the network guard (an
IPython start-up file), so a notebook that connects beyond 127.0.0.1 fails. Attempts a
library swallowed are in the guard's log, and fail the session at the end. Every kernel
talks over Unix sockets (backend_skills.unix_socket_kernel), so no port race kills one.

Scheduling (`make test` runs `pytest -n JOBS --dist loadgroup`): nbval runs a notebook's
cells in order in one kernel, so all cells of a notebook must go to one xdist worker, in
collection order; every other test may go to any worker, so the slow papermill runs of
one test file spread over all workers. xdist's own loadgroup marks its groups by renaming
test IDs (`item._nodeid`), which pytest 9 no longer reads (IDs come from `item._id`): the
groups were silently lost and a notebook's cells went to both workers, out of order. So
the scheduler here groups by test ID itself, and `pytest_runtest_setup` checks the order.
"""

from __future__ import annotations

import os

import pytest

from backend_skills import netguard

_GUARD: dict[str, str] = {}
# Each notebook cell's place among the selected cells of its notebook: (notebook, index).
_CELL_PLACE: dict[pytest.Item, tuple[str, int]] = {}
_LAST_CELL: list[tuple[str, int]] = []  # the last cell this process ran


def notebook_of(nodeid: str) -> str | None:
    """The notebook an nbval item belongs to, from its test ID; None for other tests."""
    path = nodeid.split("::")[0]
    return path if path.endswith(".ipynb") else None


def pytest_configure(config):
    if not _GUARD:
        _GUARD.update(netguard.kernel_environment())
        os.environ.update(_GUARD)
    # nbval's kernels on Unix sockets, as papermill's are (unix_socket_kernel.py says why).
    import nbval.kernel

    from backend_skills.unix_socket_kernel import UnixSocketKernelManager

    nbval.kernel.KernelManager = UnixSocketKernelManager


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    for item in items:
        if notebook_of(item.nodeid):
            item.add_marker(pytest.mark.notebook)


def pytest_collection_finish(session):
    counts: dict[str, int] = {}
    for item in session.items:
        notebook = notebook_of(item.nodeid)
        if notebook:
            _CELL_PLACE[item] = (notebook, counts.get(notebook, 0))
            counts[notebook] = _CELL_PLACE[item][1] + 1


def pytest_runtest_setup(item):
    place = _CELL_PLACE.get(item)
    if place is None:
        return
    notebook, index = place
    if index and _LAST_CELL != [(notebook, index - 1)]:
        ran = _LAST_CELL[0] if _LAST_CELL else "nothing"
        pytest.fail(
            f"{notebook} cell {index} ran after {ran}, not after the cell before it: the "
            "kernel's state would be another's (schedule with --dist loadgroup or loadfile)",
            pytrace=False,
        )
    _LAST_CELL[:] = [place]


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """For `--dist loadgroup`: one work unit per notebook, one per test for the rest."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class NotebookScheduling(LoadScopeScheduling):
        # Work units are sent biggest first (--loadscope-reorder, on by default), so the
        # notebooks start early and the single tests fill in around them.
        def _split_scope(self, nodeid: str) -> str:
            return notebook_of(nodeid) or nodeid

    return NotebookScheduling(config, log)


def pytest_sessionfinish(session, exitstatus):
    blocked = netguard.violations(_GUARD) if _GUARD else []
    if blocked:
        print("\nnetguard: notebooks tried to reach beyond 127.0.0.1:\n  " + "\n  ".join(blocked))
        session.exitstatus = 1
