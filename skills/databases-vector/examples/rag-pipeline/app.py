"""The ASGI app: `uvicorn app:app` (settings from RAG_PIPELINE_* variables, see README)."""

from rag_pipeline.api import create_app
from rag_pipeline.settings import Settings

app = create_app(Settings.from_environment())
