"""Retrieval-augmented generation over a markdown handbook, with cited answers."""
