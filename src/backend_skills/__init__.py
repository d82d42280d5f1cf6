"""Backend Skills Lab: the course's own library (shared by notebooks, tests and the CLI)."""

import os

__version__ = "0.1.0"

# The course runs with telemetry off. onnxruntime 1.29+ (chromadb's dependency, and the
# model-serving lessons' runtime) reports usage from Linux and writes a device id under
# ~/.cache/Microsoft unless this is set before it first loads; every notebook imports this
# package before it touches onnxruntime. A learner's own choice, if set, is kept.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
