"""The ASGI app: ``uvicorn app:app`` (settings from TASK_API_* and DATABASE_URL)."""

from task_api.main import create_app

app = create_app()
