"""task_api: a per-user task tracker (projects and tasks) as a production-shaped REST API.

Start with ``task_api.main.create_app``; ``app.py`` beside this package builds the app
from environment variables.
"""
