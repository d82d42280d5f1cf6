"""An IoT ingest pipeline on DuckDB: batching, dead letters, dedup, late data, hourly rollups."""


class PipelineError(Exception):
    """Bad input the CLI answers with one line and exit 2 (never a traceback)."""
