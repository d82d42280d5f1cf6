"""Throughput, benchmark style: the rows per second the ingest reports, printed, never
asserted (the machine is shared; a speed check would fail on a busy one). What is asserted
is that the measured runs did the job: the same answer at both batch sizes, every
message accounted for, a rate that is a positive number.

Run with ``pytest -s -k throughput`` to see the numbers.
"""

from __future__ import annotations

import json

from iot_pipeline.__main__ import main
from iot_pipeline.simulator import simulate


def test_ingest_throughput_at_two_batch_sizes(tmp_path, capsys, tables):
    from iot_pipeline.store import connect

    source = tmp_path / "readings.jsonl"
    source.write_text("".join(line + "\n" for line in simulate(20, 90, seed=1)))
    messages = len(source.read_text().splitlines())
    summaries = {}
    for rows in (5_000, 500):
        db = tmp_path / f"batch-{rows}.duckdb"
        assert main(["ingest", str(source), "--db", str(db), "--batch-rows", str(rows)]) == 0
        summaries[rows] = json.loads(capsys.readouterr().out)
    with capsys.disabled():
        for rows, summary in summaries.items():
            print(
                f"\n{messages:,} messages, batches of {rows:>5,}: {summary['batches']:>3} "
                f"batches, {summary['seconds']:.2f} s, {summary['rows_per_s']:,} rows/s"
            )
    big, small = summaries[5_000], summaries[500]
    for summary in (big, small):
        parts = ("accepted", "duplicates", "dead_lettered", "late_beyond_window")
        assert sum(summary[part] for part in parts) == summary["messages"] == messages
        assert summary["rows_per_s"] > 0
    assert small["batches"] > 40 > big["batches"]
    answers = []
    for rows in (5_000, 500):
        con = connect(tmp_path / f"batch-{rows}.duckdb", read_only=True)
        answers.append(tables(con))
        assert con.execute("SELECT count(*) FROM readings").fetchone()[0] == big["accepted"]
        con.close()
    assert answers[0] == answers[1]
