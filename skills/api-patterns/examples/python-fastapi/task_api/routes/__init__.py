"""HTTP routes, one module per resource (and one per API version where they differ)."""
