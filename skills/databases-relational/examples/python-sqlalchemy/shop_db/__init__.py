"""Shop database example: SQLAlchemy 2.0 models, a repository, Alembic migrations."""
