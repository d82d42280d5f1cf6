"""A metrics dashboard backend on DuckDB: batched idempotent ingest, incremental rollups,
chart queries downsampled with LTTB, and retention that keeps the rollups."""
