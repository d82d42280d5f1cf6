"""A small Dagster dashboard for notebook 05-06: materialize a partition, see the run history.

``run_partition(day)`` is what the button runs, so a headless run calls the same logic: it
launches a run for one partition through the function it was given, then redraws the table
from the instance's run storage (not from anything the panel remembers), so the table
shows what Dagster recorded, runs made elsewhere included.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from html import escape

import dagster as dg
import ipywidgets as widgets


# region history
def planned_assets(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    """The assets a run set out to materialize, from its event log (failed runs included)."""
    planned = instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED)
    return sorted({event.dagster_event.asset_key.to_user_string() for event in planned})


def run_history(instance: dg.DagsterInstance, limit: int | None = None) -> list[dict]:
    """The instance's runs, oldest first: id, status, partition, assets, start, end, seconds."""
    rows = []
    for record in reversed(instance.get_run_records(limit=limit)):  # newest first from storage
        run = record.dagster_run
        started, ended = record.start_time, record.end_time
        rows.append(
            {
                "run": run.run_id[:8],
                "status": run.status.value,
                "partition": run.tags.get("dagster/partition", ""),
                "assets": ", ".join(planned_assets(instance, run.run_id)),
                "started": datetime.fromtimestamp(started, UTC) if started else None,
                "ended": datetime.fromtimestamp(ended, UTC) if ended else None,
                "seconds": round(ended - started, 3) if started and ended else None,
            }
        )
    return rows


# endregion


# region panel
class PartitionPanel:
    """A dropdown of partitions, a button that materializes one, and the last runs."""

    def __init__(
        self,
        instance: dg.DagsterInstance,
        materialize_partition: Callable[[str], dg.ExecuteInProcessResult],
        partition_keys: list[str],
        *,
        rows: int = 8,
    ):
        self.instance = instance
        self.materialize_partition = materialize_partition
        self.rows = rows
        self.last_result: dg.ExecuteInProcessResult | None = None
        self._day = widgets.Dropdown(options=partition_keys, description="Partition")
        self._button = widgets.Button(description="Materialize", icon="play")
        self._status = widgets.HTML()
        self._table = widgets.HTML()
        self._button.on_click(lambda _button: self.run_partition(self._day.value))
        self.view = widgets.VBox(
            [widgets.HBox([self._day, self._button]), self._status, self._table]
        )
        self.refresh()

    def run_partition(self, day: str) -> dg.ExecuteInProcessResult:
        if day not in self._day.options:
            raise ValueError(f"no partition {day!r}: choose one of the dropdown's days")
        self._day.value = day
        self.last_result = self.materialize_partition(day)
        outcome = "succeeded" if self.last_result.success else "failed"
        run_id = self.last_result.run_id[:8]
        self._status.value = f"Run {escape(run_id)} for {escape(day)}: {outcome}"
        self.refresh()
        return self.last_result

    def refresh(self) -> str:
        """Redraw the table of the latest runs from the instance; returns its HTML."""
        columns = ("run", "status", "partition", "seconds")
        head = "".join(f"<th>{name}</th>" for name in columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{escape(str(row[name]))}</td>" for name in columns) + "</tr>"
            for row in reversed(run_history(self.instance, limit=self.rows))
        )
        self._table.value = f"<table><tr>{head}</tr>{body}</table>"
        return self._table.value


# endregion
