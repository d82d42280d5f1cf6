"""Backend Skills Lab: the course's own library (shared by notebooks, tests and the CLI)."""

__version__ = "0.1.0"
