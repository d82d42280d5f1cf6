"""Incremental document ingestion into Chroma: chunk, embed what changed, dead-letter failures."""
